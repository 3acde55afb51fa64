/**
 * Fused training-mode batch normalisation as ONE differentiable tfjs op with an analytic
 * gradient, instead of a dozen composed ops (moments, rsqrt, mul, add, ... and their autograd):
 * about 2 passes over the activation forward and 3 backward on the cpu/native kernels.
 *
 * ```ts
 * const { y, mean, variance } = batchNormTrain(x, gamma, beta, 1e-5); // x: [N,H,W,C]
 * ```
 *
 * The op runs the kernel `KitBatchNormTrain` of the active backend and its registered gradient
 * runs `KitBatchNormTrainGrad` (see `batch_norm_kernels.ts`). Gradients flow to `x`, `gamma`
 * and `beta` from all three outputs (`mean` and `variance` included); second-order gradients
 * are not supported.
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormAttrs,
  ensureBatchNormKernels,
} from "./batch_norm_kernels.ts";

/** Outputs of {@link batchNormTrain}. */
export interface BatchNormTrainResult<T extends tf.Tensor> {
  /** Normalised, scaled and shifted x (x's shape). */
  y: T;
  /** [C] batch mean over all axes but the last. */
  mean: tf.Tensor1D;
  /** [C] biased batch variance (divided by the number of reduced elements). */
  variance: tf.Tensor1D;
}

tf.registerGradient({
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ["x", "gamma"],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dmean, dvariance] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved;
    ensureBatchNormKernels(tf.getBackend());
    // One kernel computes all three gradients; the closures hand them out.
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      BATCH_NORM_TRAIN_GRAD,
      { x, dy, mean, variance, gamma, dmean, dvariance },
      attrs,
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});

/**
 * Throws a descriptive error unless `x` is float32 of rank >= 2 and `gamma`, `beta` are float32
 * [C] vectors for its last axis (`op` names the caller in the message).
 */
export function checkBatchNormArgs(
  op: string,
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
): void {
  const c = x.shape[x.shape.length - 1];
  if (x.rank < 2) {
    throw new Error(
      `${op}: x has shape [${x.shape}]; it needs rank >= 2 with channels last ` +
        `(reshape a vector to [N, 1]).`,
    );
  }
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    if (t.rank !== 1 || t.shape[0] !== c) {
      throw new Error(
        `${op}: ${name} has shape [${t.shape}] but x has ${c} channels; ` +
          `pass a [${c}] tensor.`,
      );
    }
  }
  for (const [name, t] of [["x", x], ["gamma", gamma], ["beta", beta]] as const) {
    if (t.dtype !== "float32") {
      throw new Error(`${op}: ${name} is ${t.dtype}; cast it to float32.`);
    }
  }
}

/**
 * Training-mode batch norm over all axes but the last:
 * `y = (x - mean) / sqrt(variance + eps) * gamma + beta` with the batch statistics.
 *
 * @param x [..., C] float32, rank >= 2 (NHWC maps or [N, C] vectors).
 * @param gamma [C] scale; beta [C] shift.
 * @param eps added to the variance (default 1e-5, as PyTorch).
 */
export function batchNormTrain<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps = 1e-5,
): BatchNormTrainResult<T> {
  checkBatchNormArgs("batchNormTrain", x, gamma, beta);
  ensureBatchNormKernels(tf.getBackend());
  const attrs: BatchNormAttrs = { eps };
  const [y, mean, variance] = tf.engine().runKernel(
    BATCH_NORM_TRAIN,
    { x, gamma, beta },
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  return { y: y as T, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
