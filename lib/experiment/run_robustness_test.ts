/**
 * What runExperiment guarantees when things go wrong: bad configs and
 * unwritable folders are refused before anything is written, a full disk is
 * named, metrics.jsonl follows the checkpoint, a damaged checkpoint falls
 * back to the previous one, and 1-channel image folders train.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { encode as encodePng } from "fast-png";
import type { ExperimentConfig } from "../config/experiment.ts";
import { generateSynthetic } from "../data/synthetic.ts";
import { importDataset } from "../data/registry.ts";
import { gzipBytes, writeTar } from "../data/tar_write.ts";
import { Rng } from "../rng.ts";
import { canMountTmpfs, withTmpfs } from "../testing/tmpfs.ts";
import { runExperiment } from "./run.ts";
import { withTempDir } from "../testing/temp_dirs.ts";
import { QUIET_RUN, tinyRunConfig } from "../testing/run_fixture.ts";

const tinyConfig = tinyRunConfig;
const quiet = QUIET_RUN;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("runExperiment: every bad config is refused before the run folder exists", async () => {
  await withTempDir(async (tmp) => {
    const out = join(tmp, "run");
    const bad: [string, (cfg: ExperimentConfig) => void, RegExp][] = [
      ["unknown method", (c) => (c.method = "nope"), /unknown method "nope"/],
      [
        "unknown option key",
        (c) => (c.methodOptions = { temprature: 0.2 }),
        /has no option\(s\) temprature/,
      ],
      [
        "out-of-range option",
        (c) => (c.methodOptions = { temperature: -1 }),
        /option "temperature" must be a number > 0, got -1/,
      ],
      [
        "impossible mask ratio",
        (c) => {
          c.method = "kdc-mae";
          c.methodOptions = { ratio: 0.3 };
        },
        /ratio/,
      ],
      [
        "batch larger than the training set",
        (c) => (c.optim.batchSize = 128),
        /batchSize \(--batch-size\) 128 is larger than data.trainSize \(--train-size\) 64/,
      ],
      [
        "absurd token count",
        (c) => {
          c.method = "smag";
          c.methodOptions = { tokenSize: 4, tokenCount: 100000 };
        },
        /tokenCount" 100000 exceeds the 841 distinct positions of a 4x4 token on 32x32/,
      ],
    ];
    for (const [what, edit, message] of bad) {
      const cfg = tinyConfig();
      edit(cfg);
      await assert.rejects(runExperiment(cfg, { ...quiet, outDir: out }), message, what);
      assert.equal(await exists(out), false, `${what}: ${out} was created`);
    }
    // A fine-tuning budget that cannot be drawn: refused now, not after the training.
    const budget = tinyConfig();
    budget.eval = { ...budget.eval, finetuneLabels: 15 };
    await assert.rejects(
      runExperiment(budget, { ...quiet, outDir: out }),
      /--finetune-labels: label budget 15 cannot be split evenly over 10 classes/,
    );
    assert.equal(await exists(out), false);
    // A batch larger than a dataset given in memory (no --train-size to compare with).
    const small = generateSynthetic({ trainSize: 12, testSize: 10, seed: 1 });
    await assert.rejects(
      runExperiment(tinyConfig(), { ...quiet, outDir: out, dataset: small }),
      /12 images, fewer than one batch of 16; lower --batch-size/,
    );
    assert.equal(await exists(out), false);

    // The corrected command, same folder: accepted.
    const good = tinyConfig();
    good.optim.epochs = 1;
    const result = await runExperiment(good, { ...quiet, outDir: out });
    assert.equal(result.epochs, 1);
    // A bad config with --fresh does not wipe the finished run.
    const wrong = tinyConfig();
    wrong.method = "nope";
    await assert.rejects(runExperiment(wrong, { ...quiet, outDir: out, fresh: true }));
    assert.ok(await exists(join(out, "result.json")), "--fresh deleted before validating");
  });
});

Deno.test("runExperiment: a token count that masks nearly everything is warned with the masked fraction", async () => {
  await withTempDir(async (tmp) => {
    const cfg = tinyConfig();
    cfg.method = "smag";
    cfg.methodOptions = { tokenSize: 8, tokenCount: 600 };
    cfg.optim.epochs = 1;
    const lines: string[] = [];
    await runExperiment(cfg, { ...quiet, outDir: join(tmp, "run"), log: (l) => lines.push(l) });
    assert.match(lines.join("\n"), /600 tokens of 8x8 mask (99\.\d|100\.0) % of each 32x32 image/);
  });
});

Deno.test({
  name: "runExperiment: a read-only run folder is refused before the dataset is loaded",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    await withTmpfs({ sizeKiB: 64, readOnly: true }, async (ro) => {
      const cfg = tinyConfig();
      cfg.data.dataset = "no-such-dataset"; // loading it would fail with another message
      await assert.rejects(
        runExperiment(cfg, { ...quiet, outDir: join(ro, "runs", "a") }),
        (e: Error) =>
          e.message.includes(
            `cannot create the run folder ${join(ro, "runs", "a")}: ${ro} is on ` +
              "a read-only file system; choose --out on a writable disk",
          ),
      );
    });
  },
});

Deno.test({
  name: "runExperiment: a full disk is reported with the path and the fix",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    await withTmpfs({ sizeKiB: 48 }, async (small) => {
      const out = join(small, "run");
      await assert.rejects(
        runExperiment(tinyConfig(), { ...quiet, outDir: out }),
        (e: Error) =>
          e.message.startsWith(`no space left on the disk of ${out}`) &&
          /choose --out on another one, then rerun the same command/.test(e.message),
      );
    });
  },
});

Deno.test("runExperiment: metrics.jsonl gets back an epoch line lost between checkpoint and append", async () => {
  await withTempDir(async (out) => {
    const cfg = tinyConfig();
    cfg.eval = { ...cfg.eval, monitorEvery: 1, monitorSize: 30 };
    await runExperiment(cfg, { ...quiet, outDir: out });
    const metrics = join(out, "metrics.jsonl");
    const full = await Deno.readTextFile(metrics);
    const lines = full.trim().split("\n");
    assert.equal(lines.length, 2);
    // The state a kill leaves after the last checkpoint and before (or during) the append.
    for (const cut of [lines[0] + "\n", lines[0] + "\n" + lines[1].slice(0, 20)]) {
      await Deno.remove(join(out, "result.json"));
      await Deno.writeTextFile(metrics, cut);
      await runExperiment(cfg, { ...quiet, outDir: out });
      assert.equal(await Deno.readTextFile(metrics), full, "metrics.jsonl not repaired");
    }
  });
});

Deno.test("runExperiment: a damaged latest checkpoint falls back to the previous one and says so", async () => {
  await withTempDir(async (out) => {
    const cfg = tinyConfig();
    const first = await runExperiment(cfg, { ...quiet, outDir: out });
    await Deno.remove(join(out, "result.json"));
    const index = JSON.parse(await Deno.readTextFile(join(out, "checkpoint", "latest.json")));
    const blob = join(out, "checkpoint", index.blob);
    const bytes = await Deno.readFile(blob);
    await Deno.writeFile(blob, bytes.subarray(0, bytes.length >> 1));
    const lines: string[] = [];
    const again = await runExperiment(cfg, { ...quiet, outDir: out, log: (l) => lines.push(l) });
    const log = lines.join("\n");
    assert.match(log, /is truncated.*Resuming from the previous checkpoint/s);
    assert.match(log, /resumed from .* \(previous checkpoint\) at epoch 1, step 4\/8/);
    assert.doesNotMatch(log, /loadCheckpoint/);
    assert.equal(again.finalLoss, first.finalLoss, "the redone epoch differs");
    const metrics = (await Deno.readTextFile(join(out, "metrics.jsonl"))).trim().split("\n");
    assert.deepEqual(metrics.map((l) => JSON.parse(l).epoch), [0, 1]);
  });
});

Deno.test("runExperiment: a folder of 1-channel PNGs trains with SimCLR's recipe adapted and logged", async () => {
  await withTempDir(async (tmp) => {
    const rng = new Rng(4);
    const png = () =>
      encodePng({
        width: 16,
        height: 16,
        data: new Uint8Array(256).map(() => rng.int(256)),
        channels: 1,
        depth: 8,
      });
    const entries = [];
    for (const split of ["train", "test"]) {
      for (const cls of ["a", "b"]) {
        for (let i = 0; i < (split === "train" ? 16 : 6); i++) {
          entries.push({ name: `${split}/${cls}/${i}.png`, data: png() });
        }
      }
    }
    const archive = join(tmp, "gray.tar.gz");
    await Deno.writeFile(archive, await gzipBytes(writeTar(entries)));
    const dataset = await importDataset("gray", [archive], { cacheDir: join(tmp, "cache") });
    assert.deepEqual(dataset.imageShape, [16, 16, 1]);
    const cfg = tinyConfig();
    cfg.data = { dataset: "gray" };
    cfg.optim.epochs = 1;
    const lines: string[] = [];
    const r = await runExperiment(cfg, {
      ...quiet,
      outDir: join(tmp, "run"),
      dataset,
      log: (l) => lines.push(l),
    });
    assert.ok(Number.isFinite(r.finalLoss));
    assert.match(
      lines.join("\n"),
      /1-channel images: the model takes 1 input channel and the view recipe jitters brightness and contrast only/,
    );
  });
});
