import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { decode } from "fast-png";
import { Rng } from "../rng.ts";
import { encodePng, maskGrid, tileColumns } from "./mask_grid.ts";
import { randomTokenMask } from "./token_masks.ts";
import { applyVisualMask } from "./visual_mask.ts";

await tf.setBackend("cpu");

function randomImages(
  rng: Rng,
  shape: [number, number, number, number],
  lo = 0,
  hi = 1,
): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(Float32Array.from({ length: size }, () => rng.uniform(lo, hi)), shape);
}

Deno.test("maskGrid: layout, separators, byte values and grey masks", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const [n, h, w] = [1 + rng.int(4), 3 + rng.int(10), 3 + rng.int(10)];
    const sep = rng.int(3);
    const images = randomImages(rng, [n, h, w, 3]);
    const masks = randomTokenMask({ n, height: h, width: w, tokenSize: 2, tokenCount: 3, rng });
    const masked = applyVisualMask(images, masks, { kind: "noise", std: 1 }, rng);
    const g = maskGrid({ images, masks, masked, separator: sep, separatorValue: 128 });
    assert.equal(g.width, 3 * w + 2 * sep);
    assert.equal(g.height, n * h + (n - 1) * sep);
    assert.equal(g.data.length, g.width * g.height * 3);
    const cols = [images.dataSync(), masks.dataSync(), masked.dataSync()];
    const chans = [3, 1, 3];
    for (let row = 0; row < g.height; row++) {
      for (let x = 0; x < g.width; x++) {
        const [i, y] = [Math.floor(row / (h + sep)), row % (h + sep)];
        const [k, xx] = [Math.floor(x / (w + sep)), x % (w + sep)];
        for (let ch = 0; ch < 3; ch++) {
          const got = g.data[(row * g.width + x) * 3 + ch];
          if (y >= h || xx >= w) {
            assert.equal(got, 128, "separator");
            continue;
          }
          const c = chans[k];
          const v = cols[k][((i * h + y) * w + xx) * c + (c === 1 ? 0 : ch)];
          assert.equal(got, Math.round(Math.min(1, Math.max(0, v)) * 255));
        }
      }
    }
    tf.dispose([images, masks, masked]);
  }
});

Deno.test("tileColumns: minmax stretches each image to 0..255; bad shapes are rejected", () => {
  const rng = new Rng(4);
  const x = randomImages(rng, [2, 4, 5, 1], -3, 7);
  const g = tileColumns([x], { range: "minmax", separator: 1 });
  const v = x.dataSync();
  for (let i = 0; i < 2; i++) {
    const img = v.subarray(i * 20, (i + 1) * 20);
    const [lo, hi] = [Math.min(...img), Math.max(...img)];
    for (let p = 0; p < 20; p++) {
      const [y, xx] = [Math.floor(p / 5), p % 5];
      const got = g.data[((i * 5 + y) * g.width + xx) * 3];
      assert.equal(got, Math.round(((img[p] - lo) * 255) / (hi - lo)));
    }
  }
  assert.throws(() => tileColumns([x, tf.zeros([2, 4, 4, 1]) as tf.Tensor4D]), /column 1/);
  assert.throws(() => tileColumns([tf.zeros([2, 4, 5, 2]) as tf.Tensor4D]), /1\|3/);
  x.dispose();
});

Deno.test("encodePng round-trips through fast-png's decoder", () => {
  const rng = new Rng(6);
  const images = randomImages(rng, [3, 8, 8, 3]);
  const masks = randomTokenMask({ n: 3, height: 8, width: 8, tokenSize: 3, tokenCount: 2, rng });
  const g = maskGrid({ images, masks, masked: applyVisualMask(images, masks, { kind: "zero" }) });
  const png = encodePng(g);
  assert.deepEqual(Array.from(png.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
  const back = decode(png);
  assert.deepEqual([back.width, back.height, back.channels, back.depth], [g.width, g.height, 3, 8]);
  assert.deepEqual(Array.from(back.data), Array.from(g.data));
  assert.throws(() => encodePng({ width: 2, height: 2, data: new Uint8Array(5) }), /12 expected/);
});
