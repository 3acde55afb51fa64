import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  applyGaussianBlur,
  blurKernelSize,
  gaussianKernel1d,
  randomGaussianBlur,
  sampleBlurSigmas,
} from "./gaussian_blur.ts";

await tf.setBackend("wasm");

/** Runs `f` in a tidy scope and returns its result's values, disposing everything. */
function readOnce(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const d = t.dataSync() as Float32Array;
  t.dispose();
  return d;
}

/** Brute-force 2-D blur of one HxWxC image with reflect padding. */
function blurRef(
  img: Float32Array,
  h: number,
  w: number,
  c: number,
  k: Float32Array,
): Float64Array {
  const half = (k.length - 1) / 2;
  const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const out = new Float64Array(img.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let dy = -half; dy <= half; dy++) {
          for (let dx = -half; dx <= half; dx++) {
            const v = img[(reflect(y + dy, h) * w + reflect(x + dx, w)) * c + ch];
            s += k[dy + half] * k[dx + half] * v;
          }
        }
        out[(y * w + x) * c + ch] = s;
      }
    }
  }
  return out;
}

Deno.test("blur kernel: odd size ~10% of the side, normalised, symmetric, peaked", () => {
  assert.equal(blurKernelSize(32, 0.1), 3);
  assert.equal(blurKernelSize(224, 0.1), 23);
  assert.equal(blurKernelSize(96, 0.1), 9);
  const rng = new Rng(61);
  for (let t = 0; t < 20; t++) {
    const size = 2 * rng.int(6) + 1;
    const k = gaussianKernel1d(size, rng.uniform(0.1, 4));
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    for (let i = 0; i < size; i++) assert.ok(Math.abs(k[i] - k[size - 1 - i]) < 1e-7);
    assert.equal(Math.max(...k), k[(size - 1) / 2]);
  }
  assert.throws(() => gaussianKernel1d(4, 1), /odd/);
});

Deno.test("applyGaussianBlur: equals a brute-force reflect-padded 2-D blur", async () => {
  const rng = new Rng(62);
  const [n, h, w, c] = [5, 9, 11, 3];
  const data = Float32Array.from({ length: n * h * w * c }, () => rng.next());
  const sigmas = Float32Array.from({ length: n }, (_, i) => (i === 2 ? 0 : rng.uniform(0.1, 2)));
  const x = tf.tensor4d(data, [n, h, w, c]);
  const before = tf.memory().numTensors;
  const y = applyGaussianBlur(x, sigmas, 5);
  const yd = await y.data();
  const size = h * w * c;
  for (let i = 0; i < n; i++) {
    const img = data.subarray(i * size, (i + 1) * size);
    const ref = sigmas[i] === 0
      ? Float64Array.from(img)
      : blurRef(img, h, w, c, gaussianKernel1d(5, sigmas[i]));
    for (let j = 0; j < size; j++) assert.ok(Math.abs(yd[i * size + j] - ref[j]) < 1e-5);
  }
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

Deno.test("blur preserves constant images and (nearly) the image mean", async () => {
  const rng = new Rng(63);
  const sigmas = Float32Array.from({ length: 4 }, () => rng.uniform(0.1, 2));
  const constant = tf.fill([4, 16, 16, 3], 0.37) as tf.Tensor4D;
  const yc = applyGaussianBlur(constant, sigmas, 5);
  assert.ok((await yc.data()).every((v) => Math.abs(v - 0.37) < 1e-6));
  const x = tf.randomUniform([4, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const y = applyGaussianBlur(x, sigmas, 3);
  const mx = readOnce(() => tf.mean(x, [1, 2, 3]));
  const my = readOnce(() => tf.mean(y, [1, 2, 3]));
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(mx[i] - my[i]) < 5e-3);
  // The blur does smooth: pixel variance drops.
  const vx = readOnce(() => tf.moments(x).variance)[0];
  const vy = readOnce(() => tf.moments(y).variance)[0];
  assert.ok(vy < vx);
  tf.dispose([constant, yc, x, y]);
});

Deno.test("randomGaussianBlur: probability, determinism, errors", async () => {
  const opts = { prob: 0.5, sigma: [0.1, 2] as [number, number], kernelFraction: 0.1 };
  const s = sampleBlurSigmas(new Rng(64), 4000, opts);
  const frac = s.reduce((a, v) => a + (v > 0 ? 1 : 0), 0) / s.length;
  assert.ok(Math.abs(frac - 0.5) < 0.03);
  assert.ok(s.every((v) => v === 0 || (v >= 0.1 && v <= 2)));
  const x = tf.randomUniform([6, 32, 32, 3], 0, 1, "float32", 8) as tf.Tensor4D;
  const a = randomGaussianBlur(x, new Rng(5), opts);
  const b = randomGaussianBlur(x, new Rng(5), opts);
  assert.deepEqual(await a.data(), await b.data());
  assert.throws(() => applyGaussianBlur(x, new Float32Array(6).fill(1), 99), /too large/);
  assert.throws(() => sampleBlurSigmas(new Rng(1), 2, { ...opts, sigma: [0, 1] }), /sigma/);
  tf.dispose([x, a, b]);
});
