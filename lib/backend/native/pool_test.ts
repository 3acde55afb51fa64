import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";

const status = await nativeForTests("pool_test.ts");

Deno.test({
  name: "native max/avg pooling and their gradients match the cpu kernels",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(11);
    const cases: [number[], number, number, "same" | "valid"][] = [
      [[2, 8, 8, 4], 2, 2, "valid"],
      [[1, 7, 9, 3], 3, 2, "same"], // odd, non-square, asymmetric padding
      [[3, 6, 6, 5], 3, 1, "same"],
    ];
    for (const [shape, k, s, pad] of cases) {
      const x = gaussian(rng, shape);
      const diff = await nativeVsCpu([x], (t) => {
        const x4 = t as tf.Tensor4D;
        const f = (a: tf.Tensor) =>
          tf.add(
            tf.sum(tf.square(tf.maxPool(a as tf.Tensor4D, k, s, pad))),
            tf.sum(tf.square(tf.avgPool(a as tf.Tensor4D, k, s, pad))),
          );
        return [tf.maxPool(x4, k, s, pad), tf.avgPool(x4, k, s, pad), tf.grad(f)(x4)];
      });
      assert(diff < 1e-5, `pool [${shape}] k${k} s${s} ${pad}: native differs by ${diff}`);
    }
  },
});
