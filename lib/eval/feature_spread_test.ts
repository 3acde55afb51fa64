import assert from "node:assert/strict";

function assertAlmostEquals(actual: number, expected: number, tol: number): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `expected ${expected} +- ${tol}, got ${actual}`,
  );
}
import {
  effectiveRank,
  featureSpread,
  normalizedFeatureStd,
  symmetricEigenvalues,
} from "./feature_spread.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";
import { Rng } from "../rng.ts";

function gaussianRows(count: number, dim: number, seed: number): FeatureMatrix {
  const rng = new Rng(seed);
  const data = new Float32Array(count * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.gaussian();
  return { data, count, dim };
}

Deno.test("normalizedFeatureStd: about 1 for isotropic Gaussian rows, 0 when all rows align", () => {
  assertAlmostEquals(normalizedFeatureStd(gaussianRows(4000, 32, 1)), 1, 0.02);
  // Every row a positive multiple of one direction: complete collapse.
  const dim = 8;
  const count = 50;
  const data = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) data[i * dim + j] = (i + 1) * (j + 1);
  }
  assertAlmostEquals(normalizedFeatureStd({ data, count, dim }), 0, 1e-6);
});

Deno.test("normalizedFeatureStd: rows (1,0) and (-1,0) give sqrt(2) / 2", () => {
  // Rows (1,0) and (-1,0) alternate: axis 0 std 1, axis 1 std 0; mean 0.5, times sqrt(2).
  const data = new Float32Array([1, 0, -1, 0, 1, 0, -1, 0]);
  assertAlmostEquals(normalizedFeatureStd({ data, count: 4, dim: 2 }), 0.5 * Math.SQRT2, 1e-9);
});

Deno.test("normalizedFeatureStd rejects a single row with the fix in the message", () => {
  assert.throws(
    () => normalizedFeatureStd({ data: new Float32Array([1, 2]), count: 1, dim: 2 }),
    /at least 2 rows/,
  );
});

Deno.test("symmetricEigenvalues recovers the eigenvalues of a rotated diagonal matrix", () => {
  // A = R diag(5, 2, -1) R^T with R a rotation about z by 30 degrees then about x by 40.
  const c1 = Math.cos(Math.PI / 6), s1 = Math.sin(Math.PI / 6);
  const c2 = Math.cos(0.7), s2 = Math.sin(0.7);
  const rz = [[c1, -s1, 0], [s1, c1, 0], [0, 0, 1]];
  const rx = [[1, 0, 0], [0, c2, -s2], [0, s2, c2]];
  const mul = (a: number[][], b: number[][]) =>
    a.map((r) => b[0].map((_, j) => r.reduce((acc, v, k) => acc + v * b[k][j], 0)));
  const r = mul(rx, rz);
  const d = [[5, 0, 0], [0, 2, 0], [0, 0, -1]];
  const rt = r[0].map((_, j) => r.map((row) => row[j]));
  const a = mul(mul(r, d), rt);
  const ev = Array.from(symmetricEigenvalues(Float64Array.from(a.flat()), 3)).sort((x, y) => y - x);
  assertAlmostEquals(ev[0], 5, 1e-9);
  assertAlmostEquals(ev[1], 2, 1e-9);
  assertAlmostEquals(ev[2], -1, 1e-9);
});

Deno.test("effectiveRank: 1 for rank-one features, near dim for isotropic ones, exact for equal axes", () => {
  const dim = 6;
  const count = 40;
  const rankOne = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) rankOne[i * dim + j] = (i % 7 - 3) * (j + 1);
  }
  assertAlmostEquals(effectiveRank({ data: rankOne, count, dim }), 1, 1e-4);
  // Rows e_0, e_1, e_2 repeated: three equal singular values, so rank 3 (up to the 1e-7 floor).
  const axes = new Float32Array(9 * dim);
  for (let i = 0; i < 9; i++) axes[i * dim + (i % 3)] = 2;
  assertAlmostEquals(effectiveRank({ data: axes, count: 9, dim }), 3, 1e-4);
  const iso = effectiveRank(gaussianRows(5000, 16, 2));
  assertAlmostEquals(iso, 16, 0.5);
});

Deno.test("featureSpread returns both diagnostics of the same matrix", () => {
  const m = gaussianRows(500, 8, 3);
  const s = featureSpread(m);
  assertAlmostEquals(s.std, normalizedFeatureStd(m), 1e-12);
  assertAlmostEquals(s.rank, effectiveRank(m), 1e-12);
});
