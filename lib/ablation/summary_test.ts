import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import type { AblationRow } from "./row.ts";
import { randomRows } from "./fixture_rows.ts";
import { formatSummaryTable, summarize } from "./summary.ts";
import { compareArms } from "./compare.ts";
import { mean, sampleStd, studentTQuantile } from "../stats/t_interval.ts";

Deno.test("summarize: mean, sample std and t interval per arm and metric", () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 20; trial++) {
    const n = 2 + rng.int(5);
    const rows = randomRows(rng, [["a", 50], ["b", 60]], Array.from({ length: n }, (_, i) => i));
    const s = summarize(rows, ["linearTop1", "knnTop1"]);
    assert.deepEqual(s.map((x) => [x.arm, x.metric]), [
      ["a", "linearTop1"],
      ["a", "knnTop1"],
      ["b", "linearTop1"],
      ["b", "knnTop1"],
    ]);
    for (const line of s) {
      const xs = rows.filter((r) => r.arm === line.arm).map((r) => r.metrics[line.metric]!);
      assert.equal(line.seeds, n);
      assert.ok(Math.abs(line.mean - mean(xs)) < 1e-12);
      assert.ok(Math.abs(line.std! - sampleStd(xs)) < 1e-12);
      const half = studentTQuantile(0.975, n - 1) * sampleStd(xs) / Math.sqrt(n);
      assert.ok(Math.abs(line.ci_high! - (mean(xs) + half)) < 1e-9);
      assert.equal(line.note, "");
    }
  }
});

Deno.test("summarize: one seed gives empty std/CI and says so", () => {
  const rows = randomRows(new Rng(3), [["a", 1]], [0]);
  const [line] = summarize(rows, ["linearTop1"]);
  assert.equal(line.seeds, 1);
  assert.equal(line.std, null);
  assert.equal(line.ci_low, null);
  assert.match(line.note, /1 seed/);
  assert.match(formatSummaryTable([line]), /1 seed: no std or interval/);
});

Deno.test("compareArms: paired by seed when seeds match, Welch otherwise; zero excluded only for real gaps", () => {
  const rng = new Rng(4);
  let excludedBig = 0;
  for (let trial = 0; trial < 30; trial++) {
    const rows = randomRows(rng, [["a", 70], ["b", 60], ["c", 60]], [0, 1, 2, 3, 4]);
    const ab = compareArms(rows, "a", "b", "linearTop1");
    const xa = rows.filter((r) => r.arm === "a").map((r) => r.metrics.linearTop1!);
    const xb = rows.filter((r) => r.arm === "b").map((r) => r.metrics.linearTop1!);
    assert.equal(ab.method, "paired");
    assert.equal(ab.df, 4);
    assert.ok(Math.abs(ab.diff - (mean(xa) - mean(xb))) < 1e-9);
    const d = xa.map((x, i) => x - xb[i]);
    assert.ok(
      Math.abs(ab.high - ab.diff - studentTQuantile(0.975, 4) * sampleStd(d) / Math.sqrt(5)) < 1e-9,
    );
    if (ab.excludesZero) excludedBig++;
    // Welch with equal n and equal variances has df = 2n - 2.
    const welch = compareArms(rows, "a", "b", "linearTop1", { pairing: "welch" });
    assert.equal(welch.method, "welch");
    assert.ok(welch.df <= 8 + 1e-9 && welch.df >= 4 - 1e-9);
    const sym = compareArms(rows, "b", "a", "linearTop1", { pairing: "welch" });
    assert.ok(Math.abs(sym.low + welch.high) < 1e-9, "swapping arms mirrors the interval");
  }
  assert.equal(excludedBig, 30, "a 10-point gap with unit noise is always detected");
  const equalVar: AblationRow[] = randomRows(rng, [["a", 0], ["b", 0]], [0, 1, 2]);
  for (const [i, r] of equalVar.entries()) {
    r.metrics.linearTop1 = [1, 2, 3][i % 3] + (r.arm === "b" ? 5 : 0);
  }
  const w = compareArms(equalVar, "a", "b", "linearTop1", { pairing: "welch" });
  assert.ok(Math.abs(w.df - 4) < 1e-12);
  assert.ok(w.excludesZero && w.diff === -5);
  // Different seeds cannot be paired.
  const mixed = [...randomRows(rng, [["a", 0]], [0, 1]), ...randomRows(rng, [["b", 0]], [2, 3])];
  assert.equal(compareArms(mixed, "a", "b", "knnTop1").method, "welch");
  assert.throws(() => compareArms(mixed, "a", "b", "knnTop1", { pairing: "paired" }), /same seeds/);
  assert.throws(() => compareArms(mixed, "a", "zz", "knnTop1"), /arm "zz" has no values/);
});
