/**
 * `deno task method-profile`: a few training steps of one run's config (any method), timed per
 * phase and per kernel, to find what makes a method slow; with `--compare`, the same steps with
 * a list of native kernels switched off (their stock cpu kernels run instead), interleaved rep
 * by rep, so a native kernel is measured against the kernel it replaces in one run.
 *
 * ```
 * deno task method-profile --config results/saliency-where/runs/random-s0-d93b137d5f19/config.json
 * deno task method-profile --ablation saliency-how --arm blur     # an arm's config, seed 0
 * deno task method-profile --config <run>/config.json --steps 8 --reps 3 --compare js-loops
 * deno task method-profile --config <run>/config.json --compare js-loops --out results/bench/x.json
 * ```
 *
 * The steps are what `deno task train` runs for that config (data order, views, forward,
 * backward, optimizer, checkpoint) on its first `batch x steps` training images, one epoch,
 * no warm-up and no evaluation. Repetitions build a fresh model each; the first step of each
 * repetition includes the JIT's warm-up, so use `--steps` of 5 or more for figures.
 *
 * @module
 */
import type { ExperimentConfig } from "../lib/config/experiment.ts";
import { join } from "node:path";
import { loadDataset } from "../lib/data/registry.ts";
import { subsetSplit } from "../lib/data/splits.ts";
import { withDefaultOptions } from "../lib/methods/all.ts";
import { withInputChannels } from "../lib/experiment/preflight.ts";
import { type BackendRequest, initBackend } from "../lib/backend/select.ts";
import {
  disableNativeKernels,
  type KernelTiming,
  nativeKernelProfile,
} from "../lib/backend/native/register.ts";
import { cpuModel } from "../lib/backend/cpu_model.ts";
import type { ImageDataset, ImageSplit } from "../lib/data/dataset.ts";
import { backendFlag, parseCommandLine, positiveIntegerFlag, UsageError } from "./args.ts";
import { kitRun, median } from "./bench_e2e.ts";
import { baseConfig } from "./train.ts";
import { runMain } from "./run_main.ts";
import { getAblation } from "../lib/ablation/ablations.ts";
import { armConfig } from "../lib/ablation/runner.ts";
import { setBatchNormReluFusion } from "../lib/nn/batch_norm_relu_op.ts";
import { EVIDENCE_PROFILE, PROFILE_NAMES, type ProfileName } from "../lib/ablation/spec.ts";

/**
 * The native kernels written as plain-JS loops on 2026-12-05 (slices, splits, gathers, mirror
 * padding, depthwise convolution, comparisons): `--compare js-loops` switches these off.
 */
export const JS_LOOP_KERNELS = [
  "SplitV",
  "Slice",
  "GatherV2",
  "MirrorPad",
  "DepthwiseConv2dNative",
  "Less",
  "LessEqual",
  "Greater",
  "GreaterEqual",
  "Equal",
  "NotEqual",
] as const;

const HELP = `A few training steps of one run's config, timed per phase and per kernel.

Usage: deno task method-profile --config <run>/config.json [options]
       deno task method-profile --ablation <name> --arm <arm> [--profile <p>] [options]

  --config <file>     a run's config.json (any method)
  --ablation <name>   or an ablation's arm (seed 0) under --profile (default ${EVIDENCE_PROFILE})
  --arm <name>        the arm of --ablation
  --profile <p>       ${PROFILE_NAMES.join(" | ")}
  --steps <n>         training steps per repetition (default 5)
  --reps <n>          repetitions (default 1; with --compare, of each side, interleaved)
  --threads <n>       compute threads (default 1, as one ablation runner)
  --compare <list>    also run with these native kernels switched off (comma-separated kernel
                      names, or js-loops: ${JS_LOOP_KERNELS.join(", ")}), or
                      with bn-relu: batch norm and ReLU as two ops instead of the fused
                      KitBatchNormReluTrain (any backend)
  --top <n>           kernels listed per side (default 15)
  --backend <name>    the kit's backend (default auto; --compare needs native)
  --data-dir <dir>    where the data set lives (default $KIT_DATA_DIR / ../shared/datasets)
  --json              print one JSON object instead of tables
  --out <file>        also write that JSON object to a file (e.g. under results/bench/)
  -h, --help          this text
`;

/** One repetition of one side. */
export interface SideRun {
  /** Training seconds of the repetition (the trainer's). */
  seconds: number;
  /** Milliseconds per step of each phase. */
  phaseMs: Record<string, number>;
  /** Loss of the epoch (to check that both sides compute the same thing). */
  loss: number;
  /** Per-kernel timings (native backend only). */
  kernels: [string, KernelTiming][];
}

/** What `--json` prints. */
export interface MethodProfile {
  config: string;
  method: string;
  steps: number;
  batchSize: number;
  backend: string;
  threads: number;
  cpu: ReturnType<typeof cpuModel>;
  /** Side name ("native", or "without <n> kernels") -> its repetitions. */
  sides: Record<string, SideRun[]>;
  /** Kernels switched off on the compared side ("bn-relu": the fusion switched off). */
  compared?: string[];
}

/** `--compare bn-relu`: the side without the fused batch norm + ReLU. */
const BN_RELU = "bn-relu";

/** The config of an ablation's arm, seed 0, under a profile (as `deno task ablate` builds it). */
async function ablationConfig(
  name: string,
  arm: string | undefined,
  profile: string,
): Promise<ExperimentConfig> {
  if (!(PROFILE_NAMES as readonly string[]).includes(profile)) {
    throw new UsageError(`--profile ${profile}: use one of ${PROFILE_NAMES.join(", ")}`);
  }
  let spec;
  try {
    spec = await getAblation(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!arm) {
    throw new UsageError(
      `--ablation ${name} needs --arm, one of ${spec.arms.map((a) => a.name).join(", ")}`,
    );
  }
  try {
    return armConfig(spec, arm, 0, profile as ProfileName);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The first `count` training images. */
function firstImages(split: ImageSplit, count: number): ImageSplit {
  return subsetSplit(split, Array.from({ length: count }, (_, i) => i));
}

async function oneRun(
  cfg: ExperimentConfig,
  ds: ImageDataset,
  steps: number,
  threads: number,
  profileKernels: boolean,
): Promise<SideRun> {
  const dir = await Deno.makeTempDir({ prefix: "kit-method-profile-" });
  if (profileKernels) nativeKernelProfile(true);
  try {
    const run = await kitRun(cfg, ds, join(dir, "checkpoint"), threads);
    const kernels = profileKernels ? [...nativeKernelProfile(false)] : [];
    return {
      seconds: run.seconds,
      phaseMs: Object.fromEntries(
        Object.entries(run.phaseSeconds).map(([phase, sec]) => [phase, (sec * 1000) / steps]),
      ),
      loss: run.finalLoss,
      kernels: kernels.sort((a, b) => b[1].ms - a[1].ms),
    };
  } finally {
    if (profileKernels) nativeKernelProfile(false);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function parseCompare(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value === "js-loops") return [...JS_LOOP_KERNELS];
  if (value === BN_RELU) return [BN_RELU];
  const names = value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) {
    throw new UsageError("--compare needs kernel names (comma-separated) or js-loops");
  }
  return names;
}

/** The tables of a profile, as printed without `--json`. */
export function formatProfile(p: MethodProfile, top: number): string {
  const lines: string[] = [];
  const names = Object.keys(p.sides);
  const imgs = p.steps * p.batchSize;
  lines.push(
    `${p.method}, ${p.steps} steps of ${p.batchSize} images, backend ${p.backend} ` +
      `(${p.threads} thread${p.threads === 1 ? "" : "s"}), ${p.cpu.name}`,
  );
  lines.push(
    "",
    "| side | s per step (median) | img/s | reps (s) | loss |",
    "| --- | --- | --- | --- | --- |",
  );
  const med: Record<string, number> = {};
  for (const name of names) {
    const runs = p.sides[name];
    med[name] = median(runs.map((r) => r.seconds)) / p.steps;
    lines.push(
      `| ${name} | ${med[name].toFixed(3)} | ${(imgs / (med[name] * p.steps)).toFixed(1)} | ` +
        `${runs.map((r) => r.seconds.toFixed(1)).join(", ")} | ${runs[0].loss} |`,
    );
  }
  if (names.length === 2) {
    const [a, b] = names;
    const same = p.sides[a].every((r, i) => r.loss === p.sides[b][i]?.loss);
    lines.push(
      "",
      `${a} / ${b} speed: ${(med[b] / med[a]).toFixed(2)}x; ` +
        `losses ${same ? "identical" : "DIFFER"} between the sides`,
    );
  }
  const phases = [...new Set(names.flatMap((n) => Object.keys(p.sides[n][0].phaseMs)))];
  lines.push("", `| phase (ms per step, median) | ${names.join(" | ")} |`);
  lines.push(`| --- | ${names.map(() => "---").join(" | ")} |`);
  for (const phase of phases) {
    const cells = names.map((n) => median(p.sides[n].map((r) => r.phaseMs[phase] ?? 0)).toFixed(0));
    lines.push(`| ${phase} | ${cells.join(" | ")} |`);
  }
  for (const name of names) {
    const kernels = p.sides[name].at(-1)!.kernels;
    if (kernels.length === 0) continue;
    lines.push("", `kernels, ${name} (last repetition, ms per step):`);
    for (const [kernel, t] of kernels.slice(0, top)) {
      lines.push(
        `  ${kernel.padEnd(34)} ${(t.ms / p.steps).toFixed(1).padStart(8)} ms ` +
          `${(t.calls / p.steps).toFixed(1).padStart(6)} calls`,
      );
    }
  }
  return lines.join("\n");
}

/** Entry point; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({
    args,
    options: {
      config: { type: "string" },
      ablation: { type: "string" },
      arm: { type: "string" },
      profile: { type: "string", default: EVIDENCE_PROFILE },
      steps: { type: "string", default: "5" },
      reps: { type: "string", default: "1" },
      threads: { type: "string", default: "1" },
      compare: { type: "string" },
      top: { type: "string", default: "15" },
      backend: { type: "string", default: "auto" },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      out: { type: "string" },
    },
  }, HELP);
  if (!cli) return 0;
  const { values } = cli;
  if (!values.config === !values.ablation) {
    throw new UsageError(`give --config <file> or --ablation <name> --arm <arm>\n\n${HELP}`);
  }
  const steps = positiveIntegerFlag("steps", values.steps)!;
  const reps = positiveIntegerFlag("reps", values.reps)!;
  const threads = positiveIntegerFlag("threads", values.threads)!;
  const top = positiveIntegerFlag("top", values.top)!;
  const compare = parseCompare(values.compare);
  const log = values.json ? (m: string) => console.error(m) : (m: string) => console.log(m);

  const backend = await initBackend({
    backend: backendFlag(values.backend!) as BackendRequest,
    threads,
    log,
  });
  const unfuse = compare?.[0] === BN_RELU;
  const native = backend.name === "native";
  if (compare && !unfuse && !native) {
    throw new UsageError(
      `--compare switches native kernels off, but the backend is ${backend.name} ` +
        `(${backend.reason}); install libdnnl2 or drop --compare`,
    );
  }
  if (compare && !unfuse) disableNativeKernels(compare); // checks the names before anything runs
  disableNativeKernels([]);

  let cfg = values.config
    ? await baseConfig(values.config)
    : await ablationConfig(values.ablation!, values.arm, values.profile!);
  const count = cfg.optim.batchSize * steps;
  const ds = await loadDataset(cfg.data.dataset, {
    dataDir: values["data-dir"],
    trainSize: count,
    testSize: 10,
    seed: 0,
    onProgress: log,
  });
  if (ds.train.count < count) {
    throw new UsageError(
      `${ds.name} has ${ds.train.count} training images, fewer than ${steps} steps of ` +
        `${cfg.optim.batchSize}; lower --steps`,
    );
  }
  const profiled: ImageDataset = { ...ds, train: firstImages(ds.train, count) };
  cfg = withInputChannels(withDefaultOptions(cfg), ds.imageShape[2]);
  cfg.data = { ...cfg.data, trainSize: count };
  cfg.optim = { ...cfg.optim, epochs: 1, warmupEpochs: 0 };

  /** Per side: the native kernels switched off, and whether batch norm + ReLU is fused. */
  const sides: Record<string, { off: string[]; fuse: boolean }> = {
    [native ? "native" : backend.name]: { off: [], fuse: true },
  };
  if (compare && unfuse) sides["batch norm, then ReLU"] = { off: [], fuse: false };
  else if (compare) {
    sides[`without ${compare.length} kernel${compare.length === 1 ? "" : "s"}`] = {
      off: compare,
      fuse: true,
    };
  }
  const names = Object.keys(sides);
  const runs: Record<string, SideRun[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const fused = setBatchNormReluFusion(sides[name].fuse);
      disableNativeKernels(sides[name].off);
      try {
        const run = await oneRun(cfg, profiled, steps, threads, native);
        runs[name].push(run);
        log(`rep ${r + 1}/${reps}, ${name}: ${run.seconds.toFixed(2)} s (loss ${run.loss})`);
      } finally {
        disableNativeKernels([]);
        setBatchNormReluFusion(fused);
      }
    }
  }
  const profile: MethodProfile = {
    config: values.config ?? `${values.ablation}/${values.arm} (${values.profile})`,
    method: cfg.method,
    steps,
    batchSize: cfg.optim.batchSize,
    backend: backend.name,
    threads: backend.threads,
    cpu: cpuModel(),
    sides: runs,
    ...(compare ? { compared: compare } : {}),
  };
  console.log(values.json ? JSON.stringify(profile) : formatProfile(profile, top));
  if (values.out) {
    await Deno.writeTextFile(values.out, JSON.stringify(profile, null, 1) + "\n");
    log(`wrote ${values.out}`);
  }
  return 0;
}

if (import.meta.main) await runMain(() => main(Deno.args));
