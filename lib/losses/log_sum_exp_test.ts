import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { logSumExpRows } from "./log_sum_exp.ts";

Deno.test("logSumExpRows: value and gradient match tf.logSumExp's", async () => {
  const x = tf.tensor2d([[1, 2, 3], [-1e9, 0.5, 40], [0, 0, 0]]);
  const w = tf.tensor1d([0.3, -1.2, 2]);
  const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(logSumExpRows(t as tf.Tensor2D), w)));
  const ref = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.logSumExp(t, 1), w)));
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Array.from(a).every((v, i) => Math.abs(v - b[i]) < 1e-5 * (1 + Math.abs(b[i])));
  assert.ok(close(await logSumExpRows(x).data(), await tf.logSumExp(x, 1).data()));
  assert.ok(close(await ours(x).data(), await ref(x).data()));
  // the masked entry gets no gradient
  assert.ok(Math.abs((await ours(x).data())[3]) === 0);
});

Deno.test("logSumExpRows rejects a tensor that is not a matrix", () => {
  assert.throws(
    () => logSumExpRows(tf.zeros([2, 2, 2]) as unknown as tf.Tensor2D),
    /expected \[N, M\]/,
  );
});
