/**
 * `deno task bench --e2e` on a tiny synthetic run: the report's shape, that the phases account
 * for the training seconds, and (when python3 with torch is found) the twin side and the ratio.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hasTorch, pythonCandidates } from "./bench_torch.ts";
import { formatE2e, median, phaseMedians, PHASES, type WidthResult } from "./bench_e2e.ts";

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
    assert.equal(report.widths.length, 1);
    const w: WidthResult = report.widths[0];
    assert.equal(w.width, 8);
    assert.equal(w.steps, 2);
    assert.equal(w.images, 128);
    assert.equal(w.kit.seconds.length, 2);
    assert.equal(w.kit.medianSeconds, median(w.kit.seconds));
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
    } else {
      console.warn("cli/bench_e2e_test.ts: twin side SKIPPED: no python3 with torch and numpy");
    }
    const table = formatE2e(report.widths, 1);
    assert.match(table, /\| 8 \| 2 \|/);
    assert.match(table, /\| views \|/);
  },
});
