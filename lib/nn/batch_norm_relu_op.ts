/**
 * `relu(batchNormTrain(x))` as one differentiable op where the active backend has the fused
 * kernels (`batch_norm_relu_kernels.ts`: cpu loops; oneDNN's batch norm with its ReLU fused on
 * the native backend), so the ReLU costs no pass of its own over the activation, forward or
 * backward. Other backends (wasm, webgpu, tensorflow), or fusion switched off, compute the same
 * thing as two ops.
 *
 * ```ts
 * const { y, mean, variance } = batchNormReluTrain(x, gamma, beta, 1e-5); // x: [N,H,W,C]
 * ```
 *
 * Gradients flow to `x`, `gamma` and `beta` through `y`; unlike {@link batchNormTrain}, the
 * returned batch statistics carry no gradient (they are for running statistics). Switch:
 * {@link setBatchNormReluFusion}, or env `KIT_FUSE_BN_RELU=0` at start-up (same results; for
 * benchmarks and checks).
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { batchNormTrain, type BatchNormTrainResult, checkBatchNormArgs } from "./batch_norm_op.ts";
import type { BatchNormAttrs } from "./batch_norm_kernels.ts";
import { BATCH_NORM_RELU_TRAIN, BATCH_NORM_RELU_TRAIN_GRAD } from "./batch_norm_relu_kernels.ts";

tf.registerGradient({
  kernelName: BATCH_NORM_RELU_TRAIN,
  inputsToSave: ["x", "gamma", "beta"],
  outputsToSave: [false, true, true, true],
  gradFunc: (dys, saved, attrs) => {
    const dy = (dys as tf.Tensor[])[0];
    const [x, gamma, beta, mean, variance, mask] = saved;
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      BATCH_NORM_RELU_TRAIN_GRAD,
      { x, dy, mean, variance, gamma, beta, mask },
      attrs,
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
});

function fusionFromEnv(): boolean {
  try {
    return Deno.env.get("KIT_FUSE_BN_RELU") !== "0";
  } catch {
    return true; // no env permission: the default
  }
}

let fusion = fusionFromEnv();

/** Turns the fused kernels on or off (off: batch norm, then ReLU); returns the previous state. */
export function setBatchNormReluFusion(on: boolean): boolean {
  const before = fusion;
  fusion = on;
  return before;
}

/** Per backend: whether its fused kernels give the unfused result for x of `shape`. */
type FusionSupport = (shape: readonly number[], eps: number) => boolean;
const support = new Map<string, FusionSupport>();

/**
 * Lets backend `backendName` decline the fusion per shape (for instance where its fused kernel
 * would round differently from the two unfused ops); without one, every shape is fused.
 */
export function registerBatchNormReluSupport(backendName: string, test: FusionSupport): void {
  support.set(backendName, test);
}

/**
 * Whether {@link batchNormReluTrain} runs the fused kernels on the active backend (for x of
 * `shape` when given: the backend may decline some shapes).
 */
export function batchNormReluFused(shape?: readonly number[], eps = 1e-5): boolean {
  const backend = tf.getBackend();
  if (!fusion || tf.getKernel(BATCH_NORM_RELU_TRAIN, backend) === undefined) return false;
  if (tf.getKernel(BATCH_NORM_RELU_TRAIN_GRAD, backend) === undefined) return false;
  return shape === undefined || (support.get(backend)?.(shape, eps) ?? true);
}

/**
 * Training-mode batch norm over all axes but the last, then ReLU:
 * `y = max(0, (x - mean) / sqrt(variance + eps) * gamma + beta)` with the batch statistics.
 *
 * @param x [..., C] float32, rank >= 2 (channels last).
 * @param gamma [C] scale; beta [C] shift.
 * @param eps added to the variance (default 1e-5, as PyTorch).
 * @returns `y` and the batch `mean` and biased `variance` [C] (no gradient through these two).
 */
export function batchNormReluTrain<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps = 1e-5,
): BatchNormTrainResult<T> {
  if (!batchNormReluFused(x.shape, eps)) {
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, eps);
    const out = tf.relu(y);
    y.dispose();
    return { y: out as T, mean, variance };
  }
  checkBatchNormArgs("batchNormReluTrain", x, gamma, beta);
  const attrs: BatchNormAttrs = { eps };
  const [y, mean, variance, mask] = tf.engine().runKernel(
    BATCH_NORM_RELU_TRAIN,
    { x, gamma, beta },
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  mask.dispose(); // the tape keeps its own reference for the gradient
  return { y: y as T, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
