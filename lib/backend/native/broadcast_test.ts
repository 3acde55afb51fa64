import assert, { deepEqual } from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { broadcastCopy } from "./dnnl_kernels/broadcast_copy.ts";
import { planBroadcast } from "./dnnl_kernels/broadcast_plan.ts";
import { nativeKernelProfile } from "./register.ts";

const status = await nativeForTests("broadcast_test.ts");

Deno.test("broadcastCopy writes out[i] = src[broadcast index of i] for random shapes", () => {
  const rng = new Rng(15);
  for (let t = 0; t < 100; t++) {
    const out = Array.from({ length: 1 + rng.int(4) }, () => 1 + rng.int(5));
    const src = out.map((d) => (rng.bernoulli(0.5) ? 1 : d));
    const plan = planBroadcast(out, src, false)!;
    const values = gaussian(rng, src).values;
    const got = new Float32Array(plan.dims0.reduce((a, b) => a * b, 1));
    broadcastCopy(values, plan.dims1, got, plan.dims0);
    // Reference: direct index arithmetic on the unmerged shapes.
    const want = new Float32Array(got.length);
    for (let i = 0; i < want.length; i++) {
      let rem = i;
      let srcIndex = 0;
      let srcStride = 1;
      for (let a = out.length - 1; a >= 0; a--) {
        const coord = rem % out[a];
        rem = Math.floor(rem / out[a]);
        if (src[a] !== 1) srcIndex += coord * srcStride;
        srcStride *= src[a];
      }
      want[i] = values[srcIndex];
    }
    deepEqual(got, want, `[${src}] -> [${out}]`);
  }
});

Deno.test({
  name: "native Tile (broadcastTo) and the Mean gradient match the cpu backend",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(16);
    const cases: [number[], number[]][] = [
      [[16, 8, 8, 32], [0, 1, 2]],
      [[16, 4, 4, 64], [1, 2]],
      [[64, 128], [1]],
    ];
    for (const [shape, axes] of cases) {
      const diff = await nativeVsCpu([gaussian(rng, shape), gaussian(rng, shape)], (x, r) => {
        const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.mean(tf.mul(t, r), axes), 3));
        const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        return [tf.grad(f)(x), tf.broadcastTo(tf.mean(x, axes, true).reshape(kept), shape)];
      });
      assert(diff < 1e-5, `mean grad / broadcast [${shape}] over [${axes}]: diff ${diff}`);
    }
  },
});

Deno.test({
  name: "native Tile with repeated axes of any size matches the cpu kernel bit for bit",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(17);
    nativeKernelProfile(true);
    const cases: [number[], number[]][] = [
      [[64, 256], [3, 1]], // embeddings tiled per stream
      [[32, 1, 40], [2, 5, 1]], // size-1 and repeated axes mixed
      [[4, 6, 7, 3], [1, 2, 3, 4]], // every axis repeated, short rows
      [[2048], [2]],
    ];
    for (const [shape, reps] of cases) {
      const diff = await nativeVsCpu([gaussian(rng, shape)], (x) => tf.tile(x, reps));
      assert(diff === 0, `tile [${shape}] by [${reps}]: native differs by ${diff}`);
    }
    assert.equal(nativeKernelProfile(false).get("Tile")?.calls, 4, "native Tile calls");
  },
});
