import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { ParamStore } from "../nn/params.ts";
import { Rng } from "../rng.ts";
import { MaskDecoder, trainMaskDecoder } from "./mask_decoder.ts";
import { compareImputers, maskedError } from "./metrics.ts";

await tf.setBackend("cpu");

Deno.test("maskedError counts the missing entries only", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const n = 50;
    const truth = new Float32Array(n).map(() => rng.gaussian());
    const imputed = new Float32Array(n).map(() => rng.gaussian());
    const missing = new Uint8Array(n).map(() => (rng.bernoulli(0.4) ? 1 : 0));
    missing[0] = 1;
    let sq = 0;
    let abs = 0;
    let count = 0;
    for (let p = 0; p < n; p++) {
      if (missing[p]) {
        sq += (imputed[p] - truth[p]) ** 2;
        abs += Math.abs(imputed[p] - truth[p]);
        count++;
      }
    }
    const e = maskedError(truth, imputed, missing);
    assert.equal(e.count, count);
    assert.ok(Math.abs(e.rmse - Math.sqrt(sq / count)) < 1e-9);
    assert.ok(Math.abs(e.mae - abs / count) < 1e-9);
    // changing observed entries changes nothing; changing a missing one does
    const changed = imputed.map((v, p) => (missing[p] ? v : v + 100));
    assert.deepEqual(maskedError(truth, changed, missing), e);
    changed[0] += 1;
    assert.notDeepEqual(maskedError(truth, changed, missing), e);
  }
  assert.throws(
    () => maskedError(new Float32Array(2), new Float32Array(2), new Uint8Array(2)),
    /no entry is missing/,
  );
  assert.throws(
    () => maskedError(new Float32Array(2), new Float32Array(3), new Uint8Array(2)),
    /same number/,
  );
});

Deno.test("compareImputers: every imputer scored on the same entries; the trained decoder beats mean filling", () => {
  const rng = new Rng(4);
  const [rows, cols, rank] = [300, 10, 2];
  const a = Array.from({ length: rows * rank }, () => rng.gaussian());
  const b = Array.from({ length: rank * cols }, () => rng.gaussian());
  const truth = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let s = 0.05 * rng.gaussian();
      for (let r = 0; r < rank; r++) s += a[i * rank + r] * b[r * cols + j];
      truth[i * cols + j] = s;
    }
  }
  const store = new ParamStore(4);
  const decoder = new MaskDecoder(store, "dec", { features: cols, hidden: 48 });
  const trainRows = 200;
  trainMaskDecoder(
    decoder,
    {
      values: truth.subarray(0, trainRows * cols),
      missing: new Uint8Array(trainRows * cols),
      rows: trainRows,
      cols,
    },
    { steps: 250, seed: 4 },
  );
  const test = truth.slice(trainRows * cols);
  const n = rows - trainRows;
  const missing = new Uint8Array(n * cols).map(() => (rng.bernoulli(0.3) ? 1 : 0));
  const cmp = compareImputers(test, missing, n, cols, { decoder, k: 5 });
  const count = missing.reduce((s, v) => s + v, 0);
  for (const e of [cmp.mean, cmp.knn, cmp.decoder!, cmp.decoderKnn!]) {
    assert.equal(e.count, count);
    assert.ok(Number.isFinite(e.rmse), "an imputer read a hidden (NaN) entry");
  }
  assert.ok(cmp.decoder!.rmse < cmp.mean.rmse, JSON.stringify(cmp));
  assert.ok(cmp.knn.rmse < cmp.mean.rmse, JSON.stringify(cmp));
  assert.equal(compareImputers(test, missing, n, cols).decoder, undefined);
  store.dispose();
});
