import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";

const status = await nativeForTests("concat_test.ts");

Deno.test({
  name: "native concat and its gradient match the cpu kernels on every axis",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(5);
    const cases: [number[], number[], number][] = [
      [[64, 8, 8, 3], [32, 8, 8, 3], 0], // views stacked into one batch
      [[4, 16, 8, 3], [4, 16, 5, 3], 2],
      [[40, 30], [40, 2], 1],
    ];
    for (const [a, b, axis] of cases) {
      const diff = await nativeVsCpu([gaussian(rng, a), gaussian(rng, b)], (x, y) => {
        const f = (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.concat([p, q], axis)));
        return [tf.concat([x, y, x], axis), ...tf.grads(f)([x, y])];
      });
      assert(diff === 0, `concat [${a}] + [${b}] on axis ${axis}: native differs by ${diff}`);
    }
  },
});
