/**
 * The three similarity measures of the "MIM as occlusion-invariant learning"
 * comparison (Kong & Zhang, CVPR 2023, seed 003). In the siamese form of MIM,
 * a masked view goes through the encoder (and decoder) and its output is
 * compared with a target built from the complementary, visible part; the
 * paper finds that which of these measures is used matters little:
 *
 * - {@link pixelL2}: decoder output vs target pixels on the masked patches
 *   (MAE's loss; the target patches are the complementary view's content);
 * - {@link cosineSimilarityLoss}: `1 - cos(prediction, target)`, mean;
 * - {@link infoNceSimilarity}: InfoNCE with the other images of the batch as
 *   negatives ({@link infoNce}).
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { infoNce } from "./info_nce.ts";
import { maskedPatchMse } from "./mae_reconstruction.ts";

/** Small constant under the norms of {@link cosineSimilarityLoss}. */
const COS_EPS = 1e-8;

/**
 * Pixel L2 on masked patches: mean over the patches with `visible = 0` of the
 * per-patch mean squared error (same as MAE's reconstruction loss).
 *
 * @param pred [N, L, P] decoder predictions for every patch of the masked view.
 * @param targetPatches [N, L, P] target pixels, e.g.
 *   `normalizePatches(patchify(images, p))`; at the masked positions of this
 *   view they are the complementary view's visible content.
 * @param visible [N, L] mask of the predicting view, 1 = kept, 0 = masked (counted).
 * @returns scalar, 0 iff pred = target on every masked patch.
 */
export function pixelL2(
  pred: tf.Tensor3D,
  targetPatches: tf.Tensor3D,
  visible: tf.Tensor2D,
): tf.Scalar {
  return maskedPatchMse(pred, targetPatches, visible);
}

/**
 * Negative-cosine loss `mean (1 - cos(pred, target))`, cosine along the last
 * axis and mean over all leading positions (rows or tokens).
 *
 * @param pred [..., D] predictions, e.g. [N, D] pooled or [N, L, D] per token.
 * @param target [..., D] targets, same shape.
 * @returns scalar in [0, 2]; 0 iff every pred row points along its target
 *   row; invariant to positive rescaling of either row.
 */
export function cosineSimilarityLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  if (pred.rank < 1 || !tf.util.arraysEqual(pred.shape, target.shape)) {
    throw new Error(
      `cosineSimilarityLoss: pred and target must have the same shape [..., D], got ` +
        `[${pred.shape}] and [${target.shape}]; project both to the same feature size`,
    );
  }
  if (pred.size === 0) {
    throw new Error(`cosineSimilarityLoss: inputs [${pred.shape}] are empty`);
  }
  const axis = pred.rank - 1;
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(pred, target), axis);
    const norms = tf.mul(
      tf.sqrt(tf.maximum(tf.sum(tf.square(pred), axis), COS_EPS * COS_EPS)),
      tf.sqrt(tf.maximum(tf.sum(tf.square(target), axis), COS_EPS * COS_EPS)),
    );
    return tf.mean(tf.sub(1, tf.div(dot, norms))) as tf.Scalar;
  });
}

/**
 * InfoNCE between predictions and targets: row i's positive is target i, its
 * negatives the other targets of the batch (cosine, temperature tau). Unlike
 * the two measures above, it is not minimised exactly at pred = target (it
 * also rewards distance to the other targets).
 *
 * @param pred [N, D] predictions (pooled embeddings of the masked view).
 * @param target [N, D] targets (embeddings of the complementary view).
 * @param tau temperature > 0 (0.1-0.2 typical).
 * @returns scalar mean loss.
 */
export function infoNceSimilarity(
  pred: tf.Tensor2D,
  target: tf.Tensor2D,
  tau: number,
): tf.Scalar {
  return infoNce(pred, target, null, tau);
}
