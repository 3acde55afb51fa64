import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { randomRows } from "../ablation/fixture_rows.ts";
import type { AblationOutcome } from "../ablation/runner.ts";
import type { AblationSpec } from "../ablation/spec.ts";
import { summarize } from "../ablation/summary.ts";
import { defaultExperiment } from "../config/experiment.ts";
import { AblationReport, datasetLabel, intervalText, randomInitGain } from "./report.ts";
import { lastEpochRecord, readEpochRecords } from "./run_metrics.ts";

function report(shiftB: number, seeds: number[], synthetic = true): AblationReport {
  const rows = randomRows(new Rng(3), [["a", 50], ["b", 50 + shiftB]], seeds)
    .map((r) => ({ ...r, synthetic, dataset: synthetic ? "synthetic" : "cifar10-jpeg" }));
  const config = defaultExperiment();
  config.data = { dataset: "cifar10-jpeg", trainSize: 5000, testSize: 1000 };
  const spec = {
    name: "t",
    title: "A vs B",
    arms: [{ name: "a", label: "Arm A", patch: {} }, { name: "b", label: "Arm B", patch: {} }],
    seeds: seeds.length,
    metrics: ["linearTop1", "knnTop1"],
  } as unknown as AblationSpec;
  const out = {
    outDir: "/tmp/t",
    rows,
    runs: [{ arm: "a", config }],
    summary: summarize(rows, spec.metrics),
  } as unknown as AblationOutcome;
  return new AblationReport(synthetic ? "tiny" : "quick", spec, seeds.length, out);
}

Deno.test("AblationReport: labels, values, verdicts that say what the interval says", () => {
  const r = report(10, [0, 1, 2, 3, 4]);
  assert.equal(r.labelOf("b"), "Arm B");
  assert.throws(() => r.labelOf("c"), /no arm "c"/);
  assert.equal(r.valuesOf("a", "linearTop1").length, 5);
  const c = r.compare("b", "a");
  assert.ok(c.excludesZero);
  assert.match(
    r.verdict(c),
    /^Arm B is higher than Arm A by \d+\.\d\d points .*the interval excludes zero\)$/,
  );
  assert.equal(r.best().arm, "b");
  assert.match(r.caveat(), /synthetic dataset on the `tiny` profile: they are meaningless/);
  assert.match(r.dataText(), /Synthetic shapes, SYNTHETIC data/);
  const row = r.comparisonRows([c])[0];
  assert.equal(row.comparison, "Arm B minus Arm A");
  assert.equal(row["excludes 0"], "yes");
  assert.equal(row["MDE (80% power)"], c.mde);
  assert.ok(c.mde > 0);
  assert.match(String(row["95% CI"]), /^\[\d+\.\d\d, \d+\.\d\d\]$/);

  const near = report(0, [0, 1, 2]);
  const nearC = near.compare("b", "a");
  assert.ok(!nearC.excludesZero);
  assert.equal(
    near.verdict(nearC).match(
      /no difference larger than (\d+\.\d\d) points is detectable with these 3 seeds/,
    )?.[1],
    nearC.mde.toFixed(2),
  );
  // Arms with different seed counts (a Welch comparison of a partial ablation) say both.
  assert.match(
    near.verdict({ ...nearC, method: "welch", nB: 2 }),
    /is detectable with these 3 vs 2 seeds/,
  );
  const one = report(5, [0], false);
  assert.match(one.verdict(one.compare("b", "a")), /no interval: fewer than 2 seeds; so no claim/);
  assert.match(
    one.caveat(),
    /^\*\*Quick profile\*\* \(CIFAR-10 \(JPEG copy\), 5,000 training images/,
  );
  const partial = report(5, [0], false);
  partial.out.partial = { finished: 2, planned: 6, seedsPerArm: { a: 1, b: 1 } };
  assert.match(
    partial.caveat(),
    /^\*\*PARTIAL: 2 of 6 planned runs finished \(seeds per arm: a 1, b 1\);.*\*\* \*\*Quick profile/,
  );
  assert.equal(intervalText(null, 1), "- (1 seed)");
  assert.equal(datasetLabel("svhn"), "SVHN");
});

Deno.test("readEpochRecords / lastEpochRecord read metrics.jsonl and name a bad line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/metrics.jsonl`,
      '{"epoch":0,"loss":5,"metrics":{}}\n{"epoch":1,"loss":4,"metrics":{"kd":2}}\n',
    );
    assert.deepEqual((await readEpochRecords(dir)).map((e) => e.loss), [5, 4]);
    assert.equal((await lastEpochRecord(dir)).metrics.kd, 2);
    await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"epoch":0}\nnot json\n');
    await assert.rejects(readEpochRecords(dir), /line 2 is not JSON/);
    await assert.rejects(readEpochRecords(`${dir}/none`), /cannot read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("randomInitGain: paired gain over the untrained encoder, and whether it learns", () => {
  const rows = randomRows(new Rng(3), [["a", 40], ["b", 30]], [0, 1, 2]);
  for (const r of rows) r.metrics.randomInitLinearTop1 = 30 + r.seed;
  const a = randomInitGain(rows, "a");
  const gains = rows.filter((r) => r.arm === "a").map((r) => r.metrics.linearTop1! - 30 - r.seed);
  assert.ok(Math.abs(a.gain.mean - gains.reduce((x, y) => x + y, 0) / 3) < 1e-9);
  assert.ok(a.learns, "gains of about 10 points over 3 seeds lie above zero");
  assert.match(a.text, /^\+\d+\.\d\d points \[[+-]\d+\.\d\d, [+-]\d+\.\d\d\] over 3 seeds -> /);
  const one = randomInitGain(rows.filter((r) => r.seed === 0), "b");
  assert.equal(one.learns, false);
  assert.match(one.text, /\(no interval\) over 1 seeds -> no gain over random init shown$/);
});
