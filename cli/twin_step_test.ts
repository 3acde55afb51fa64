/**
 * The PyTorch twin's training step against the kit's: `cli/twin_step_export.ts` writes a few
 * SimCLR steps of the kit (weights, views, loss, gradients, AdamW update, running statistics)
 * and `bench/twin_step_check.py` replays them with `bench/simclr_twin.py`'s classes. Skipped,
 * with a message, only when no python3 with torch and numpy is found.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hasTorch, pythonCandidates } from "./bench_torch.ts";

const EXPORT = new URL("./twin_step_export.ts", import.meta.url).pathname;
const CHECK = new URL("../bench/twin_step_check.py", import.meta.url).pathname;

/**
 * Tolerances asserted here (float32 on both sides; observed ~1e-7 loss, ~1e-5 gradients). The
 * gradient bound allows for rare outliers: with 8 images (16 views) one step in a few showed
 * ~4e-3-9e-3 relative error over most tensors (loss still equal to 1e-7; the next step back at
 * 1e-5), which we read as a ReLU input within float32 rounding of 0 taking the other side on one
 * of the two (not proven). Every real difference found so far (a different temperature) moves
 * the gradients by 0.6-0.9.
 */
const TOL = { loss: 1e-5, grad: 3e-2, buffer: 1e-4, step: 1e-2 };

async function findPython(): Promise<string | undefined> {
  for (const p of pythonCandidates()) if (await hasTorch(p, ["torch", "numpy"])) return p;
  return undefined;
}

const python = await findPython();
if (python === undefined) {
  console.warn(
    "cli/twin_step_test.ts: SKIPPED: no python3 with torch and numpy (tried " +
      `${pythonCandidates().join(", ")}); apt-get install python3-torch, or set KIT_TORCH_PYTHON`,
  );
}

interface StepRecord {
  step: number;
  lossKit: number;
  lossTwin: number;
  lossRel: number;
  gradRelMax: number;
  gradRelWorst: string;
  bufferRelMax: number;
  paramErrMaxInLr: number;
}

interface CheckResult {
  ok: boolean;
  firstMismatch: string | null;
  temperature: { kit: number; twin: number };
  steps: StepRecord[];
}

/** Exports `steps` kit steps with `flags` and runs the twin check on them. */
async function exportAndCheck(flags: string[], steps: number): Promise<CheckResult> {
  const dir = await Deno.makeTempDir({ prefix: "twin_step_" });
  const dec = new TextDecoder();
  try {
    const exp = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", EXPORT, "--out", dir, "--steps", `${steps}`, "--threads", "1", ...flags],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(exp.code, 0, dec.decode(exp.stderr));
    const check = await new Deno.Command(python!, {
      args: [
        CHECK,
        dir,
        "--tol-loss",
        `${TOL.loss}`,
        "--tol-grad",
        `${TOL.grad}`,
        "--tol-buffer",
        `${TOL.buffer}`,
        "--tol-step",
        `${TOL.step}`,
      ],
      env: { OMP_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = dec.decode(check.stderr);
    const last = dec.decode(check.stdout).trim().split("\n").at(-1) ?? "";
    let result: CheckResult;
    try {
      result = JSON.parse(last) as CheckResult;
    } catch {
      throw new Error(`twin_step_check.py printed no JSON line (exit ${check.code}):\n${stderr}`);
    }
    assert.equal(result.ok, check.code === 0, stderr);
    assert.equal(result.steps.length, steps, stderr);
    for (const s of result.steps) {
      const where = `step ${s.step}: ${JSON.stringify(s)}\n${stderr}`;
      assert.ok(s.lossRel <= TOL.loss, where);
      assert.ok(s.gradRelMax <= TOL.grad, where);
      assert.ok(s.bufferRelMax <= TOL.buffer, where);
      assert.ok(s.paramErrMaxInLr <= TOL.step, where);
    }
    assert.equal(result.firstMismatch, null, stderr);
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "the twin's loss, gradients and AdamW steps equal the kit's (default temperature)",
  ignore: python === undefined,
  fn: async () => {
    // The kit's config as `deno task train` writes it without --temperature: methodOptions {}.
    // The twin must then use the kit's default temperature, not one of its own.
    const r = await exportAndCheck(["--arch", "resnet10", "--width", "8", "--batch", "16"], 2);
    assert.equal(r.temperature.twin, r.temperature.kit);
    assert.ok(r.steps[1].lossKit !== r.steps[0].lossKit);
  },
});

Deno.test({
  name: "the twin's step equals the kit's with an explicit temperature",
  ignore: python === undefined,
  fn: async () => {
    const r = await exportAndCheck([
      "--arch",
      "resnet6",
      "--width",
      "8",
      "--batch",
      "8",
      "--temperature",
      "0.35",
      "--lr",
      "0.002",
    ], 1);
    assert.deepEqual(r.temperature, { kit: 0.35, twin: 0.35 });
  },
});
