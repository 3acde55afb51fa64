/**
 * `deno task bench --e2e` on a tiny synthetic run: the report's shape, that the phases account
 * for the training seconds, and (when python3 with torch is found) the twin side and the ratio.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hasTorch, pythonCandidates } from "./bench_torch.ts";
import {
  benchConfig,
  type CaseResult,
  formatE2e,
  formatScaling,
  median,
  phaseMedians,
  PHASES,
  scalingCases,
} from "./bench_e2e.ts";

const BENCH = new URL("./bench.ts", import.meta.url).pathname;

let torchFound = false;
for (const p of pythonCandidates()) torchFound ||= await hasTorch(p, ["torch", "numpy"]);

Deno.test("median and per-phase medians per step", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.throws(() => median([]), /empty/);
  const m = phaseMedians([{ forward: 1, backward: 3 }, { forward: 3, backward: 1 }, {
    forward: 2,
    backward: 2,
  }], 10);
  assert.equal(m.forward, 200); // 2 s over 10 steps = 200 ms per step
  assert.equal(m.backward, 200);
  assert.equal(m.views, 0, "a phase a side lacks is 0");
  assert.deepEqual(Object.keys(m), [...PHASES]);
});

Deno.test("scaling cases vary one setting at a time around the centre, which appears once", () => {
  const cases = scalingCases(5);
  assert.deepEqual(cases.map((c) => c.label), [
    "batch 64",
    "batch 128",
    "batch 256",
    "batch 512",
    "width 32",
    "width 64",
    "64 px",
    "96 px",
    "resnet18",
  ]);
  const centre = { arch: "resnet10", width: 16, batchSize: 256, imageSize: 32 };
  for (const c of cases) {
    const differs = (Object.keys(centre) as (keyof typeof centre)[]).filter((k) =>
      c[k] !== centre[k]
    );
    assert.ok(differs.length <= 1, `${c.label} varies ${differs.join(", ")}`);
    assert.equal(c.trainSize, c.batchSize * 5);
    assert.equal(c.epochs, 2);
  }
  const cfg = benchConfig(cases[8], "synthetic", 3);
  assert.deepEqual(cfg.encoder.backbone.blocks, [2, 2, 2, 2]);
  assert.equal(cfg.optim.warmupEpochs, 1);
  assert.throws(() => benchConfig({ ...cases[0], arch: "resnet7" }, "x", 3), /unknown --arch/);
});

Deno.test({
  name: "bench --e2e: whole runs of both sides, phases adding up to the training time",
  sanitizeResources: false,
  fn: async () => {
    const args = [
      "run",
      "-A",
      BENCH,
      "--e2e",
      "--dataset",
      "synthetic",
      "--train-size",
      "128",
      "--batch-size",
      "64",
      "--epochs",
      "1",
      "--widths",
      "8", // PyTorch 1.13 (Debian) crashes (SIGSEGV) on width 4 in channels-last
      "--reps",
      "2",
      "--threads",
      "1",
      "--json",
      ...(torchFound ? [] : ["--no-torch"]),
    ];
    const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
      .output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.ok(out.success, stderr);
    const report = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assert.equal(report.synthetic, true);
    assert.equal(report.cases.length, 1);
    const w: CaseResult = report.cases[0];
    assert.equal(w.width, 8);
    assert.equal(w.steps, 2);
    assert.equal(w.images, 128);
    assert.equal(w.kit.seconds.length, 2);
    assert.equal(w.kit.medianSeconds, median(w.kit.seconds));
    assert.equal(w.kit.lastEpochSeconds.length, 2);
    // One epoch of two steps: its seconds are nearly the run's (a last-step-only timer gives half).
    const wholeEpoch = (side: { seconds: number[]; lastEpochSeconds: number[] }) =>
      side.lastEpochSeconds.every((s, i) => s >= 0.75 * side.seconds[i] && s <= side.seconds[i]);
    assert.ok(wholeEpoch(w.kit), JSON.stringify(w.kit));
    for (const p of ["views", "forward", "backward", "optimizer", "checkpoint"]) {
      assert.ok(w.phaseMsPerStep.kit[p] > 0, `kit phase ${p} timed`);
    }
    for (const rep of w.kit.phaseSeconds) {
      const sum = Object.values(rep).reduce((a, b) => a + b, 0);
      // "other" holds the rest: the phases add up to the run's training seconds.
      const secs = w.kit.seconds[w.kit.phaseSeconds.indexOf(rep)];
      assert.ok(Math.abs(sum - secs) < 1e-6 * Math.max(1, secs), `${sum} vs ${secs}`);
    }
    if (torchFound) {
      assert.ok(w.twin, "twin side missing although torch was found");
      assert.equal(w.twin.seconds.length, 2);
      assert.ok(w.phaseMsPerStep.twin!.forward > 0 && w.phaseMsPerStep.twin!.views > 0);
      assert.ok(Math.abs(w.speedRatio! - w.twin.medianSeconds / w.kit.medianSeconds) < 1e-12);
      assert.equal(w.twin.lastEpochSeconds.length, 2);
      assert.ok(wholeEpoch(w.twin), JSON.stringify(w.twin));
      assert.ok(w.lastEpochSpeedRatio! > 0);
    } else {
      console.warn("cli/bench_e2e_test.ts: twin side SKIPPED: no python3 with torch and numpy");
    }
    const table = formatE2e(report.cases, 1);
    assert.match(table, /\| width 8 \| 2 \|/);
    assert.match(table, /\| views \|/);
    assert.match(formatScaling(report.cases, 1), /\| width 8 \| \d+\.\d\d \|/);
  },
});
