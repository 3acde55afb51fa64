import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { ParamStore } from "../nn/params.ts";
import { Rng } from "../rng.ts";
import { MaskDecoder, trainMaskDecoder } from "./mask_decoder.ts";
import { meanImpute } from "./mean_imputer.ts";
import { maskedError } from "./metrics.ts";

await tf.setBackend("cpu");

/** Rank-r data A B + noise with per-column offsets: [rows, cols]. */
function lowRank(rng: Rng, rows: number, cols: number, rank: number): Float32Array {
  const a = Array.from({ length: rows * rank }, () => rng.gaussian());
  const b = Array.from({ length: rank * cols }, () => rng.gaussian());
  const offset = Array.from({ length: cols }, () => rng.uniform(-3, 3));
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = offset[j] + 0.05 * rng.gaussian();
      for (let r = 0; r < rank; r++) s += a[i * rank + r] * b[r * cols + j];
      x[i * cols + j] = s;
    }
  }
  return x;
}

function randomMissing(rng: Rng, size: number, rate: number): Uint8Array {
  return new Uint8Array(size).map(() => (rng.bernoulli(rate) ? 1 : 0));
}

Deno.test("training by random masking brings masked MSE on held-out low-rank data below mean filling", () => {
  for (const seed of [1, 2]) {
    const rng = new Rng(seed);
    const [cols, rank] = [12, 2];
    // 400 training rows and 200 held-out rows of one low-rank model
    const all = lowRank(new Rng(seed + 100), 600, cols, rank);
    const store = new ParamStore(seed);
    const decoder = new MaskDecoder(store, "dec", { features: cols, hidden: 64 });
    const before = tf.memory().numTensors;
    const { losses } = trainMaskDecoder(
      decoder,
      { values: all.subarray(0, 400 * cols), missing: new Uint8Array(400 * cols), rows: 400, cols },
      { steps: 300, seed },
    );
    assert.equal(tf.memory().numTensors, before, "training leaked tensors");
    const head = losses.slice(0, 20).reduce((a, b) => a + b) / 20;
    const tail = losses.slice(-20).reduce((a, b) => a + b) / 20;
    assert.ok(tail < 0.5 * head, `loss ${head} -> ${tail}`);
    const test = all.subarray(400 * cols);
    const missing = randomMissing(rng, 200 * cols, 0.3);
    const hidden = test.map((v, p) => (missing[p] === 1 ? NaN : v));
    const m = { values: hidden, missing, rows: 200, cols };
    const dec = maskedError(test, decoder.impute(m), missing);
    const mean = maskedError(test, meanImpute(m), missing);
    assert.ok(dec.rmse < 0.6 * mean.rmse, `decoder ${dec.rmse} vs mean ${mean.rmse}`);
    store.dispose();
  }
});

Deno.test("F10: the reconstruction ignores the values at missing entries (X * (1 - M))", () => {
  for (const seed of [3, 4, 5]) {
    const rng = new Rng(seed);
    const [rows, cols] = [6, 5];
    const store = new ParamStore(seed);
    const decoder = new MaskDecoder(store, "dec", { features: cols, hidden: 8, depth: 1 });
    const x = new Float32Array(rows * cols).map(() => rng.gaussian());
    const missing = randomMissing(rng, rows * cols, 0.4);
    const other = x.map((v, p) => (missing[p] === 1 ? rng.gaussian() * 10 : v));
    const nan = x.map((v, p) => (missing[p] === 1 ? NaN : v));
    const mt = tf.tensor2d(Float32Array.from(missing), [rows, cols]);
    const r1 = decoder.reconstruct(tf.tensor2d(x, [rows, cols]), mt).dataSync();
    const r2 = decoder.reconstruct(tf.tensor2d(other, [rows, cols]), mt).dataSync();
    const r3 = decoder.reconstruct(tf.tensor2d(nan, [rows, cols]), mt).dataSync();
    assert.deepEqual(r1, r2);
    assert.deepEqual(r1, r3);
    // the mask itself is an input: flipping it changes the output
    const flipped = tf.tensor2d(Float32Array.from(missing, (v) => 1 - v), [rows, cols]);
    const r4 = decoder.reconstruct(tf.tensor2d(x, [rows, cols]), flipped).dataSync();
    assert.ok(r4.some((v, p) => Math.abs(v - r1[p]) > 1e-6));
    // impute keeps every observed entry
    const out = decoder.impute({ values: nan, missing, rows, cols });
    for (let p = 0; p < out.length; p++) {
      assert.ok(Number.isFinite(out[p]));
      if (missing[p] === 0) assert.equal(out[p], x[p]);
      else assert.equal(out[p], r1[p]);
    }
    store.dispose();
  }
});

Deno.test("training with pre-existing missing entries only targets hidden observed ones", () => {
  const rng = new Rng(6);
  const [rows, cols] = [80, 6];
  const values = lowRank(rng, rows, cols, 2);
  const missing = randomMissing(rng, rows * cols, 0.2);
  for (let j = 0; j < cols; j++) missing[j] = 0;
  const nan = values.map((v, p) => (missing[p] === 1 ? NaN : v));
  const store = new ParamStore(6);
  const decoder = new MaskDecoder(store, "dec", { features: cols, hidden: 16 });
  const { losses } = trainMaskDecoder(decoder, { values: nan, missing, rows, cols }, { steps: 30 });
  assert.ok(
    losses.length > 0 && losses.every(Number.isFinite),
    "NaN at a missing entry reached the loss",
  );
  store.dispose();
});

Deno.test("mask decoder rejects bad configs and shapes with the fix", () => {
  const store = new ParamStore(0);
  assert.throws(
    () => new MaskDecoder(store, "a", { features: 0, hidden: 4 }),
    /features must be a positive integer/,
  );
  const dec = new MaskDecoder(store, "b", { features: 3, hidden: 4 });
  assert.throws(
    () => dec.reconstruct(tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([2, 4]) as tf.Tensor2D),
    /expects x and missing of shape \[N, 3\]/,
  );
  assert.throws(
    () =>
      trainMaskDecoder(dec, {
        values: new Float32Array(8),
        missing: new Uint8Array(8),
        rows: 2,
        cols: 4,
      }),
    /data has 4 columns but the decoder expects 3/,
  );
  assert.equal(dec.macs(), 6 * 4 + 4 * 4 + 4 * 3);
  store.dispose();
});
