import assert from "node:assert/strict";
import jpeg from "jpeg-js";
import { encode as encodePng } from "fast-png";
import { decodeImage, decodeJpeg, decodePng } from "./image_decode.ts";
import { convertChannels } from "./resize.ts";
import { Rng } from "../rng.ts";

function randomBytes(rng: Rng, n: number, max = 256): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(max);
  return out;
}

/** A smooth random RGB image (JPEG-friendly): sums of low-frequency sinusoids. */
function smoothImage(rng: Rng, h: number, w: number): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  const f = Array.from({ length: 9 }, () => rng.uniform(0.05, 0.3));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 128 + 60 * Math.sin(f[c] * x + f[c + 3] * y) + 40 * Math.cos(f[c + 6] * (x - y));
        out[(y * w + x) * 3 + c] = Math.round(v);
      }
    }
  }
  return out;
}

Deno.test("decodePng: 8-bit gray/gray+alpha/RGB/RGBA decode exactly (alpha dropped)", () => {
  const rng = new Rng(10);
  for (const channels of [1, 2, 3, 4]) {
    const h = 1 + rng.int(20), w = 1 + rng.int(20);
    const data = randomBytes(rng, h * w * channels);
    const png = encodePng({ width: w, height: h, data, channels, depth: 8 });
    const img = decodePng(png, "x.png");
    const outC = channels >= 3 ? 3 : 1;
    assert.equal(img.channels, outC);
    assert.equal(img.height, h);
    assert.equal(img.width, w);
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < outC; c++) assert.equal(img.data[p * outC + c], data[p * channels + c]);
    }
  }
});

Deno.test("decodePng: 16-bit samples round to the nearest 8-bit value", () => {
  const rng = new Rng(11);
  const h = 7, w = 9;
  const data = new Uint16Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(65536);
  const img = decodePng(encodePng({ width: w, height: h, data, channels: 3, depth: 16 }), "x.png");
  for (let i = 0; i < data.length; i++) {
    assert.ok(Math.abs(img.data[i] - data[i] / 257) <= 0.5 + 1e-9);
  }
});

Deno.test("decodePng: sub-byte gray depths scale to 0..255", () => {
  const rng = new Rng(12);
  for (const depth of [1, 2, 4] as const) {
    const h = 5, w = 11; // odd width exercises row padding
    const values = randomBytes(rng, h * w, 1 << depth);
    const rowBytes = Math.ceil((w * depth) / 8);
    const packed = new Uint8Array(rowBytes * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const bit = x * depth;
        packed[y * rowBytes + (bit >> 3)] |= values[y * w + x] << (8 - depth - (bit & 7));
      }
    }
    const img = decodePng(
      encodePng({ width: w, height: h, data: packed, channels: 1, depth }),
      "x.png",
    );
    const max = (1 << depth) - 1;
    for (let i = 0; i < h * w; i++) assert.equal(img.data[i], Math.round((values[i] * 255) / max));
  }
});

Deno.test("decodePng: palette images expand to the palette colours", () => {
  const rng = new Rng(13);
  const palette = Array.from({ length: 16 }, () => [rng.int(256), rng.int(256), rng.int(256)]);
  const h = 6, w = 8;
  const idx = randomBytes(rng, h * w, 16);
  const png = encodePng({ width: w, height: h, data: idx, channels: 1, depth: 8, palette });
  const img = decodePng(png, "p.png");
  assert.equal(img.channels, 3);
  for (let p = 0; p < h * w; p++) {
    assert.deepEqual(Array.from(img.data.subarray(3 * p, 3 * p + 3)), palette[idx[p]]);
  }
});

Deno.test("decodeJpeg: smooth random images survive a quality-95 round trip", () => {
  const rng = new Rng(14);
  for (let trial = 0; trial < 4; trial++) {
    const h = 8 + rng.int(40), w = 8 + rng.int(40);
    const rgb = smoothImage(rng, h, w);
    const rgba = new Uint8Array(h * w * 4);
    for (let p = 0; p < h * w; p++) {
      rgba.set(rgb.subarray(3 * p, 3 * p + 3), 4 * p);
      rgba[4 * p + 3] = 255;
    }
    const bytes = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
    const img = decodeImage(bytes, "x.jpg");
    assert.equal(img.channels, 3);
    assert.equal(img.height, h);
    let err = 0;
    for (let i = 0; i < rgb.length; i++) err += Math.abs(img.data[i] - rgb[i]);
    assert.ok(err / rgb.length < 4, `mean abs error ${err / rgb.length}`);
    const gray = decodeJpeg(bytes, "x.jpg", 1);
    assert.deepEqual(gray.data, convertChannels(img.data, h, w, 3, 1));
  }
});

Deno.test("decodeImage: corrupt or unknown bytes give an error naming the file", () => {
  const rng = new Rng(15);
  const png = encodePng({ width: 4, height: 4, data: randomBytes(rng, 48), channels: 3, depth: 8 });
  assert.throws(() => decodeImage(png.subarray(0, 40), "cut.png"), /cut\.png: cannot decode PNG/);
  const flipped = png.slice();
  flipped[png.length - 20] ^= 0xff;
  assert.throws(() => decodeImage(flipped, "crc.png"), /crc\.png/);
  const rgba = new Uint8Array(16 * 16 * 4).fill(200);
  const jpg = new Uint8Array(jpeg.encode({ width: 16, height: 16, data: rgba }, 90).data);
  assert.throws(() => decodeImage(jpg.subarray(0, 30), "cut.jpg"), /cut\.jpg/);
  assert.throws(
    () => decodeImage(randomBytes(rng, 100), "noise.bin"),
    /noise\.bin: not a JPEG or PNG/,
  );
});
