import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { nativeKernelProfile } from "./register.ts";
import { broadcastStrides } from "./dnnl_kernels/compare.ts";

const status = await nativeForTests("compare_test.ts");

Deno.test("broadcast strides are 0 on broadcast axes and right-aligned", () => {
  assert.deepEqual(broadcastStrides([4, 1, 5], [4, 5, 5]), [5, 0, 1]);
  assert.deepEqual(broadcastStrides([5, 1], [4, 5, 5]), [0, 1, 0]);
  assert.deepEqual(broadcastStrides([1], [3, 2]), [0, 0]);
});

Deno.test({
  name: "native comparisons with broadcasting match the cpu kernels",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(41);
    nativeKernelProfile(true);
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ["less", tf.less],
      ["lessEqual", tf.lessEqual],
      ["greater", tf.greater],
      ["greaterEqual", tf.greaterEqual],
      ["equal", tf.equal],
      ["notEqual", tf.notEqual],
    ];
    const shapes: [number[], number[]][] = [
      [[64, 1, 49], [64, 49, 1]], // both operands broadcast (the saliency rank)
      [[100, 30], [100, 30]],
      [[100, 30], [30]],
      [[1], [70, 40]],
    ];
    for (const [aShape, bShape] of shapes) {
      const a = gaussian(rng, aShape);
      // Round so that equal values occur and Equal / LessEqual see ties.
      a.values = a.values.map((v) => Math.round(v * 2) / 2);
      const b = gaussian(rng, bShape);
      b.values = b.values.map((v) => Math.round(v * 2) / 2);
      for (const [name, op] of ops) {
        const diff = await nativeVsCpu([a, b], (x, y) => tf.cast(op(x, y), "float32"));
        assert(diff === 0, `${name} [${aShape}] vs [${bShape}]: native differs by ${diff}`);
      }
    }
    const prof = nativeKernelProfile(false);
    for (const kernel of ["Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual"]) {
      assert((prof.get(kernel)?.calls ?? 0) >= 4, `the native ${kernel} never ran`);
    }
  },
});
