import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { batchNormTrain } from "../../nn/batch_norm_op.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { nativeKernelProfile } from "./register.ts";

const status = await nativeForTests("batch_norm_test.ts");

const SHAPES: number[][] = [
  [16, 8, 8, 32], // NHWC map (oneDNN nhwc)
  [8, 4, 4, 64],
  [256, 48], // projection-head vector (oneDNN [rows, C, 1, 1])
  [6, 5, 7, 130], // odd channel count
  [3, 2, 5], // rank 3, below the native size threshold: cpu loops
];

/** Forward outputs and the gradients of sum(y*w) (+ statistics when `stats`) wrt x, gamma, beta. */
function forwardAndGrads(stats: boolean) {
  return (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w: tf.Tensor): tf.Tensor[] => {
    const o = batchNormTrain(x, gamma, beta);
    const g = tf.grads((x: tf.Tensor, gm: tf.Tensor, b: tf.Tensor) => {
      const r = batchNormTrain(x, gm, b);
      const loss = tf.sum(tf.mul(r.y, w));
      return stats ? tf.add(loss, tf.sum(tf.mul(r.variance, tf.add(r.mean, 1)))) : loss;
    })([x, gamma, beta]);
    return [o.y, o.mean, o.variance, ...g];
  };
}

Deno.test({
  name: "native fused batch norm (oneDNN) forward and gradients match the cpu kernels",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(31);
    nativeKernelProfile(true);
    for (const shape of SHAPES) {
      const c = shape[shape.length - 1];
      const x = gaussian(rng, shape);
      x.values.forEach((v, i) => (x.values[i] = 2 * v + (i % c) - c / 2));
      const gamma = gaussian(rng, [c]);
      const beta = gaussian(rng, [c]);
      const w = gaussian(rng, shape);
      for (const stats of [false, true]) {
        const diff = await nativeVsCpu([x, gamma, beta, w], forwardAndGrads(stats));
        assert(diff < 1e-4, `batch norm [${shape}] stats ${stats}: native differs by ${diff}`);
      }
    }
    // oneDNN ran both kernels (not only the cpu fallback).
    const prof = nativeKernelProfile(false);
    assert((prof.get("KitBatchNormTrain")?.calls ?? 0) > 0, "native forward never ran");
    assert((prof.get("KitBatchNormTrainGrad")?.calls ?? 0) > 0, "native backward never ran");
  },
});
