import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { applyFlips, randomHorizontalFlip, sampleFlips } from "./flip.ts";

await tf.setBackend("wasm");

Deno.test("sampleFlips: about a fraction p of images is flipped", () => {
  const rng = new Rng(11);
  for (const p of [0, 0.5, 1]) {
    const flags = sampleFlips(rng, 4000, p);
    const frac = flags.reduce((s, f) => s + f, 0) / flags.length;
    assert.ok(Math.abs(frac - p) < 0.04, `p=${p} got ${frac}`);
  }
  assert.throws(() => sampleFlips(rng, 4, 1.5), /probability/);
});

Deno.test("applyFlips: mirrors exactly the flagged images and is an involution", async () => {
  const rng = new Rng(12);
  const [n, h, w, c] = [10, 5, 7, 3];
  const data = Float32Array.from({ length: n * h * w * c }, () => rng.next());
  const x = tf.tensor4d(data, [n, h, w, c]);
  const flags = sampleFlips(rng, n, 0.5);
  const before = tf.memory().numTensors;
  const y = applyFlips(x, flags);
  const yd = await y.data();
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        for (let ch = 0; ch < c; ch++) {
          const srcCol = flags[i] === 1 ? w - 1 - col : col;
          assert.equal(
            yd[((i * h + r) * w + col) * c + ch],
            data[((i * h + r) * w + srcCol) * c + ch],
          );
        }
      }
    }
  }
  const back = applyFlips(y, flags);
  assert.deepEqual(await back.data(), data);
  tf.dispose([y, back]);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => applyFlips(x, new Uint8Array(n + 1)), /one per image/);
  const z = randomHorizontalFlip(x, new Rng(1), 0);
  assert.deepEqual(await z.data(), data);
  tf.dispose([x, z]);
});
