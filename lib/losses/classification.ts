/**
 * S-MAG's classification loss L_cls and its combination with the
 * self-supervised loss.
 *
 * S-MAG (seed 000, Fig. 1) trains the self-supervised objective L_ssl and a
 * classification head (L_cls, softmax cross-entropy) on the same encoder; the
 * paper gives no weight between them, so the kit exposes `lambdaCls`
 * ({@link sslWithClassification}). In the semi-supervised setting (CIFAR-10
 * with 4,000 labels, SVHN with 1,000) only some images of a batch carry a
 * label: give the others label -1 and they are left out of L_cls.
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { logSumExpRows } from "./log_sum_exp.ts";

/** Label value of an unlabelled example (ignored by {@link softmaxCrossEntropy}). */
export const UNLABELLED = -1;

/**
 * Mean softmax cross-entropy `mean_i [ log sum_c exp(z_ic) - z_{i,y_i} ]` over
 * the labelled rows (label >= 0); rows with a negative label are ignored, and
 * a batch without any label gives 0.
 *
 * @param logits [N, C] float32 class scores (no softmax applied).
 * @param labels [N] integer class ids in [0, C), or -1 for "unlabelled": an
 *   Int32Array / number[] (range-checked here) or an int32 Tensor1D (not
 *   range-checked, to avoid a device read: a label >= C there would silently
 *   give a wrong loss, so validate such tensors upstream).
 * @returns scalar loss, differentiable in logits.
 */
export function softmaxCrossEntropy(
  logits: tf.Tensor2D,
  labels: ArrayLike<number> | tf.Tensor1D,
): tf.Scalar {
  if (logits.rank !== 2 || logits.shape[1] < 1) {
    throw new Error(`softmaxCrossEntropy: logits must be [N, C], got [${logits.shape}]`);
  }
  const [n, c] = logits.shape;
  const isTensor = labels instanceof tf.Tensor;
  const count = isTensor ? (labels.rank === 1 ? labels.shape[0] : -1) : labels.length;
  if (count !== n) {
    throw new Error(
      `softmaxCrossEntropy: need one label per row of logits [${logits.shape}], got ` +
        `${isTensor ? `a tensor of shape [${labels.shape}]` : `${count} labels`}`,
    );
  }
  if (isTensor) {
    if (labels.dtype !== "int32") {
      throw new TypeError(
        `softmaxCrossEntropy: label tensor must be int32, got ${labels.dtype}; ` +
          `use tf.cast(labels, "int32")`,
      );
    }
  } else {
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (!Number.isInteger(y) || y >= c || y < UNLABELLED) {
        throw new RangeError(
          `softmaxCrossEntropy: label ${y} at row ${i} is not a class id in [0, ${c}) or ` +
            `${UNLABELLED} (unlabelled); check the number of classes of the head`,
        );
      }
    }
  }
  return tf.tidy(() => {
    const y = isTensor ? labels : tf.tensor1d(Int32Array.from(labels), "int32");
    const oneHot = tf.oneHot(y, c); // all-zero row for -1
    const labelled = tf.cast(tf.greaterEqual(y, 0), "float32");
    const picked = tf.sum(tf.mul(logits, oneHot), 1);
    const perRow = tf.mul(tf.sub(logSumExpRows(logits), picked), labelled);
    return tf.div(tf.sum(perRow), tf.maximum(tf.sum(labelled), 1)) as tf.Scalar;
  });
}

/**
 * S-MAG's joint objective `L = L_ssl + lambdaCls * L_cls`.
 *
 * @param sslLoss scalar self-supervised loss (e.g. NT-Xent or InfoNCE, F1).
 * @param clsLoss scalar classification loss ({@link softmaxCrossEntropy}).
 * @param lambdaCls weight >= 0 of the classification term (0 = pure SSL).
 * @returns scalar total.
 */
export function sslWithClassification(
  sslLoss: tf.Scalar,
  clsLoss: tf.Scalar,
  lambdaCls: number,
): tf.Scalar {
  if (!(lambdaCls >= 0 && Number.isFinite(lambdaCls))) {
    throw new RangeError(
      `sslWithClassification: lambdaCls must be a finite number >= 0, got ${lambdaCls}`,
    );
  }
  if (sslLoss.rank !== 0 || clsLoss.rank !== 0) {
    throw new Error(
      `sslWithClassification: both losses must be scalars, got [${sslLoss.shape}] and ` +
        `[${clsLoss.shape}]; reduce them with tf.mean first`,
    );
  }
  return tf.tidy(() => tf.add(sslLoss, tf.mul(clsLoss, lambdaCls)) as tf.Scalar);
}
