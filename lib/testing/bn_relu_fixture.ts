/**
 * Test support for the fused batch norm + ReLU op: the same seeded inputs through
 * `batchNormReluTrain` with the fusion on and off, compared element by element.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import {
  batchNormReluFused,
  batchNormReluTrain,
  setBatchNormReluFusion,
} from "../nn/batch_norm_relu_op.ts";

/**
 * Shapes: NHWC maps, a projection-head batch, an odd channel count, 4 channels (where oneDNN's
 * fused primitive is another implementation, so the native backend does not fuse), rank 3.
 */
export const BN_RELU_SHAPES: number[][] = [
  [16, 8, 8, 32],
  [256, 48],
  [6, 5, 7, 130],
  [16, 32, 32, 4],
  [3, 2, 5],
];

/** y and the gradients of sum(y * w) wrt x, gamma, beta, with the fusion on or off. */
export function bnReluOutputs(
  shape: number[],
  fused: boolean,
  seed: number,
): { fused: boolean; values: Float32Array[] } {
  const before = setBatchNormReluFusion(fused);
  try {
    const rng = new Rng(seed);
    const c = shape[shape.length - 1];
    const n = shape.reduce((a, b) => a * b, 1);
    const r = (k: number, scale = 1) =>
      Float32Array.from({ length: k }, () => scale * rng.gaussian());
    return tf.tidy(() => {
      const x = tf.tensor(r(n, 2), shape);
      const gamma = tf.tensor1d(r(c));
      const beta = tf.tensor1d(r(c));
      const w = tf.tensor(r(n), shape);
      const ran = batchNormReluFused(shape);
      const out = batchNormReluTrain(x, gamma, beta);
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(batchNormReluTrain(a, g, b).y, w))
      )([x, gamma, beta]);
      return {
        fused: ran,
        values: [out.y, out.mean, out.variance, ...grads].map((t) =>
          Float32Array.from(t.dataSync())
        ),
      };
    });
  } finally {
    setBatchNormReluFusion(before);
  }
}

/** Index of the first element where `a` and `b` differ (`===`, so -0 equals 0), or -1. */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i])) return i;
  return -1;
}
