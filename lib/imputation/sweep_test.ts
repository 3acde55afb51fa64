import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { imputationSweep, type ImputationSweepOptions } from "./sweep.ts";

/** Rows drawn around a few cluster centres: neighbours carry information, the column mean less. */
function clustered(rng: Rng, rows: number, cols: number, centres: Float32Array[]): Float32Array {
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const c = centres[rng.int(centres.length)];
    for (let j = 0; j < cols; j++) x[i * cols + j] = c[j] + 0.1 * rng.gaussian();
  }
  return x;
}

function options(seed: number): ImputationSweepOptions {
  const rng = new Rng(seed);
  const cols = 6;
  const centres = Array.from(
    { length: 4 },
    () => Float32Array.from({ length: cols }, () => 3 * rng.gaussian()),
  );
  return {
    train: clustered(rng, 80, cols, centres),
    test: clustered(rng, 30, cols, centres),
    cols,
    seeds: [seed, seed + 1],
    missingRate: 0.3,
    lambdas: [0, 0.5, 2],
    ks: [1, 5],
    k: 5,
    lambda: 0.5,
    decoder: { hidden: 16, steps: 60, batchSize: 32 },
  };
}

Deno.test("imputationSweep: every imputer is scored on the same hidden entries of each seed", () => {
  const rows = imputationSweep(options(1));
  for (const seed of [1, 2]) {
    const mine = rows.filter((r) => r.seed === seed);
    const counts = new Set(mine.map((r) => r.count));
    assert.equal(counts.size, 1, `seed ${seed}: counts ${[...counts]}`);
    assert.deepEqual(
      [...new Set(mine.map((r) => r.imputer))].sort(),
      ["decoder", "decoder+knn", "knn", "mean"],
    );
    // lambda sweep at k 5 (3) + k sweep at lambda 0.5 minus the shared (0.5, 5) cell (1).
    assert.equal(mine.filter((r) => r.imputer === "decoder+knn").length, 4);
  }
  // Different seeds draw different masks.
  assert.notEqual(rows.find((r) => r.seed === 1)!.rmse, rows.find((r) => r.seed === 2)!.rmse);
});

Deno.test("imputationSweep: lambda 0 makes decoder+KNN equal KNN alone; KNN beats the mean on clusters", () => {
  for (const seed of [3, 5]) {
    const rows = imputationSweep(options(seed));
    for (const s of [seed, seed + 1]) {
      const at = (imputer: string, lambda: number | null, k: number | null) =>
        rows.find((r) =>
          r.seed === s && r.imputer === imputer && r.lambda === lambda && r.k === k
        )!;
      assert.ok(Math.abs(at("decoder+knn", 0, 5).rmse - at("knn", 0, 5).rmse) < 1e-6);
      assert.ok(at("knn", 0, 5).rmse < 0.5 * at("mean", null, null).rmse);
    }
  }
});

Deno.test("imputationSweep: deterministic per seed, and bad input is rejected with the fix", () => {
  const a = imputationSweep(options(7));
  const b = imputationSweep(options(7));
  assert.deepEqual(a, b);
  const o = options(7);
  assert.throws(() => imputationSweep({ ...o, missingRate: 1 }), /missingRate must lie in/);
  assert.throws(() => imputationSweep({ ...o, cols: 7 }), /whole rows of 7 columns/);
  assert.throws(() => imputationSweep({ ...o, ks: [] }), /at least one seed, one lambda and one k/);
  const bad = Float32Array.from(o.test);
  bad[3] = NaN;
  assert.throws(() => imputationSweep({ ...o, test: bad }), /complete and finite/);
});
