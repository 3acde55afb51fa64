import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import type { ImageSplit } from "../data/dataset.ts";
import { Rng } from "../rng.ts";
import { extractFeatures } from "./features.ts";

await tf.setBackend("wasm");

const SHAPE: [number, number, number] = [4, 3, 3];

function randomSplit(rng: Rng, count: number): ImageSplit {
  return {
    images: Uint8Array.from({ length: count * 36 }, () => rng.int(256)),
    labels: new Int32Array(count),
    count,
  };
}

/** Encoder: per-channel mean of the normalised image, plus its square (dim 2C). */
const encode = (x: tf.Tensor4D) => {
  const m = tf.mean(x, [1, 2]);
  return tf.concat([m, tf.square(m)], 1) as tf.Tensor2D;
};

Deno.test("extractFeatures: rows equal the encoder applied to each normalised image", async () => {
  const rng = new Rng(10);
  const split = randomSplit(rng, 23);
  const stats = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
  const indices = Int32Array.from({ length: 11 }, () => rng.int(23));
  for (const idx of [undefined, indices]) {
    const before = tf.memory().numTensors;
    const f = await extractFeatures(encode, split, {
      batchSize: 5,
      imageShape: SHAPE,
      normalize: stats,
      indices: idx,
    });
    assert.equal(tf.memory().numTensors, before, "no leaked tensors");
    const rows = idx ?? Int32Array.from({ length: 23 }, (_, i) => i);
    assert.equal(f.count, rows.length);
    assert.equal(f.dim, 6);
    rows.forEach((src, r) => {
      for (let ch = 0; ch < 3; ch++) {
        let s = 0;
        for (let p = 0; p < 12; p++) {
          s += (split.images[src * 36 + p * 3 + ch] / 255 - stats.mean[ch]) / stats.std[ch];
        }
        const m = s / 12;
        assert.ok(Math.abs(f.data[r * 6 + ch] - m) < 1e-4);
        assert.ok(Math.abs(f.data[r * 6 + 3 + ch] - m * m) < 1e-4);
      }
    });
  }
});

Deno.test("extractFeatures: rejects encoders that do not return [batch, dim]", async () => {
  const split = randomSplit(new Rng(11), 6);
  const before = tf.memory().numTensors;
  const bad = (x: tf.Tensor4D) => tf.reshape(tf.mean(x, [1, 2]), [-1]) as unknown as tf.Tensor2D;
  await assert.rejects(
    () => extractFeatures(bad, split, { batchSize: 4, imageShape: SHAPE, normalize: null }),
    /\[batch, dim\]/,
  );
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(
    () => extractFeatures(encode, split, { batchSize: 0, imageShape: SHAPE, normalize: null }),
    /batchSize/,
  );
});
