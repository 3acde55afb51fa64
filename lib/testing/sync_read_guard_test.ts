import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { initBackend } from "../backend/select.ts";
import { listMethods } from "../methods/all.ts";
import { runExperiment } from "../experiment/run.ts";
import { buildTiny, tinyConfig, tinyData, trainTiny } from "./method_fixture.ts";
import { forbidSyncReads, SyncReadError } from "./sync_read_guard.ts";

await initBackend({ backend: "wasm", threads: 1 });

Deno.test("forbidSyncReads makes every synchronous read throw, and restores them after", async () => {
  const t = tf.tensor1d([1, 2, 3]);
  const reads: (() => unknown)[] = [() => t.dataSync(), () => t.arraySync(), () => t.bufferSync()];
  for (const read of reads) {
    await assert.rejects(forbidSyncReads(read), SyncReadError);
  }
  // Asynchronous reads stay allowed; the guard is lifted even when fn threw.
  assert.deepEqual(Array.from(await forbidSyncReads(() => t.data())), [1, 2, 3]);
  assert.deepEqual(Array.from(t.dataSync()), [1, 2, 3]);
  t.dispose();
});

/**
 * Every registered method with its defaults, plus the options that switch to
 * other code paths (learned loss weights, overlapping masks, the similarity
 * variants, grid masks, the supervised term).
 */
const cases: [string, Record<string, unknown>][] = [
  ...listMethods().map((m): [string, Record<string, unknown>] => [
    m.name,
    m.name === "saliency-moco" ? { queueSize: 32 } : {},
  ]),
  ["kdc-mae", { weights: "learned" }],
  ["kdc-mae", { masks: "overlap", streams: 3, ratio: 0.3 }],
  ["mim-siamese", { similarity: "cosine" }],
  ["mim-siamese", { similarity: "infonce" }],
  ["smag", { mask: "grid", maskViews: "both" }],
  ["smag", { lambdaCls: 0.5 }],
  ["saliency-simclr", { where: "random", fill: "mean", maskBranch: "both" }],
];

Deno.test("no training step of any method reads a tensor synchronously", async () => {
  assert.ok(listMethods().length >= 7, "the method registry looks empty");
  for (const [name, options] of cases) {
    const cfg = tinyConfig(name, options, 1);
    const method = buildTiny(cfg);
    try {
      const run = await forbidSyncReads(() => trainTiny(method, cfg));
      assert.ok(Number.isFinite(run.history[0].loss), `${name}: non-finite loss`);
    } catch (e) {
      throw new Error(`${name} ${JSON.stringify(options)}: ${(e as Error).stack}`);
    } finally {
      method.dispose();
    }
  }
});

Deno.test("a whole experiment (training, kNN monitor, kNN, linear probe, fine-tuning) reads only asynchronously", async () => {
  const cfg = tinyConfig("simclr", {}, 1);
  cfg.data = { ...cfg.data, dataset: "synthetic", trainSize: 64, testSize: 16 };
  cfg.eval = {
    ...cfg.eval,
    knnK: 5,
    linearMaxIter: 20,
    finetuneEpochs: 1,
    finetuneLabels: 30,
    monitorEvery: 1, // the kNN monitor runs between epochs
    monitorSize: 16,
  };
  const out = await Deno.makeTempDir();
  try {
    const result = await forbidSyncReads(() =>
      runExperiment(cfg, {
        outDir: out,
        backend: "wasm",
        threads: 1,
        dataset: tinyData,
        log: () => {},
        progress: () => {},
      })
    );
    assert.ok(Number.isFinite(result.linearTop1) && Number.isFinite(result.knnTop1));
    assert.ok(result.finetuneTop1 !== undefined && Number.isFinite(result.finetuneTop1));
    const epochs = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
    const monitored = JSON.parse(epochs[0]).metrics.knnMonitorTop1;
    assert.ok(Number.isFinite(monitored), "the kNN monitor did not run");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
