import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  applyGrayscale,
  LUMA_WEIGHTS,
  randomGrayscale,
  sampleGrayscaleFlags,
} from "./grayscale.ts";

await tf.setBackend("wasm");

const lumaOf = (d: ArrayLike<number>, p: number) =>
  LUMA_WEIGHTS[0] * d[3 * p] + LUMA_WEIGHTS[1] * d[3 * p + 1] + LUMA_WEIGHTS[2] * d[3 * p + 2];

Deno.test("applyGrayscale: flagged images get equal channels with unchanged luma", async () => {
  const rng = new Rng(21);
  const [n, h, w] = [12, 6, 5];
  const data = Float32Array.from({ length: n * h * w * 3 }, () => rng.next());
  const x = tf.tensor4d(data, [n, h, w, 3]);
  const flags = sampleGrayscaleFlags(rng, n, 0.5);
  assert.ok(flags.some((f) => f === 1) && flags.some((f) => f === 0));
  const before = tf.memory().numTensors;
  const y = applyGrayscale(x, flags);
  const yd = await y.data();
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < h * w; q++) {
      const p = i * h * w + q;
      if (flags[i] === 1) {
        assert.ok(Math.abs(yd[3 * p] - yd[3 * p + 1]) < 1e-6);
        assert.ok(Math.abs(yd[3 * p] - yd[3 * p + 2]) < 1e-6);
        assert.ok(Math.abs(lumaOf(yd, p) - lumaOf(data, p)) < 1e-5);
      } else {
        for (let ch = 0; ch < 3; ch++) assert.equal(yd[3 * p + ch], data[3 * p + ch]);
      }
    }
  }
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

Deno.test("grayscale: probability is respected; non-RGB input is rejected", () => {
  const flags = sampleGrayscaleFlags(new Rng(22), 5000, 0.2);
  const frac = flags.reduce((s, f) => s + f, 0) / flags.length;
  assert.ok(Math.abs(frac - 0.2) < 0.03, `got ${frac}`);
  const gray = tf.zeros([2, 4, 4, 1]) as tf.Tensor4D;
  assert.throws(() => randomGrayscale(gray, new Rng(1), 0.2), /3 channels/);
  gray.dispose();
});
