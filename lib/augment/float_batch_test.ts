import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import type { ImageSplit } from "../data/dataset.ts";
import { Rng } from "../rng.ts";
import { toFloatBatch } from "./float_batch.ts";

await tf.setBackend("wasm");

Deno.test("toFloatBatch: picks the indexed images and scales bytes to [0,1]", async () => {
  const rng = new Rng(41);
  const shape: [number, number, number] = [4, 5, 3];
  const size = 4 * 5 * 3;
  const count = 20;
  const split: ImageSplit = {
    images: Uint8Array.from({ length: count * size }, () => rng.int(256)),
    labels: new Int32Array(count),
    count,
  };
  const indices = Int32Array.from({ length: 9 }, () => rng.int(count));
  const t = toFloatBatch(split, indices, shape);
  assert.deepEqual(t.shape, [9, 4, 5, 3]);
  assert.equal(t.dtype, "float32");
  const d = await t.data();
  indices.forEach((src, i) => {
    for (let j = 0; j < size; j++) {
      assert.ok(Math.abs(d[i * size + j] - split.images[src * size + j] / 255) < 1e-7);
    }
  });
  t.dispose();
  assert.throws(() => toFloatBatch(split, Int32Array.of(20), shape), /outside/);
  assert.throws(() => toFloatBatch(split, Int32Array.of(0), [4, 4, 3]), /imageShape/);
});
