import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { applyGaussianBlur } from "../augment/gaussian_blur.ts";
import {
  applyVisualMask,
  clampBlurKernel,
  gaussianBlurAll,
  highPass,
  type MaskFill,
  maskFillImage,
  scaleGaussianFilter,
} from "./visual_mask.ts";

await tf.setBackend("cpu");

function randomImages(rng: Rng, n: number, h: number, w: number, c: number): tf.Tensor4D {
  const v = new Float32Array(n * h * w * c);
  for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-1, 2);
  return tf.tensor4d(v, [n, h, w, c]);
}

function randomBinaryMask(rng: Rng, n: number, h: number, w: number): tf.Tensor4D {
  const p = rng.uniform(0.2, 0.8);
  const v = new Float32Array(n * h * w);
  for (let i = 0; i < v.length; i++) v[i] = rng.bernoulli(p) ? 1 : 0;
  return tf.tensor4d(v, [n, h, w, 1]);
}

const FILLS: MaskFill[] = [
  { kind: "noise", std: 0.7 },
  { kind: "zero" },
  { kind: "mean" },
  { kind: "blur" },
  { kind: "blur", kernel: 5, sigma: 1 },
  { kind: "constant", value: 0.25 },
];

Deno.test("applyVisualMask: kept pixels are x, masked pixels are the fill (F2), for every fill", () => {
  const before = tf.memory().numTensors;
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const [n, h, w, c] = [1 + rng.int(3), 6 + rng.int(20), 6 + rng.int(20), 1 + rng.int(3)];
    const x = randomImages(rng, n, h, w, c);
    const m = randomBinaryMask(rng, n, h, w);
    const xv = x.dataSync();
    const mv = m.dataSync();
    for (const fill of FILLS) {
      // Same seed for the call and the reference fill: the noise must be reproducible.
      const out = applyVisualMask(x, m, fill, new Rng(seed + 100));
      const ref = maskFillImage(x, fill, new Rng(seed + 100));
      const ov = out.dataSync();
      const rv = ref.dataSync();
      for (let i = 0; i < ov.length; i++) {
        const keep = mv[Math.floor(i / c)] === 1;
        assert.equal(ov[i], keep ? xv[i] : rv[i], `${fill.kind} at ${i} (kept=${keep})`);
      }
      out.dispose();
      ref.dispose();
    }
    x.dispose();
    m.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("maskFillImage: mean is per image and channel, constant and zero are exact", () => {
  const rng = new Rng(7);
  const [n, h, w, c] = [3, 5, 7, 3];
  const x = randomImages(rng, n, h, w, c);
  const xv = x.dataSync();
  const mean = maskFillImage(x, { kind: "mean" }).dataSync();
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let p = 0; p < h * w; p++) s += xv[(i * h * w + p) * c + ch];
      for (let p = 0; p < h * w; p++) {
        assert.ok(Math.abs(mean[(i * h * w + p) * c + ch] - s / (h * w)) < 1e-5);
      }
    }
  }
  assert.ok(maskFillImage(x, { kind: "constant", value: -3 }).dataSync().every((v) => v === -3));
  assert.ok(maskFillImage(x, { kind: "zero" }).dataSync().every((v) => v === 0));
  x.dispose();
});

Deno.test("maskFillImage: noise has the requested std and depends only on the Rng", () => {
  const x = tf.zeros([4, 16, 16, 3]) as tf.Tensor4D;
  for (const std of [0.18, 1, 2.5]) {
    const a = Float32Array.from(maskFillImage(x, { kind: "noise", std }, new Rng(5)).dataSync());
    const b = maskFillImage(x, { kind: "noise", std }, new Rng(5)).dataSync();
    const d = maskFillImage(x, { kind: "noise", std }, new Rng(6)).dataSync();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, d);
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
    assert.ok(Math.abs(m) < 0.1 * std, `mean ${m}`);
    assert.ok(Math.abs(sd / std - 1) < 0.06, `std ${sd} vs ${std}`);
  }
  assert.throws(() => maskFillImage(x, { kind: "noise", std: 1 }), /needs an Rng/);
  x.dispose();
});

Deno.test("all-ones mask is the identity and all-zeros mask gives the fill, for every fill", () => {
  const rng = new Rng(11);
  const x = randomImages(rng, 2, 12, 9, 3);
  const ones = tf.ones([2, 12, 9, 1]) as tf.Tensor4D;
  const zeros = tf.zeros([2, 12, 9, 1]) as tf.Tensor4D;
  for (const fill of FILLS) {
    assert.deepEqual(applyVisualMask(x, ones, fill, new Rng(1)).dataSync(), x.dataSync());
    assert.deepEqual(
      applyVisualMask(x, zeros, fill, new Rng(1)).dataSync(),
      maskFillImage(x, fill, new Rng(1)).dataSync(),
    );
  }
  tf.dispose([x, ones, zeros]);
});

Deno.test("highpass-noise: kept pixels are highPass(x), masked pixels are noise of std 0.18", () => {
  for (const seed of [3, 4]) {
    const rng = new Rng(seed);
    const x = randomImages(rng, 3, 32, 32, 3);
    const m = randomBinaryMask(rng, 3, 32, 32);
    const out = applyVisualMask(x, m, { kind: "highpass-noise" }, new Rng(seed)).dataSync();
    const hp = highPass(x).dataSync();
    const mv = m.dataSync();
    const noise: number[] = [];
    for (let i = 0; i < out.length; i++) {
      if (mv[Math.floor(i / 3)] === 1) assert.equal(out[i], hp[i]);
      else noise.push(out[i]);
    }
    const sd = Math.sqrt(noise.reduce((s, v) => s + v * v, 0) / noise.length);
    assert.ok(Math.abs(sd - 0.18) < 0.02, `noise std ${sd}`);
    tf.dispose([x, m]);
  }
});

Deno.test("highPass removes constants and keeps x - blur(x); blur keeps constants", () => {
  const rng = new Rng(9);
  const level = rng.uniform(-2, 2);
  const flat = tf.fill([2, 10, 13, 3], level) as tf.Tensor4D;
  for (const v of highPass(flat).dataSync()) assert.ok(Math.abs(v) < 1e-5);
  for (const v of gaussianBlurAll(flat, 31, 10).dataSync()) assert.ok(Math.abs(v - level) < 1e-5);
  const x = randomImages(rng, 2, 16, 16, 1);
  const hp = highPass(x, 5, 2).dataSync();
  const bl = gaussianBlurAll(x, 5, 2).dataSync();
  const xv = x.dataSync();
  for (let i = 0; i < xv.length; i++) assert.ok(Math.abs(hp[i] - (xv[i] - bl[i])) < 1e-5);
  // A blur is a smoothing: it lowers the variance of a random image.
  const variance = (a: ArrayLike<number>) => {
    let s = 0, s2 = 0;
    for (let i = 0; i < a.length; i++) (s += a[i]), (s2 += a[i] * a[i]);
    return s2 / a.length - (s / a.length) ** 2;
  };
  assert.ok(variance(bl) < 0.5 * variance(xv));
  tf.dispose([flat, x]);
});

Deno.test("clampBlurKernel: largest odd size not above kernel and image sides", () => {
  const rng = new Rng(2);
  for (let t = 0; t < 200; t++) {
    const k = 2 * rng.int(20) + 1;
    const h = 1 + rng.int(40);
    const w = 1 + rng.int(40);
    const got = clampBlurKernel(k, h, w);
    assert.equal(got % 2, 1);
    assert.ok(got <= Math.min(k, h, w));
    assert.ok(got + 2 > Math.min(k, h, w));
  }
  assert.equal(clampBlurKernel(31, 32, 32), 31);
  assert.throws(() => clampBlurKernel(4, 32, 32), /odd/);
  // Tiny images still work with the strong-blur default.
  const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
  const out = applyVisualMask(x, tf.zeros([1, 4, 4, 1]), { kind: "blur" }).dataSync();
  for (const v of out) assert.ok(Math.abs(v - 1) < 1e-5);
});

Deno.test("applyVisualMask rejects a mask that does not fit the images", () => {
  const x = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
  assert.throws(
    () => applyVisualMask(x, tf.zeros([2, 8, 7, 1]) as tf.Tensor4D, { kind: "zero" }),
    /\[2,8,7,1\].*expected \[2,8,8,1\]/,
  );
  assert.throws(
    () => applyVisualMask(x, tf.zeros([2, 8, 8, 1]) as tf.Tensor4D, { kind: "noise", std: 1 }),
    /needs an Rng/,
  );
});

Deno.test("scaleGaussianFilter: sigma and odd kernel scale with the image side, kernel >= 3", () => {
  const blur = scaleGaussianFilter({ kernel: 31, sigma: 10 }, 224, 32);
  assert.equal(blur.kernel, 5); // 31 * 32/224 = 4.43 -> nearest odd 5
  assert.ok(Math.abs(blur.sigma - 10 / 7) < 1e-12);
  const hp = scaleGaussianFilter({ kernel: 11, sigma: 5 }, 224, 32);
  assert.equal(hp.kernel, 3); // 1.57 -> at least 3
  assert.ok(Math.abs(hp.sigma - 5 / 7) < 1e-12);
  assert.deepEqual(scaleGaussianFilter({ kernel: 31, sigma: 10 }, 224, 224), {
    kernel: 31,
    sigma: 10,
  });
  assert.equal(scaleGaussianFilter({ kernel: 31, sigma: 10 }, 224, 96).kernel, 13); // 13.3
  assert.throws(() => scaleGaussianFilter({ kernel: 3, sigma: 1 }, 0, 32), /sides must be > 0/);
});

Deno.test("gaussianBlurAll equals the per-image blur with one sigma for all, bit for bit", () => {
  const x = tf.randomNormal([6, 16, 16, 3], 0, 1, "float32", 12) as tf.Tensor4D;
  for (const [k, sigma] of [[3, 0.71], [5, 1.43], [31, 10]] as const) {
    const got = gaussianBlurAll(x, k, sigma);
    const want = applyGaussianBlur(x, new Float32Array(6).fill(sigma), Math.min(k, 15));
    assert.deepEqual(got.dataSync(), want.dataSync(), `kernel ${k}, sigma ${sigma}`);
    tf.dispose([got, want]);
  }
  x.dispose();
});
