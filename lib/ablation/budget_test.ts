import assert from "node:assert/strict";
import { ablationBudget } from "./budget.ts";
import { defineAblation } from "./spec.ts";
import type { AblationRow } from "./row.ts";
import { minimalDetectableDifference } from "../stats/power.ts";

function spec(name: string, arms: string[]) {
  return defineAblation({
    name,
    title: name,
    question: "q",
    arms: arms.map((a) => ({ name: a, label: a, patch: { method: "simclr" } })),
    seeds: 3,
    metrics: ["linearTop1"],
    baseline: arms[0],
  });
}

function row(arm: string, seed: number, linear: number, seconds = 600): AblationRow {
  return {
    ablation: "t",
    profile: "10k-15ep",
    arm,
    armLabel: arm,
    seed,
    configHash: `${arm}${seed}`,
    method: "simclr",
    dataset: "cifar10-jpeg",
    synthetic: false,
    backend: "native",
    metrics: { linearTop1: linear },
    trainSeconds: seconds,
    evalSeconds: 0,
    seconds,
    runDir: `runs/${arm}-s${seed}`,
  };
}

Deno.test("ablationBudget: spread of paired differences, seeds for the target, hours left", () => {
  // differences b - a per seed: 1, 2, 3 (sd 1); c - a: 0, 0.5, 1 (sd 0.5)
  const rows = [
    row("a", 0, 40),
    row("a", 1, 41),
    row("a", 2, 42),
    row("b", 0, 41),
    row("b", 1, 43),
    row("b", 2, 45),
    row("c", 0, 40, 1200),
    row("c", 1, 41.5, 1200),
    row("c", 2, 43, 1200),
  ];
  const measured = spec("m", ["a", "b", "c"]);
  const unmeasured = spec("u", ["a", "b"]);
  const b = ablationBudget([{ spec: measured, rows }, { spec: unmeasured, rows: [] }], {
    metric: "linearTop1",
    target: 1.5,
  });
  const [m, u] = b.ablations;
  assert.equal(m.comparisons.length, 2);
  assert.ok(Math.abs(m.comparisons[0].sdDiff - 1) < 1e-12);
  assert.ok(Math.abs(m.comparisons[1].sdDiff - 0.5) < 1e-12);
  assert.ok(Math.abs(m.comparisons[0].mde - minimalDetectableDifference(1, 3)) < 1e-12);
  assert.equal(m.sdDiffUsed, 1);
  assert.equal(m.sdSource, "measured");
  // sd 1: MDE(4) = (t.975,3 + t.8,3) / 2 = (3.182 + 0.978) / 2 = 2.08 > 1.5; MDE(5) = 1.66;
  // MDE(6) = (2.571 + 0.920) / sqrt(6) = 1.43 <= 1.5
  assert.equal(m.seedsNeeded, 6);
  assert.equal(m.runsLeft, 9);
  // 3 runs each of a and b at 10 min, 3 of c at 20 min
  assert.ok(Math.abs(m.hoursLeft - (6 * 10 + 3 * 20) / 60) < 1e-9);
  // pooled over both comparisons (2 df each): sqrt((1 + 0.25) / 2)
  assert.ok(Math.abs(b.pooledSdDiff - Math.sqrt(0.625)) < 1e-12);
  assert.equal(u.sdSource, "pooled");
  assert.equal(u.runsDone, 0);
  assert.ok(Math.abs(u.minutesPerRun.a - 40 / 3) < 1e-9, "same method's mean minutes");
  assert.ok(Math.abs(b.hoursLeft - m.hoursLeft - u.hoursLeft) < 1e-9);
  assert.equal(b.runsLeftUnknown, 0);
  // An arm whose method never ran: its runs are counted apart, not as 0 hours.
  const moco = defineAblation({
    name: "v",
    title: "v",
    question: "q",
    arms: [{ name: "m", label: "m", patch: { method: "moco-v2" } }],
    seeds: 3,
    metrics: ["linearTop1"],
  });
  const withMoco = ablationBudget([{ spec: measured, rows }, { spec: moco, rows: [] }], {
    metric: "linearTop1",
    target: 1.5,
  });
  assert.equal(withMoco.ablations[1].seedsNeeded, 5); // pooled sd 0.79: MDE(5) = 1.31
  assert.equal(withMoco.ablations[1].runsLeftUnknown, 5);
  assert.equal(withMoco.ablations[1].hoursLeft, 0);
  assert.equal(withMoco.runsLeftUnknown, 5);
});

Deno.test("ablationBudget: a target of 0 is refused", () => {
  assert.throws(
    () => ablationBudget([], { metric: "linearTop1", target: 0 }),
    /target must be > 0/,
  );
});
