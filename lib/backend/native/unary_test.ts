import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";

const status = await nativeForTests("unary_test.ts");

const OPS: [string, (x: tf.Tensor) => tf.Tensor][] = [
  ["relu", tf.relu],
  ["sqrt", (x) => tf.sqrt(tf.abs(x))],
  ["rsqrt", (x) => tf.rsqrt(tf.add(tf.abs(x), 0.1))],
  ["square", tf.square],
  ["neg", tf.neg],
  ["exp", tf.exp],
  ["log", (x) => tf.log(tf.add(tf.abs(x), 0.1))],
  ["abs", tf.abs],
  ["tanh", tf.tanh],
  ["sigmoid", tf.sigmoid],
  ["step", (x) => tf.step(x)],
  ["relu gradient", (x) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), x)))(x)],
  ["fill", (x) => tf.add(tf.fill(x.shape, 0.25), x)],
];

Deno.test({
  name: "native unary kernels match the cpu kernels on large and small random tensors",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(6);
    for (const shape of [[32, 16, 16, 8], [7, 13, 33], [5, 3]]) {
      for (const [name, op] of OPS) {
        const diff = await nativeVsCpu([gaussian(rng, shape)], op);
        assert(diff < 1e-5, `${name} [${shape}]: native differs from cpu by ${diff}`);
      }
    }
  },
});
