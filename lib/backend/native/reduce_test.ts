import assert, { deepEqual } from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { planReduce } from "./dnnl_kernels/reduce.ts";

const status = await nativeForTests("reduce_test.ts");

const CASES: [number[], number[]][] = [
  [[32, 8, 8, 16], [0, 1, 2]], // batch-norm statistics of an NHWC map
  [[32, 4, 4, 64], [1, 2]], // global average pool
  [[128, 64], [1]],
  [[128, 64], [0]],
  [[16, 9, 33], [0, 2]], // two separated axes (oneDNN reduction primitive)
  [[4096], [0]],
  [[5, 7], [1]], // small: cpu kernel
];

Deno.test("planReduce keeps the element count and marks reduced axes with 1", () => {
  const rng = new Rng(8);
  for (let t = 0; t < 200; t++) {
    const shape = Array.from({ length: 1 + rng.int(4) }, () => 1 + rng.int(4));
    const axes = shape.map((_, i) => i).filter(() => rng.bernoulli(0.5));
    const plan = planReduce(shape, axes, rng.bernoulli(0.5));
    deepEqual(plan.src.reduce((a, b) => a * b, 1), shape.reduce((a, b) => a * b, 1));
    plan.dst.forEach((d, i) => assert(d === 1 || d === plan.src[i]));
    const kept = shape.filter((_, i) => !axes.includes(i)).reduce((a, b) => a * b, 1);
    deepEqual(plan.dst.reduce((a, b) => a * b, 1), kept);
  }
});

Deno.test({
  name: "native Sum/Mean/Max/Min match the cpu kernels over mixed axes, with keepDims",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(9);
    for (const [shape, axes] of CASES) {
      for (const keepDims of [false, true]) {
        const x = gaussian(rng, shape);
        const diff = await nativeVsCpu([x], (t) => [
          tf.sum(t, axes, keepDims),
          tf.mean(t, axes, keepDims),
          tf.max(t, axes, keepDims),
          tf.min(t, axes, keepDims),
        ]);
        assert(diff < 1e-4, `reduce [${shape}] over [${axes}]: native differs by ${diff}`);
      }
    }
  },
});
