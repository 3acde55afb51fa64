import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { getAblation } from "../ablation/ablations.ts";
import { randomRows } from "../ablation/fixture_rows.ts";
import type { AblationOutcome } from "../ablation/runner.ts";
import { summarize } from "../ablation/summary.ts";
import { defaultExperiment } from "../config/experiment.ts";
import {
  ablationProgress,
  armBarChart,
  summaryTableRows,
  withSmallerTiny,
} from "./ablation_runs.ts";
import type { AblationSpec } from "../ablation/spec.ts";

Deno.test("ablationProgress counts finished, cached and foreign runs once each, never past the total", async () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const total = 1 + rng.int(8);
    const logged: string[] = [];
    const p = ablationProgress("abl", total, { jupyter: false, log: (l) => logged.push(l) });
    let expected = 0;
    for (let r = 0; r < total + 2; r++) {
      const kind = rng.int(4);
      if (kind === 0) p.log(`arm 1/2 (a) seed ${r}/3: cached: a-s${r}-abc`);
      else if (kind === 1) p.log(`arm 1/2 (a) seed ${r}/3: finished by another runner: a-s${r}`);
      else if (kind === 2) {
        p.log(`arm 1/2 (a) seed ${r}/3: training a-s${r}-abc (0/${total} done)`);
        p.progress("[smag] step 1/4", false);
        p.progress("[smag] step 4/4 done", true);
      } else {
        p.runLog("epoch 1 loss 3.2");
        p.progress("[smag] step 2/4", false);
        expected -= 1; // an unfinished run counts nothing
      }
      expected += 1;
      assert.equal(p.done(), Math.min(total, expected));
    }
    await p.finish();
    assert.match(logged.at(-1)!, new RegExp(`${Math.min(total, expected)}/${total} runs done`));
    assert.ok(p.lines().every((l) => l.startsWith("arm ")));
  }
  assert.throws(() => ablationProgress("abl", 0), /positive integer/);
});

Deno.test("withSmallerTiny shrinks only the tiny profile and leaves the spec untouched", async () => {
  const spec = await getAblation("simclr-temperature");
  const small = withSmallerTiny(spec);
  assert.equal(small.profiles.quick, spec.profiles.quick);
  assert.equal(small.profiles.paper, spec.profiles.paper);
  for (const dataset of [undefined, "synthetic"]) {
    const before = spec.profiles.tiny(defaultExperiment(), dataset);
    const after = small.profiles.tiny(defaultExperiment(), dataset);
    assert.deepEqual([after.data.trainSize, after.data.testSize], [32, 20]);
    assert.deepEqual([after.eval.linearMaxIter, after.eval.knnK], [10, 10]);
    // Everything else is the tiny profile's own.
    assert.deepEqual(
      { ...after, data: { ...after.data, trainSize: 0, testSize: 0 }, eval: {} },
      { ...before, data: { ...before.data, trainSize: 0, testSize: 0 }, eval: {} },
    );
    assert.deepEqual(
      { ...after.eval, linearMaxIter: 0, knnK: 0 },
      { ...before.eval, linearMaxIter: 0, knnK: 0 },
    );
  }
});

Deno.test("summaryTableRows: one row per summary line, values carried over", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 5; trial++) {
    const seeds = Array.from({ length: 1 + rng.int(4) }, (_, i) => i);
    const rows = randomRows(rng, [["a", 50], ["b", 60]], seeds);
    const summary = summarize(rows, ["linearTop1", "knnTop1"]);
    const table = summaryTableRows({ summary } as AblationOutcome);
    assert.equal(table.length, summary.length);
    for (const [i, s] of summary.entries()) {
      assert.equal(table[i].arm, s.label);
      assert.equal(table[i]["mean (%)"], s.mean);
      assert.equal(table[i]["95% CI low"], s.ci_low);
      assert.equal(table[i].n, seeds.length);
      assert.equal(table[i].data, "synthetic [synthetic]");
    }
  }
});

Deno.test("armBarChart puts the untrained encoder's linear probe beside the metrics when runs have it", () => {
  const rows = randomRows(new Rng(2), [["a", 50], ["b", 60]], [0, 1, 2]);
  const spec = {
    title: "A vs B",
    arms: [{ name: "a", label: "Arm A" }, { name: "b", label: "Arm B" }],
    metrics: ["linearTop1", "knnTop1"],
  } as unknown as AblationSpec;
  const names = (o: AblationOutcome) => armBarChart(spec, o).data.map((t) => t.name);
  const without = { rows, profile: "quick" } as unknown as AblationOutcome;
  assert.deepEqual(names(without), ["Linear probe top-1", "kNN top-1"]);
  const withInit = {
    rows: rows.map((r) => ({ ...r, metrics: { ...r.metrics, randomInitLinearTop1: 30 } })),
    profile: "quick",
  } as unknown as AblationOutcome;
  assert.deepEqual(names(withInit), [
    "Linear probe top-1",
    "kNN top-1",
    "Linear probe top-1, untrained encoder",
  ]);
});
