import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { invertMask } from "./invert_mask.ts";

await tf.setBackend("cpu");

Deno.test("invertMask swaps kept and masked, is an involution and keeps the shape", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const shape = [1 + rng.int(3), 1 + rng.int(5), 1 + rng.int(5), 1];
    const size = shape.reduce((a, b) => a * b, 1);
    const v = Float32Array.from({ length: size }, () => (rng.bernoulli(0.5) ? 1 : rng.next()));
    const m = tf.tensor(v, shape);
    const inv = invertMask(m);
    assert.deepEqual(inv.shape, shape);
    const iv = inv.dataSync();
    for (let i = 0; i < size; i++) assert.ok(Math.abs(iv[i] - (1 - v[i])) < 1e-7);
    const back = invertMask(inv).dataSync();
    for (let i = 0; i < size; i++) assert.ok(Math.abs(back[i] - v[i]) < 1e-6);
    tf.dispose([m, inv]);
  }
  assert.equal(invertMask(tf.tensor1d([1, 0], "int32")).dtype, "float32");
});
