import assert from "node:assert/strict";
import { convertChannels, resizeImage } from "./resize.ts";
import { Rng } from "../rng.ts";

function randomImage(rng: Rng, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(h * w * c);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

Deno.test("resizeImage: same size is an exact copy", () => {
  const rng = new Rng(20);
  const img = randomImage(rng, 13, 7, 3);
  assert.deepEqual(resizeImage(img, 13, 7, 3, 13, 7), img);
});

Deno.test("resizeImage: constant images stay constant at any size", () => {
  const rng = new Rng(21);
  for (let t = 0; t < 20; t++) {
    const v = rng.int(256), c = 1 + rng.int(3);
    const h = 1 + rng.int(40), w = 1 + rng.int(40);
    const oh = 1 + rng.int(40), ow = 1 + rng.int(40);
    const out = resizeImage(new Uint8Array(h * w * c).fill(v), h, w, c, oh, ow);
    assert.equal(out.length, oh * ow * c);
    assert.ok(out.every((x) => x === v));
  }
});

Deno.test("resizeImage: integer-factor shrink is the block mean", () => {
  const rng = new Rng(22);
  for (let t = 0; t < 10; t++) {
    const k = 2 + rng.int(3), oh = 1 + rng.int(8), ow = 1 + rng.int(8), c = 3;
    const h = oh * k, w = ow * k;
    const img = randomImage(rng, h, w, c);
    const out = resizeImage(img, h, w, c, oh, ow);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let dy = 0; dy < k; dy++) {
            for (let dx = 0; dx < k; dx++) s += img[((y * k + dy) * w + x * k + dx) * c + ch];
          }
          assert.ok(Math.abs(out[(y * ow + x) * c + ch] - s / (k * k)) <= 0.5 + 1e-3);
        }
      }
    }
  }
});

Deno.test("resizeImage: area shrink preserves the image mean (any ratio)", () => {
  const rng = new Rng(23);
  for (let t = 0; t < 10; t++) {
    const h = 20 + rng.int(40), w = 20 + rng.int(40);
    const oh = 3 + rng.int(h - 3), ow = 3 + rng.int(w - 3);
    const img = randomImage(rng, h, w, 1);
    const out = resizeImage(img, h, w, 1, oh, ow);
    const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(out) - mean(img)) < 0.6, `${mean(out)} vs ${mean(img)}`);
  }
});

Deno.test("resizeImage: bilinear growth keeps linear ramps linear and stays in range", () => {
  const rng = new Rng(24);
  for (let t = 0; t < 10; t++) {
    const w = 4 + rng.int(10), ow = w * (2 + rng.int(3));
    const a = rng.int(10), b = 1 + rng.int(20);
    const img = new Uint8Array(w).map((_, x) => a + b * x);
    const out = resizeImage(img, 1, w, 1, 1, ow);
    const scale = w / ow;
    for (let o = 0; o < ow; o++) {
      const pos = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), w - 1);
      assert.ok(Math.abs(out[o] - (a + b * pos)) <= 0.5 + 1e-3);
    }
    const noise = randomImage(rng, 5, 5, 2);
    const big = resizeImage(noise, 5, 5, 2, 17, 23);
    const lo = Math.min(...noise), hi = Math.max(...noise);
    assert.ok(big.every((v) => v >= lo && v <= hi));
  }
});

Deno.test("convertChannels: gray->RGB->gray is the identity; RGB->gray is BT.601 luma", () => {
  const rng = new Rng(25);
  const gray = randomImage(rng, 9, 11, 1);
  const rgb = convertChannels(gray, 9, 11, 1, 3);
  for (let p = 0; p < gray.length; p++) {
    assert.deepEqual([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]], [gray[p], gray[p], gray[p]]);
  }
  assert.deepEqual(convertChannels(rgb, 9, 11, 3, 1), gray);
  const col = randomImage(rng, 4, 4, 3);
  const g = convertChannels(col, 4, 4, 3, 1);
  for (let p = 0; p < 16; p++) {
    const l = 0.299 * col[3 * p] + 0.587 * col[3 * p + 1] + 0.114 * col[3 * p + 2];
    assert.ok(Math.abs(g[p] - l) <= 0.5 + 1e-9);
  }
  assert.throws(() => convertChannels(col, 4, 5, 3, 1), /real shape/);
});
