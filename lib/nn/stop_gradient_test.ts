import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { stopGradient } from "./stop_gradient.ts";

await tf.setBackend("cpu");

Deno.test("stopGradient is the identity forward and blocks the gradient backward", () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 5; trial++) {
    const vals = Float32Array.from({ length: 6 }, () => rng.gaussian());
    const x = tf.tensor2d(vals, [2, 3]);
    assert.deepEqual(stopGradient(x).dataSync(), x.dataSync());
    // f(x) = sum(x * sg(x)): d/dx = sg(x) = x (not 2x as without the stop).
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(t, stopGradient(t))))(x);
    const got = g.dataSync();
    for (let i = 0; i < vals.length; i++) assert.ok(Math.abs(got[i] - vals[i]) < 1e-6);
    // Through the stop alone the gradient is exactly zero.
    const g0 = tf.grad((t: tf.Tensor) => tf.sum(tf.square(stopGradient(t))))(x);
    assert.ok(g0.dataSync().every((v) => v === 0));
    tf.dispose([x, g, g0]);
  }
});
