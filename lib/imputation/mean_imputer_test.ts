import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { meanImpute, observedColumnMeans } from "./mean_imputer.ts";

Deno.test("mean filling keeps observed entries and fills each column with its observed mean", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const [rows, cols] = [15, 4];
    const truth = new Float32Array(rows * cols).map(() => rng.gaussian());
    const missing = new Uint8Array(rows * cols).map(() => (rng.bernoulli(0.3) ? 1 : 0));
    for (let j = 0; j < cols; j++) missing[j] = 0; // every column observed at least once
    const values = truth.map((v, p) => (missing[p] === 1 ? NaN : v));
    const m = { values, missing, rows, cols };
    const out = meanImpute(m);
    const means = observedColumnMeans(m);
    for (let j = 0; j < cols; j++) {
      let s = 0;
      let n = 0;
      for (let i = 0; i < rows; i++) {
        if (missing[i * cols + j] === 0) {
          s += truth[i * cols + j];
          n++;
        }
      }
      assert.ok(Math.abs(means[j] - s / n) < 1e-9);
    }
    for (let p = 0; p < out.length; p++) {
      if (missing[p] === 0) assert.equal(out[p], truth[p]);
      else assert.ok(Math.abs(out[p] - means[p % cols]) < 1e-6);
    }
  }
});
