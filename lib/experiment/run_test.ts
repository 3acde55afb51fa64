import assert from "node:assert/strict";
import { join } from "node:path";
import type { ExperimentConfig } from "../config/experiment.ts";
import { generateSynthetic } from "../data/synthetic.ts";
import { runExperiment } from "./run.ts";
import { withDefaultOptions } from "../methods/all.ts";
import type { RunRecord } from "../train/run_record.ts";
import { QUIET_RUN, tinyRunConfig } from "../testing/run_fixture.ts";
import { cpuModel } from "../backend/cpu_model.ts";

function tinyConfig(): ExperimentConfig {
  const cfg = tinyRunConfig();
  cfg.eval = {
    ...cfg.eval,
    linearMaxIter: 50,
    finetuneLabels: 20,
    finetuneEpochs: 1,
    monitorEvery: 1,
    monitorSize: 30,
  };
  return cfg;
}

const quiet = QUIET_RUN;

Deno.test("runExperiment writes config, run record, metrics and result, and reuses a finished run", async () => {
  const out = await Deno.makeTempDir();
  const cfg = tinyConfig();
  const result = await runExperiment(cfg, { ...quiet, outDir: out });
  for (const k of ["linearTop1", "linearTop5", "knnTop1", "knnTop5", "finetuneTop1"] as const) {
    const v = result[k]!;
    assert.ok(v >= 0 && v <= 100, `${k} = ${v}`);
  }
  assert.equal(result.backend, "wasm");
  assert.equal(result.synthetic, true);
  assert.equal(result.finetuneLabels, 20);
  // The random-init baselines: probe, kNN and the same fine-tuning from the untrained encoder.
  for (
    const k of ["randomInitLinearTop1", "randomInitKnnTop1", "randomInitFinetuneTop1"] as const
  ) {
    const v = result[k];
    assert.ok(v !== undefined && v >= 0 && v <= 100, `${k} = ${v}`);
  }
  // Collapse diagnostics of the test features, trained and untrained.
  for (const k of ["featureStd", "randomInitFeatureStd"] as const) {
    const v = result[k];
    assert.ok(v !== undefined && v > 0 && v < 2, `${k} = ${v}`);
  }
  for (const k of ["featureRank", "randomInitFeatureRank"] as const) {
    const v = result[k];
    assert.ok(v !== undefined && v >= 1, `${k} = ${v}`);
  }

  const record = JSON.parse(await Deno.readTextFile(join(out, "run.json"))) as RunRecord;
  assert.equal(record.status, "finished");
  assert.equal(record.dataset.synthetic, true);
  assert.equal(record.backend.name, "wasm");
  assert.ok(record.code.commit.length > 0);
  assert.deepEqual(record.host.cpu, cpuModel(), "run.json names the CPU it trained on");
  assert.ok(record.timings.trainSeconds > 0);
  const lines = (await Deno.readTextFile(join(out, "metrics.jsonl"))).trim().split("\n");
  assert.equal(lines.length, 2);
  for (const line of lines) {
    const top1 = JSON.parse(line).metrics.knnMonitorTop1;
    assert.ok(top1 >= 0 && top1 <= 100, `kNN monitor top-1 ${top1} in every epoch line`);
  }
  // config.json is the config with every method option written out (defaults included).
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(join(out, "config.json"))),
    withDefaultOptions(cfg),
  );
  assert.equal(
    JSON.parse(await Deno.readTextFile(join(out, "config.json"))).methodOptions
      .temperature,
    0.2,
  );

  const again = await runExperiment(cfg, { ...quiet, outDir: out });
  assert.deepEqual(again, result);

  const other = { ...tinyConfig(), seed: 5 };
  await assert.rejects(
    runExperiment(other, { ...quiet, outDir: out }),
    /different configuration.*--fresh/,
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("runExperiment accepts a dataset in memory and rejects bad configs before training", async () => {
  const out = await Deno.makeTempDir();
  const bad = tinyConfig();
  bad.optim.batchSize = 1;
  await assert.rejects(runExperiment(bad, { ...quiet, outDir: out }), /batchSize.*at least 2/);
  const cfg = tinyConfig();
  cfg.eval.finetuneLabels = undefined;
  const dataset = generateSynthetic({ trainSize: 48, testSize: 20, seed: 9 });
  const r = await runExperiment(cfg, { ...quiet, outDir: out, dataset });
  assert.equal(r.trainImages, 48);
  assert.equal(r.finetuneTop1, undefined);
  assert.equal(r.randomInitFinetuneTop1, undefined);
  await Deno.remove(out, { recursive: true });
});
