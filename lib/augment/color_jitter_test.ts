import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  adjustHue,
  applyColorJitter,
  type ColorJitterOptions,
  type ColorJitterParams,
  randomColorJitter,
  sampleColorJitter,
} from "./color_jitter.ts";
import { LUMA_WEIGHTS } from "./grayscale.ts";

await tf.setBackend("wasm");

const SIMCLR: ColorJitterOptions = {
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.4,
  hue: 0.1,
  prob: 0.8,
  randomOrder: true,
};

function randomImages(rng: Rng, n: number, h: number, w: number): Float32Array {
  return Float32Array.from({ length: n * h * w * 3 }, () => rng.next());
}

/** Textbook RGB -> HSV -> RGB hue rotation of one pixel (the colorsys algorithm). */
function rotateHueRef(r: number, g: number, b: number, shift: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const v = maxc;
  if (maxc === minc) return [v, v, v];
  const s = (maxc - minc) / maxc;
  const rc = (maxc - r) / (maxc - minc);
  const gc = (maxc - g) / (maxc - minc);
  const bc = (maxc - b) / (maxc - minc);
  let h = r === maxc ? bc - gc : g === maxc ? 2 + rc - bc : 4 + gc - rc;
  h = ((h / 6 + shift) % 1 + 1) % 1;
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  return ([[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]] as const)[i % 6] as [
    number,
    number,
    number,
  ];
}

/** Brute-force jitter of one HxWx3 image following the per-image order. */
function jitterRef(img: Float64Array, p: ColorJitterParams, i: number): Float64Array {
  const x = Float64Array.from(img);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const npx = x.length / 3;
  const luma = (q: number) =>
    LUMA_WEIGHTS[0] * x[3 * q] + LUMA_WEIGHTS[1] * x[3 * q + 1] + LUMA_WEIGHTS[2] * x[3 * q + 2];
  for (let step = 0; step < 4; step++) {
    const op = p.order[4 * i + step];
    if (op === 0) {
      for (let j = 0; j < x.length; j++) x[j] = clamp(p.brightness[i] * x[j]);
    } else if (op === 1) {
      let m = 0;
      for (let q = 0; q < npx; q++) m += luma(q);
      m /= npx;
      const c = p.contrast[i];
      for (let j = 0; j < x.length; j++) x[j] = clamp(c * x[j] + (1 - c) * m);
    } else if (op === 2) {
      const s = p.saturation[i];
      for (let q = 0; q < npx; q++) {
        const y = luma(q);
        for (let ch = 0; ch < 3; ch++) x[3 * q + ch] = clamp(s * x[3 * q + ch] + (1 - s) * y);
      }
    } else {
      for (let q = 0; q < npx; q++) {
        x.set(rotateHueRef(x[3 * q], x[3 * q + 1], x[3 * q + 2], p.hue[i]), 3 * q);
      }
    }
  }
  return x;
}

Deno.test("sampleColorJitter: factors in range, orders are permutations, prob respected", () => {
  const n = 4000;
  const p = sampleColorJitter(new Rng(51), n, SIMCLR);
  let applied = 0;
  const orders = new Set<string>();
  for (let i = 0; i < n; i++) {
    const jittered = p.brightness[i] !== 1 || p.contrast[i] !== 1 || p.hue[i] !== 0;
    if (jittered) applied++;
    for (const f of [p.brightness[i], p.contrast[i], p.saturation[i]]) {
      assert.ok(f >= 0.6 - 1e-6 && f <= 1.4 + 1e-6);
    }
    assert.ok(Math.abs(p.hue[i]) <= 0.1 + 1e-7);
    const o = Array.from(p.order.subarray(4 * i, 4 * i + 4));
    assert.deepEqual([...o].sort(), [0, 1, 2, 3]);
    orders.add(o.join(""));
  }
  assert.ok(Math.abs(applied / n - 0.8) < 0.03, `applied ${applied / n}`);
  assert.equal(orders.size, 24);
  const fixed = sampleColorJitter(new Rng(52), 50, { ...SIMCLR, randomOrder: false });
  for (let i = 0; i < 50; i++) {
    assert.deepEqual([...fixed.order.subarray(4 * i, 4 * i + 4)], [0, 1, 2, 3]);
  }
  assert.throws(() => sampleColorJitter(new Rng(1), 2, { ...SIMCLR, hue: 0.7 }), /hue/);
});

for (const randomOrder of [true, false]) {
  Deno.test(`applyColorJitter: matches a per-pixel reference (randomOrder=${randomOrder})`, async () => {
    const rng = new Rng(randomOrder ? 53 : 56);
    const [n, h, w] = [16, 6, 5];
    const data = randomImages(rng, n, h, w);
    const opts = { ...SIMCLR, prob: 0.8, brightness: 0.8, hue: 0.5, randomOrder };
    const p = sampleColorJitter(rng, n, opts);
    const x = tf.tensor4d(data, [n, h, w, 3]);
    const before = tf.memory().numTensors;
    const y = applyColorJitter(x, p);
    const yd = await y.data();
    const size = h * w * 3;
    for (let i = 0; i < n; i++) {
      const ref = jitterRef(Float64Array.from(data.subarray(i * size, (i + 1) * size)), p, i);
      for (let j = 0; j < size; j++) {
        assert.ok(Math.abs(yd[i * size + j] - ref[j]) < 2e-4, `image ${i} value ${j}`);
      }
    }
    y.dispose();
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
  });
}

Deno.test("colour jitter with zero strength or zero probability is the identity", async () => {
  const data = randomImages(new Rng(54), 8, 8, 8);
  const x = tf.tensor4d(data, [8, 8, 8, 3]);
  const zero = { brightness: 0, contrast: 0, saturation: 0, hue: 0, prob: 1, randomOrder: true };
  const a = randomColorJitter(x, new Rng(1), zero);
  const b = randomColorJitter(x, new Rng(1), { ...SIMCLR, prob: 0 });
  assert.deepEqual(await a.data(), data);
  assert.deepEqual(await b.data(), data);
  tf.dispose([x, a, b]);
});

Deno.test("adjustHue: keeps value and chroma; +h then -h restores the image", async () => {
  const rng = new Rng(55);
  const n = 6;
  const data = randomImages(rng, n, 7, 7);
  const shifts = Float32Array.from({ length: n }, () => rng.uniform(-0.5, 0.5));
  const x = tf.tensor4d(data, [n, 7, 7, 3]);
  const y = adjustHue(x, shifts);
  const back = adjustHue(y, shifts.map((s) => -s));
  const yd = await y.data();
  const bd = await back.data();
  for (let q = 0; q < yd.length / 3; q++) {
    const src = [data[3 * q], data[3 * q + 1], data[3 * q + 2]];
    const out = [yd[3 * q], yd[3 * q + 1], yd[3 * q + 2]];
    assert.ok(Math.abs(Math.max(...out) - Math.max(...src)) < 1e-5);
    assert.ok(Math.abs(Math.min(...out) - Math.min(...src)) < 1e-5);
    for (let ch = 0; ch < 3; ch++) assert.ok(Math.abs(bd[3 * q + ch] - src[ch]) < 1e-4);
  }
  tf.dispose([x, y, back]);
});

Deno.test("randomColorJitter: SimCLR strengths keep values in [0,1] and are seed-deterministic", async () => {
  const x = tf.randomUniform([32, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const a = randomColorJitter(x, new Rng(9), SIMCLR);
  const b = randomColorJitter(x, new Rng(9), SIMCLR);
  const c = randomColorJitter(x, new Rng(10), SIMCLR);
  const ad = await a.data();
  assert.ok(ad.every((v) => v >= 0 && v <= 1));
  assert.deepEqual(ad, await b.data());
  assert.notDeepEqual(ad, await c.data());
  tf.dispose([x, a, b, c]);
});

Deno.test("colour jitter on 1-channel images: brightness/contrast as on the gray RGB copy", async () => {
  const rng = new Rng(77);
  const gray = tf.randomUniform([12, 8, 8, 1], 0, 1, "float32", 3) as tf.Tensor4D;
  const rgb = tf.tile(gray, [1, 1, 1, 3]) as tf.Tensor4D;
  const opts: ColorJitterOptions = {
    brightness: 0.4,
    contrast: 0.4,
    saturation: 0,
    hue: 0,
    prob: 0.8,
    randomOrder: true,
  };
  const p = sampleColorJitter(rng, 12, opts);
  const g = applyColorJitter(gray, p);
  const c = applyColorJitter(rgb, p);
  assert.deepEqual(g.shape, [12, 8, 8, 1]);
  const gd = await g.data();
  const cd = await c.data();
  for (let i = 0; i < gd.length; i++) {
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(gd[i] - cd[3 * i + k]) < 1e-5, `pixel ${i}`);
  }
  assert.ok(gd.some((v, i) => Math.abs(v - (gray.dataSync())[i]) > 1e-3), "nothing changed");
  const withHue = sampleColorJitter(new Rng(1), 12, { ...opts, hue: 0.1, prob: 1 });
  assert.throws(() => applyColorJitter(gray, withHue), /saturation and hue need RGB images/);
  tf.dispose([gray, rgb, g, c]);
});
