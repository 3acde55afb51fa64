import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { normalizeChannels } from "./normalize.ts";

await tf.setBackend("wasm");

Deno.test("normalizeChannels: with the data's own statistics gives zero mean, unit std", async () => {
  const rng = new Rng(31);
  for (const c of [1, 3, 4]) {
    const n = 4 * 8 * 8;
    const data = Float32Array.from(
      { length: n * c },
      (_, i) => 0.3 * (i % c) + rng.uniform(0, 0.5 + 0.2 * (i % c)),
    );
    const mean: number[] = [];
    const std: number[] = [];
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      let s2 = 0;
      for (let p = 0; p < n; p++) (s += data[p * c + ch]), (s2 += data[p * c + ch] ** 2);
      mean.push(s / n);
      std.push(Math.sqrt(s2 / n - (s / n) ** 2));
    }
    const x = tf.tensor4d(data, [4, 8, 8, c]);
    const before = tf.memory().numTensors;
    const y = normalizeChannels(x, { mean, std });
    const m = tf.moments(y, [0, 1, 2]);
    const mv = await m.mean.data();
    const vv = await m.variance.data();
    for (let ch = 0; ch < c; ch++) {
      assert.ok(Math.abs(mv[ch]) < 1e-4);
      assert.ok(Math.abs(vv[ch] - 1) < 1e-3);
    }
    tf.dispose([y, m.mean, m.variance]);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  }
});

Deno.test("normalizeChannels: rejects mismatched channel counts and non-positive std", () => {
  const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
  assert.throws(() => normalizeChannels(x, { mean: [0, 0], std: [1, 1] }), /one mean and one std/);
  assert.throws(() => normalizeChannels(x, { mean: [0, 0, 0], std: [1, 0, 1] }), /std must be > 0/);
  x.dispose();
});
