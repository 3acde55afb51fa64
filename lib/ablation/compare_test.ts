import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { randomRows } from "./fixture_rows.ts";
import type { AblationRow } from "./row.ts";
import { type ArmComparison, compareArms } from "./compare.ts";
import { mdeMultiplier } from "../stats/power.ts";
import { sampleStd } from "../stats/t_interval.ts";

/** Rows of arms `a` and `b` over `seeds` with the given linearTop1 values. */
function rowsOf(values: Record<string, number[]>, seeds: Record<string, number[]>): AblationRow[] {
  const rng = new Rng(0);
  return Object.entries(values).flatMap(([arm, vs]) => {
    const rows = randomRows(rng, [[arm, 0]], seeds[arm]);
    rows.forEach((r, i) => (r.metrics.linearTop1 = vs[i]));
    return rows;
  });
}

/** The evidence must agree with the interval it was computed from. */
function assertConsistent(c: ArmComparison) {
  assert.equal(c.excludesZero, c.evidence === "excludes-zero");
  if (c.evidence === "too-few-seeds") {
    assert.ok(!Number.isFinite(c.low) && !Number.isFinite(c.high));
  } else if (c.evidence === "no-spread") {
    assert.equal(c.low, c.diff);
    assert.equal(c.high, c.diff);
  } else {
    assert.ok(c.low < c.diff && c.diff < c.high, `${c.low} < ${c.diff} < ${c.high}`);
    assert.equal(c.evidence === "excludes-zero", c.low > 0 || c.high < 0);
  }
}

Deno.test("compareArms evidence: with seed noise it follows the interval's side of zero", () => {
  const rng = new Rng(21);
  const seen = new Set<string>();
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + rng.int(5);
    const seeds = Array.from({ length: n }, (_, i) => i);
    const gap = rng.uniform(-4, 4);
    const rows = randomRows(rng, [["a", 50 + gap], ["b", 50]], seeds);
    for (const pairing of ["auto", "welch"] as const) {
      for (const metric of ["linearTop1", "knnTop1"]) {
        const c = compareArms(rows, "a", "b", metric, { pairing });
        assertConsistent(c);
        assert.notEqual(c.evidence, "no-spread", "real seed noise is spread");
        assert.notEqual(c.evidence, "too-few-seeds");
        seen.add(c.evidence);
      }
    }
  }
  assert.deepEqual([...seen].sort(), ["excludes-zero", "includes-zero"]);
});

Deno.test("compareArms evidence: every seed tying is 'no spread', never 'excludes zero'", () => {
  const rng = new Rng(22);
  for (let trial = 0; trial < 40; trial++) {
    const n = 2 + rng.int(5);
    const seeds = Array.from({ length: n }, (_, i) => i);
    // Paired: the same difference on every seed, on accuracies with decimals (whose
    // subtraction leaves rounding noise of ~1e-14, which is no spread either).
    const shift = trial % 4 === 0 ? 0 : Math.round(rng.uniform(-10, 10) * 40) / 40;
    const base = seeds.map(() => Math.round(rng.uniform(5, 95) * 10) / 10);
    const paired = compareArms(
      rowsOf({ a: base.map((v) => v + shift), b: base }, { a: seeds, b: seeds }),
      "a",
      "b",
      "linearTop1",
    );
    assert.equal(paired.method, "paired");
    assert.equal(paired.evidence, "no-spread", paired.text);
    assert.ok(Math.abs(paired.diff - shift) < 1e-9);
    assert.match(paired.text, /no spread, cannot tell: every seed gave the same difference/);
    assertConsistent(paired);
    // Welch: each arm one value on every seed (the tiny profile's ties), seeds not shared.
    const welch = compareArms(
      rowsOf({ a: seeds.map(() => 10 + shift), b: seeds.map(() => 10) }, {
        a: seeds,
        b: seeds.map((s) => s + n),
      }),
      "a",
      "b",
      "linearTop1",
    );
    assert.equal(welch.method, "welch");
    assert.equal(welch.evidence, "no-spread", welch.text);
    assert.match(welch.text, /no spread, cannot tell: each arm gave one value on every seed/);
    assertConsistent(welch);
  }
});

Deno.test("compareArms evidence: a small real spread still gives an interval; one seed gives none", () => {
  // Differences 2.5, 2.5, 2.75: tiny spread, but spread; the interval is not zero-width.
  const c = compareArms(
    rowsOf({ a: [12.5, 15, 17.75], b: [10, 12.5, 15] }, { a: [0, 1, 2], b: [0, 1, 2] }),
    "a",
    "b",
    "linearTop1",
  );
  assert.notEqual(c.evidence, "no-spread");
  assert.ok(c.high - c.low > 0.1);
  assertConsistent(c);
  const one = compareArms(rowsOf({ a: [3], b: [1] }, { a: [0], b: [0] }), "a", "b", "linearTop1");
  assert.equal(one.evidence, "too-few-seeds");
  assert.match(one.text, /too few seeds/);
  assert.ok(Number.isNaN(one.mde), "one seed: the MDE is undefined");
  assert.match(one.text, /MDE undefined/);
  assertConsistent(one);
});

Deno.test("compareArms: the MDE is (t_0.975 + t_0.8) sd_diff / sqrt(n) and stands in the text", () => {
  // Paired differences 1, 2, 4 over 3 seeds: sd sqrt(7/3); MDE = 5.3633 * 1.5275 / 1.7321 = 4.73.
  const c = compareArms(
    rowsOf({ a: [11, 22, 34], b: [10, 20, 30] }, { a: [0, 1, 2], b: [0, 1, 2] }),
    "a",
    "b",
    "linearTop1",
  );
  assert.equal(c.method, "paired");
  const want = (4.30265 + 1.06066) * Math.sqrt(7 / 3) / Math.sqrt(3);
  assert.ok(Math.abs(c.mde - want) < 1e-3, `${c.mde} vs ${want}`);
  assert.equal(c.power, 0.8);
  assert.equal(c.evidence, "includes-zero");
  assert.match(c.text, /no difference larger than 4\.73 points detectable with 3 seeds/);
  assert.doesNotMatch(c.text, /no effect/);
  // The MDE is wider than the interval's half-width (power 80% > 50%).
  assert.ok(c.mde > (c.high - c.low) / 2);
  // A higher power asks for a larger difference.
  const p9 = compareArms(
    rowsOf({ a: [11, 22, 34], b: [10, 20, 30] }, { a: [0, 1, 2], b: [0, 1, 2] }),
    "a",
    "b",
    "linearTop1",
    { power: 0.9 },
  );
  assert.ok(p9.mde > c.mde);
  // Welch: the same multiplier at the Welch df times the standard error.
  const w = compareArms(
    rowsOf({ a: [11, 22, 34], b: [10, 20, 30] }, { a: [0, 1, 2], b: [3, 4, 5] }),
    "a",
    "b",
    "linearTop1",
  );
  assert.equal(w.method, "welch");
  const se = Math.sqrt(sampleStd([11, 22, 34]) ** 2 / 3 + sampleStd([10, 20, 30]) ** 2 / 3);
  assert.ok(Math.abs(w.mde - mdeMultiplier(w.df) * se) < 1e-9);
});

Deno.test("compareArms: a difference that excludes zero also reports its MDE", () => {
  const c = compareArms(
    rowsOf({ a: [15, 16.2, 14.9], b: [10, 11, 10] }, { a: [0, 1, 2], b: [0, 1, 2] }),
    "a",
    "b",
    "linearTop1",
  );
  assert.equal(c.evidence, "excludes-zero");
  assert.ok(Number.isFinite(c.mde) && c.mde > 0);
  assert.match(c.text, /; MDE \d+(\.\d+)? at 80% power$/);
});
