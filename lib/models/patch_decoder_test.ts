import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { ParamStore } from "../nn/params.ts";
import { patchify } from "../losses/mae_reconstruction.ts";
import { PatchDecoder } from "./patch_decoder.ts";

await tf.setBackend("cpu");

function randn(rng: Rng, shape: [number, number, number, number]): tf.Tensor4D {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(Float32Array.from({ length: n }, () => rng.gaussian()), shape);
}

Deno.test("PatchDecoder: cell (i,j) alone determines the pixels of block (i,j)", () => {
  const rng = new Rng(3);
  for (const [h, s, c] of [[4, 8, 6], [3, 2, 5], [2, 4, 1]]) {
    const dec = new PatchDecoder(new ParamStore(7), "dec", {
      inChannels: c,
      cellSize: s,
      outChannels: 3,
    });
    const fmap = randn(rng, [2, h, h, c]);
    const img = dec.image(fmap);
    assert.deepEqual(img.shape, [2, h * s, h * s, 3]);
    // Perturb one cell: only its block changes.
    const [ci, cj] = [rng.int(h), rng.int(h)];
    const bump = tf.buffer([2, h, h, c], "float32", Float32Array.from(fmap.dataSync()));
    for (let k = 0; k < c; k++) bump.set(bump.get(1, ci, cj, k) + 1, 1, ci, cj, k);
    const img2 = dec.image(bump.toTensor() as tf.Tensor4D);
    const d = tf.abs(tf.sub(img2, img)).dataSync();
    const H = h * s;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < H; x++) {
        const inside = Math.floor(y / s) === ci && Math.floor(x / s) === cj;
        const off = ((H + y) * H + x) * 3; // image 1
        if (!inside) assert.equal(d[off], 0);
        assert.equal(d[((y * H) + x) * 3], 0); // image 0 untouched
      }
    }
    // patches(p) is patchify of the image, with p equal to or different from the stride.
    for (const p of [s, H % (2 * s) === 0 ? 2 * s : s, 1]) {
      const a = dec.patches(fmap, p).dataSync();
      const b = patchify(img, p).dataSync();
      for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-5);
    }
  }
});

Deno.test("PatchDecoder: rejects non-positive sizes", () => {
  assert.throws(
    () => new PatchDecoder(new ParamStore(0), "d", { inChannels: 4, cellSize: 0, outChannels: 3 }),
    /cellSize must be a positive integer/,
  );
});
