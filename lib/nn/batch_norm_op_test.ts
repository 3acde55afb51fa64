import assert from "node:assert/strict";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { batchNormTrain } from "./batch_norm_op.ts";
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from "./batch_norm_kernels.ts";

await tf.setBackend("cpu");

/** Batch norm composed of stock tf ops (the definition the fused op must match). */
function composedBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  return { y, mean, variance };
}

/** A random rank-2 or rank-4 channels-last shape. */
function randomShape(rng: Rng, rank: number): number[] {
  const c = 1 + rng.int(6);
  return rank === 2 ? [2 + rng.int(40), c] : [1 + rng.int(4), 1 + rng.int(5), 2 + rng.int(5), c];
}

/** Random inputs: x with a per-channel offset and scale, so the statistics matter. */
function randomInputs(rng: Rng, shape: number[]) {
  const c = shape[shape.length - 1];
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = Array.from({ length: c }, () => rng.gaussian() * 5);
  const spread = Array.from({ length: c }, () => 0.1 + 3 * rng.next());
  const x = Float32Array.from(
    { length: n },
    (_, i) => offset[i % c] + spread[i % c] * rng.gaussian(),
  );
  const vec = (mu: number) => tf.tensor1d(Array.from({ length: c }, () => mu + rng.gaussian()));
  return { x: tf.tensor(x, shape), gamma: vec(1), beta: vec(0) };
}

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  const av = a.dataSync();
  const bv = b.dataSync();
  assert.deepEqual(a.shape, b.shape);
  let worst = 0;
  for (let i = 0; i < av.length; i++) {
    worst = Math.max(worst, Math.abs(av[i] - bv[i]) / (1 + Math.abs(bv[i])));
  }
  return worst;
}

/**
 * Loss weights on all three outputs (`statWeight` 0 leaves the statistics out of the loss) and
 * the gradients of that loss with respect to x, gamma, beta.
 */
function lossGrads(
  op: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    y: tf.Tensor;
    mean: tf.Tensor;
    variance: tf.Tensor;
  },
  inputs: tf.Tensor[],
  seed: number,
  statWeight: number,
): tf.Tensor[] {
  const [x] = inputs;
  const c = x.shape[x.shape.length - 1];
  const wy = tf.randomNormal(x.shape, 0, 1, "float32", seed);
  const wm = tf.mul(tf.randomNormal([c], 0, 1, "float32", seed + 1), statWeight);
  const wv = tf.mul(tf.randomNormal([c], 0, 1, "float32", seed + 2), statWeight);
  return tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const o = op(x, g, b);
    return tf.addN([
      tf.sum(tf.mul(o.y, wy)),
      tf.sum(tf.mul(o.mean, wm)),
      tf.sum(tf.mul(o.variance, wv)),
    ]);
  })(inputs);
}

Deno.test("batchNormTrain forward equals the composed tf-op batch norm (rank 2 and 4)", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const rng = new Rng(seed);
    for (const rank of [2, 4]) {
      tf.tidy(() => {
        const { x, gamma, beta } = randomInputs(rng, randomShape(rng, rank));
        const got = batchNormTrain(x, gamma, beta, 1e-5);
        const want = composedBatchNorm(x, gamma, beta, 1e-5);
        for (const k of ["y", "mean", "variance"] as const) {
          const d = maxDiff(got[k], want[k]);
          assert.ok(d < 2e-5, `seed ${seed} [${x.shape}] ${k}: differs by ${d}`);
        }
      });
    }
  }
});

Deno.test("batchNormTrain gradient equals autograd of the composed version, statistics in the loss or not", () => {
  const before = tf.memory().numTensors;
  for (const seed of [11, 12, 13, 14, 15]) {
    const rng = new Rng(seed);
    for (const rank of [2, 4]) {
      for (const statWeight of [0, 1]) {
        tf.tidy(() => {
          const { x, gamma, beta } = randomInputs(rng, randomShape(rng, rank));
          const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(x, g, b, 1e-3);
          const ref = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            composedBatchNorm(x, g, b, 1e-3);
          const got = lossGrads(fused, [x, gamma, beta], seed, statWeight);
          const want = lossGrads(ref, [x, gamma, beta], seed, statWeight);
          ["dx", "dgamma", "dbeta"].forEach((name, i) => {
            const d = maxDiff(got[i], want[i]);
            assert.ok(d < 1e-4, `seed ${seed} [${x.shape}] stats ${statWeight} ${name}: ${d}`);
          });
        });
      }
    }
  }
  assert.equal(tf.memory().numTensors, before, "the fused op leaked tensors");
});

Deno.test("the kernels composed from a backend's stock kernels (wasm, webgpu path) equal the cpu loops", async () => {
  // A cpu backend without the dedicated kernels, so the op composes them from stock kernels.
  const name = "bn-composed-test";
  tf.registerBackend(name, () => {
    const backend = new MathBackendCPU();
    (backend as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node advert
    return backend;
  }, 0);
  for (const config of tf.getKernelsForBackend("cpu")) {
    if (config.kernelName === BATCH_NORM_TRAIN || config.kernelName === BATCH_NORM_TRAIN_GRAD) {
      continue;
    }
    tf.registerKernel({ ...config, backendName: name });
  }
  try {
    for (const seed of [21, 22, 23]) {
      const rng = new Rng(seed);
      for (const rank of [2, 4]) {
        const shape = randomShape(rng, rank);
        const results: Float32Array[][] = [];
        for (const backend of ["cpu", name]) {
          await tf.setBackend(backend);
          results.push(tf.tidy(() => {
            const { x, gamma, beta } = randomInputs(new Rng(seed), shape);
            const fused = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormTrain(x, g, b);
            const o = batchNormTrain(x, gamma, beta);
            const g = lossGrads(fused, [x, gamma, beta], seed, 1);
            return [o.y, o.mean, o.variance, ...g].map((t) => Float32Array.from(t.dataSync()));
          }));
        }
        results[0].forEach((want, i) => {
          const d = maxDiff(tf.tensor(results[1][i]), tf.tensor(want));
          assert.ok(d < 1e-4, `seed ${seed} [${shape}] output ${i}: composed differs by ${d}`);
        });
      }
    }
  } finally {
    await tf.setBackend("cpu");
    tf.removeBackend(name);
  }
});

Deno.test("batchNormTrain rejects mismatched gamma, low rank and int input with the fix", () => {
  tf.tidy(() => {
    const x = tf.zeros([4, 3]);
    assert.throws(
      () => batchNormTrain(x, tf.ones([2]), tf.zeros([3])),
      /gamma has shape \[2\].*pass a \[3\]/,
    );
    assert.throws(() => batchNormTrain(tf.zeros([3]), tf.ones([3]), tf.zeros([3])), /rank >= 2/);
    assert.throws(
      () => batchNormTrain(tf.zeros([4, 3], "int32"), tf.ones([3]), tf.zeros([3])),
      /x is int32; cast it to float32/,
    );
  });
});
