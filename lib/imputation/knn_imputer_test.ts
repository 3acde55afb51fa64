import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { knnImpute, knnImputeGrid } from "./knn_imputer.ts";
import type { MissingMatrix } from "./missing_matrix.ts";

function gaussians(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.gaussian();
  return v;
}

/** Truth, plus a copy with missing entries (mask 1 = MISSING) set to NaN. */
function hide(truth: Float32Array, missing: Uint8Array, rows: number, cols: number): MissingMatrix {
  const values = Float32Array.from(truth);
  for (let p = 0; p < values.length; p++) if (missing[p] === 1) values[p] = NaN;
  return { values, missing, rows, cols };
}

/**
 * Brute-force scikit-learn KNNImputer(n_neighbors=k, weights="distance") fitted and applied
 * on the same matrix: nan-Euclidean distances sqrt(cols / present * sum_present diff^2),
 * donors for column j = rows observing j, min(k, donors) neighbours, 1/d weights where a
 * zero distance takes all the weight, column mean when every distance is undefined.
 */
function sklearnKnnImpute(m: MissingMatrix, k: number): Float32Array {
  const { rows, cols, values, missing } = m;
  const out = Float32Array.from(values);
  const nanEuclid = (a: number, b: number): number => {
    let s = 0;
    let present = 0;
    for (let c = 0; c < cols; c++) {
      if (missing[a * cols + c] === 0 && missing[b * cols + c] === 0) {
        s += (values[a * cols + c] - values[b * cols + c]) ** 2;
        present++;
      }
    }
    return present === 0 ? NaN : Math.sqrt((cols / present) * s);
  };
  for (let j = 0; j < cols; j++) {
    const donors: number[] = [];
    let colSum = 0;
    for (let i = 0; i < rows; i++) {
      if (missing[i * cols + j] === 0) {
        donors.push(i);
        colSum += values[i * cols + j];
      }
    }
    for (let r = 0; r < rows; r++) {
      if (missing[r * cols + j] === 0) continue;
      const d = donors.map((l) => ({ l, d: nanEuclid(r, l) }));
      if (d.every((x) => Number.isNaN(x.d))) {
        out[r * cols + j] = colSum / donors.length;
        continue;
      }
      d.sort((a, b) => (Number.isNaN(a.d) ? Infinity : a.d) - (Number.isNaN(b.d) ? Infinity : b.d));
      const nn = d.slice(0, Math.min(k, donors.length));
      let w = nn.map((x) => (Number.isNaN(x.d) ? 0 : 1 / x.d));
      if (w.some((x) => x === Infinity)) w = w.map((x) => (x === Infinity ? 1 : 0));
      const sw = w.reduce((a, b) => a + b, 0);
      out[r * cols + j] = nn.reduce((s, x, p) => s + w[p] * values[x.l * cols + j], 0) / sw;
    }
  }
  return out;
}

Deno.test("lambda = 0 with complete donors equals scikit-learn KNNImputer(weights='distance')", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const rng = new Rng(seed);
    const rows = 20 + rng.int(30);
    const cols = 3 + rng.int(6);
    const truth = gaussians(rng, rows * cols);
    // Every incomplete row misses the same column set S, so each donor row is complete.
    const s = new Set<number>();
    const sSize = 1 + rng.int(cols - 1);
    for (const c of rng.permutation(cols).slice(0, sSize)) s.add(c);
    const missing = new Uint8Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      if (rng.bernoulli(0.4)) { for (const c of s) missing[i * cols + c] = 1; }
    }
    const m = hide(truth, missing, rows, cols);
    for (const k of [1, 3, 5, 100]) {
      const got = knnImpute(m, { k });
      const want = sklearnKnnImpute(m, k);
      for (let p = 0; p < got.length; p++) {
        assert.ok(
          Math.abs(got[p] - want[p]) < 1e-5,
          `seed ${seed} k ${k} entry ${p}: ${got[p]} vs ${want[p]}`,
        );
      }
    }
  }
});

Deno.test("observed entries are never changed and missing ones (NaN) are never read", () => {
  for (const seed of [7, 8, 9]) {
    const rng = new Rng(seed);
    const [rows, cols] = [30, 5];
    const truth = gaussians(rng, rows * cols);
    const missing = new Uint8Array(rows * cols).map(() => (rng.bernoulli(0.3) ? 1 : 0));
    const m = hide(truth, missing, rows, cols);
    const fill = gaussians(rng, rows * cols);
    for (const opts of [{ k: 3 }, { k: 2, lambda: 0.5, initialFill: fill }]) {
      const out = knnImpute(m, opts);
      for (let p = 0; p < out.length; p++) {
        assert.ok(Number.isFinite(out[p]), `entry ${p} is ${out[p]}`);
        if (missing[p] === 0) assert.equal(out[p], truth[p]);
      }
    }
  }
});

Deno.test("k = 1 (and k = 3) recovers a row that has an exact duplicate", () => {
  for (const seed of [10, 11, 12]) {
    const rng = new Rng(seed);
    const [rows, cols] = [25, 6];
    const truth = gaussians(rng, rows * cols);
    const [a, b] = [rng.int(rows), 0];
    const dup = a === b ? 1 : b;
    truth.copyWithin(dup * cols, a * cols, a * cols + cols); // row dup := row a
    const missing = new Uint8Array(rows * cols).map(() => (rng.bernoulli(0.2) ? 1 : 0));
    missing.fill(0, dup * cols, dup * cols + cols); // the duplicate is complete
    missing[a * cols + rng.int(cols)] = 1;
    missing[a * cols + rng.int(cols)] = 1;
    const m = hide(truth, missing, rows, cols);
    for (const k of [1, 3]) {
      const out = knnImpute(m, { k });
      for (let j = 0; j < cols; j++) assert.equal(out[a * cols + j], truth[a * cols + j]);
    }
  }
});

Deno.test("lambda > 0 uses the initial fill: with fill = truth, neighbours come from full-row distances", () => {
  for (const seed of [13, 14]) {
    const rng = new Rng(seed);
    const [rows, cols, k] = [30, 5, 3];
    const truth = gaussians(rng, rows * cols);
    const missing = new Uint8Array(rows * cols).map(() => (rng.bernoulli(0.25) ? 1 : 0));
    const m = hide(truth, missing, rows, cols);
    const out = knnImpute(m, { k, lambda: 1, initialFill: truth });
    const full = (a: number, b: number) => {
      let s = 0;
      for (let c = 0; c < cols; c++) s += (truth[a * cols + c] - truth[b * cols + c]) ** 2;
      return Math.sqrt(s);
    };
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        if (missing[i * cols + j] === 0) continue;
        const donors = [];
        for (let l = 0; l < rows; l++) if (l !== i && missing[l * cols + j] === 0) donors.push(l);
        const nn = donors.map((l) => ({ l, d: full(i, l) })).sort((x, y) => x.d - y.d).slice(0, k);
        const sw = nn.reduce((s, x) => s + 1 / x.d, 0);
        const want = nn.reduce((s, x) => s + truth[x.l * cols + j] / x.d, 0) / sw;
        assert.ok(Math.abs(out[i * cols + j] - want) < 1e-5);
      }
    }
    // and lambda = 0 gives a different answer on the same data (the test can fail)
    const plain = knnImpute(m, { k, lambda: 0, initialFill: truth });
    assert.ok(plain.some((v, p) => Math.abs(v - out[p]) > 1e-6));
  }
});

/**
 * F11-F12 written out with a full sort of every other row per incomplete row
 * (float64 sums in column order, ties by row index), for any donors.
 */
function referenceImpute(m: MissingMatrix, k: number, lambda: number, fill: Float32Array) {
  const { rows, cols, values, missing } = m;
  const f = Float32Array.from(values, (v, p) => (missing[p] === 1 ? fill[p] : v));
  const out = Float32Array.from(f);
  for (let i = 0; i < rows; i++) {
    if (!missing.subarray(i * cols, (i + 1) * cols).includes(1)) continue;
    const near: { l: number; d: number }[] = [];
    for (let l = 0; l < rows; l++) {
      if (l === i) continue;
      let obs = 0;
      let fil = 0;
      let both = 0;
      for (let c = 0; c < cols; c++) {
        const a = i * cols + c;
        const b = l * cols + c;
        if (missing[a] === 0 && missing[b] === 0) {
          obs += (values[a] - values[b]) ** 2;
          both++;
        } else if (lambda > 0) fil += (f[a] - f[b]) ** 2;
      }
      if (both > 0 || lambda > 0) near.push({ l, d: Math.sqrt(obs + lambda * fil) });
    }
    near.sort((a, b) => a.d - b.d || a.l - b.l);
    for (let j = 0; j < cols; j++) {
      if (missing[i * cols + j] === 0) continue;
      const nn = near.filter((x) => missing[x.l * cols + j] === 0).slice(0, k);
      if (nn.length === 0) continue;
      const zero = nn.filter((x) => x.d === 0);
      out[i * cols + j] = zero.length > 0
        ? zero.reduce((s, x) => s + values[x.l * cols + j], 0) / zero.length
        : nn.reduce((s, x) => s + values[x.l * cols + j] / x.d, 0) /
          nn.reduce((s, x) => s + 1 / x.d, 0);
    }
  }
  return out;
}

Deno.test("knnImputeGrid equals one knnImpute per setting and a full-sort reference, also when donors are mostly missing", () => {
  const rng = new Rng(11);
  // 400 rows x 3 columns: 40 complete rows, the rest missing each entry with probability 0.9,
  // so many columns run out of donors inside the short neighbour list (the full-order path).
  const rows = 400;
  const cols = 3;
  const truth = gaussians(rng, rows * cols);
  const missing = new Uint8Array(rows * cols);
  for (let p = 40 * cols; p < missing.length; p++) missing[p] = rng.bernoulli(0.9) ? 1 : 0;
  const m = hide(truth, missing, rows, cols);
  const fill = gaussians(rng, rows * cols);
  const settings = [
    { lambda: 0, k: 1 },
    { lambda: 0, k: 5 },
    { lambda: 0.3, k: 5 },
    { lambda: 1, k: 20 },
    { lambda: 1, k: 3 },
  ];
  const grid = knnImputeGrid(m, settings, fill);
  settings.forEach((s, i) => {
    const one = knnImpute(m, { ...s, initialFill: fill });
    assert.deepEqual(grid[i], one, `lambda ${s.lambda}, k ${s.k}: grid vs knnImpute`);
    const ref = referenceImpute(m, s.k, s.lambda, fill);
    assert.deepEqual(grid[i], ref, `lambda ${s.lambda}, k ${s.k}: grid vs reference`);
  });
});

Deno.test("bad options are rejected with the fix", () => {
  const m: MissingMatrix = {
    values: new Float32Array(4),
    missing: new Uint8Array([0, 1, 0, 0]),
    rows: 2,
    cols: 2,
  };
  assert.throws(() => knnImpute(m, { k: 0 }), /k must be a positive integer/);
  assert.throws(() => knnImpute(m, { k: 1, lambda: -1 }), /lambda must be a finite number >= 0/);
  assert.throws(
    () => knnImpute(m, { k: 1, initialFill: new Float32Array(3) }),
    /initialFill has 3 entries/,
  );
  assert.throws(
    () => knnImpute({ ...m, missing: new Uint8Array([0, 2, 0, 0]) }, { k: 1 }),
    /use 1 for MISSING/,
  );
  assert.throws(() => knnImpute({ ...m, rows: 3 }, { k: 1 }), /rows x cols = 6/);
  const empty: MissingMatrix = { ...m, missing: new Uint8Array([0, 1, 0, 1]) };
  assert.throws(() => knnImpute(empty, { k: 1 }), /column 1 has no observed entry/);
});
