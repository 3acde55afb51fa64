/**
 * `deno task bench --e2e`: the whole SimCLR training run of the kit against its PyTorch twin
 * (`bench/simclr_twin.py --train-only`) on the same images, config, thread count and machine,
 * with a per-phase profile of both sides.
 *
 * ```
 * deno task bench --e2e                                  # widths 16 and 32, 3 interleaved reps
 * deno task bench --e2e --widths 16 --train-size 2560 --epochs 1 --reps 5 --json
 * deno task bench --e2e --threads 1 --out results/bench/e2e-1thread.json
 * ```
 *
 * A run is what `deno task train` trains (data order, views, forward, backward, AdamW, the
 * per-epoch checkpoint, loss read-back), without the evaluation: its seconds are the trainer's
 * training seconds. The kit side runs in this process (a fresh model per repetition); the twin
 * runs as a child process per repetition and reports its own training seconds, so neither
 * side's start-up or data loading is counted. Repetitions are interleaved (kit and twin
 * alternate, the first side alternating per repetition), and medians are reported. Phases are
 * the trainer's (lib/train/trainer.ts `TrainOptions.phases`) and the same cut through the twin's
 * loop: batch, views, forward, backward, optimizer, read-back (+ the kit's after-step and
 * checkpoint).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { defaultExperiment, type ExperimentConfig } from "../lib/config/experiment.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import { resolveDatasetName } from "../lib/data/auto_dataset.ts";
import { loadDataset } from "../lib/data/registry.ts";
import type { ImageDataset } from "../lib/data/dataset.ts";
import { channelStats } from "../lib/data/channel_stats.ts";
import { buildMethod, withDefaultOptions } from "../lib/methods/all.ts";
import { withInputChannels } from "../lib/experiment/preflight.ts";
import { trainMethod } from "../lib/train/trainer.ts";
import { PhaseTimer } from "../lib/train/phase_timer.ts";
import { type BackendRequest, initBackend } from "../lib/backend/select.ts";
import { findTorchPython, runForJson } from "./bench_torch.ts";
import { exportDataset } from "./parity.ts";
import { backendFlag, parseCommandLine, positiveIntegerFlag, UsageError } from "./args.ts";

const HELP =
  `The whole training run, kit against its PyTorch twin, per phase (deno task bench --e2e).

Usage: deno task bench --e2e [options]

  --widths <list>      backbone widths, comma-separated (default 16,32)
  --arch <name>        backbone depth: ${Object.keys(RESNET_DEPTHS).join(", ")} (default resnet10)
  --dataset <name>     dataset (default auto: CIFAR-10 when present, else synthetic)
  --data-dir <dir>     where local dataset archives live (or env KIT_DATA_DIR)
  --train-size <n>     training images (default 5120)
  --epochs <n>         epochs per run (default 2)
  --batch-size <n>     images per step (default 256)
  --reps <n>           runs of each side per width, interleaved (default 3)
  --threads <n>        compute threads of both sides (default: all cores)
  --backend <name>     the kit's backend (default auto)
  --torch-device <d>   the twin's device: cpu, cuda (default cpu; cuda with --backend webgpu)
  --no-torch           kit only
  --json               print one JSON object on stdout (logs go to stderr)
  --out <file>         also write the result as JSON, e.g. results/bench/e2e.json
  -h, --help           this text

Needs python3 with torch and numpy for the twin (apt-get install python3-torch, or env
KIT_TORCH_PYTHON). Time nothing else on the machine meanwhile: other work slows both sides
unevenly.
`;

/** Phases in the order they are printed (a side lacking one reports 0). */
export const PHASES = [
  "batch",
  "views",
  "forward",
  "backward",
  "optimizer",
  "after-step",
  "read-back",
  "checkpoint",
  "other",
] as const;

/** One side's repetitions at one width. */
export interface SideRuns {
  /** Training seconds of each repetition. */
  seconds: number[];
  /** Seconds per phase of each repetition (same order as `seconds`). */
  phaseSeconds: Record<string, number>[];
  /** Final training loss of each repetition. */
  finalLoss: number[];
}

/** The comparison at one width. */
export interface WidthResult {
  width: number;
  steps: number;
  images: number;
  kit: SideRuns & { medianSeconds: number; imagesPerSecond: number };
  twin?: SideRuns & { medianSeconds: number; imagesPerSecond: number };
  /** Kit speed over twin speed (twin median seconds / kit median seconds); > 1: kit faster. */
  speedRatio?: number;
  /** Median seconds per phase and per step, in milliseconds, for each side. */
  phaseMsPerStep: { kit: Record<string, number>; twin?: Record<string, number> };
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per-phase medians over repetitions, in milliseconds per step. */
export function phaseMedians(
  reps: readonly Record<string, number>[],
  steps: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const phase of PHASES) {
    out[phase] = (median(reps.map((r) => r[phase] ?? 0)) * 1000) / steps;
  }
  return out;
}

/** The summary of one side's repetitions. */
export function summarise(
  runs: SideRuns,
  images: number,
): SideRuns & { medianSeconds: number; imagesPerSecond: number } {
  const medianSeconds = median(runs.seconds);
  return { ...runs, medianSeconds, imagesPerSecond: images / medianSeconds };
}

/** The config both sides train at `width` (SimCLR, the kit's defaults otherwise). */
export function benchConfig(opts: {
  dataset: string;
  trainSize: number;
  epochs: number;
  batchSize: number;
  width: number;
  blocks: number[];
  channels: number;
}): ExperimentConfig {
  const cfg = defaultExperiment();
  cfg.method = "simclr";
  cfg.data = { dataset: opts.dataset, trainSize: opts.trainSize };
  cfg.encoder.backbone = { ...cfg.encoder.backbone, blocks: opts.blocks, width: opts.width };
  cfg.optim.epochs = opts.epochs;
  cfg.optim.batchSize = opts.batchSize;
  cfg.optim.warmupEpochs = Math.min(cfg.optim.warmupEpochs, Math.max(0, opts.epochs - 1));
  return withInputChannels(withDefaultOptions(cfg), opts.channels);
}

/** One kit training run in this process; returns its seconds, phases and final loss. */
async function kitRun(
  cfg: ExperimentConfig,
  ds: ImageDataset,
  checkpointDir: string,
): Promise<{ seconds: number; phaseSeconds: Record<string, number>; finalLoss: number }> {
  const method = buildMethod(cfg, {
    imageShape: ds.imageShape,
    stats: channelStats(ds.train, ds.imageShape[2]),
    numClasses: ds.classes.length,
  });
  const phases = new PhaseTimer();
  try {
    const summary = await trainMethod({
      method,
      config: cfg,
      configHash: "bench-e2e",
      train: ds.train,
      imageShape: ds.imageShape,
      checkpointDir,
      resume: false,
      phases,
      log: () => {},
      progress: () => {},
    });
    const rows = phases.rows(summary.trainSeconds * 1000);
    return {
      seconds: summary.trainSeconds,
      phaseSeconds: Object.fromEntries(rows.map((r) => [r.phase, r.ms / 1000])),
      finalLoss: summary.history.at(-1)!.loss,
    };
  } finally {
    method.dispose();
    await Deno.remove(checkpointDir, { recursive: true }).catch(() => {});
  }
}

/** One twin run (a child process); returns its seconds, phases and final loss. */
async function twinRun(opts: {
  python: string;
  config: string;
  dataDir: string;
  threads: number;
  device: string;
}): Promise<{ seconds: number; phaseSeconds: Record<string, number>; finalLoss: number }> {
  const script = new URL("../bench/simclr_twin.py", import.meta.url).pathname;
  const r = await runForJson("the PyTorch twin (bench/simclr_twin.py --train-only)", opts.python, [
    script,
    "--config",
    opts.config,
    "--data",
    opts.dataDir,
    "--threads",
    String(opts.threads),
    "--device",
    opts.device,
    "--train-only",
  ], { OMP_NUM_THREADS: String(opts.threads) });
  const seconds = Number(r.trainSeconds);
  const phaseSeconds = { ...(r.phaseSeconds as Record<string, number>) };
  const covered = Object.values(phaseSeconds).reduce((a, b) => a + b, 0);
  phaseSeconds.other = Math.max(0, seconds - covered);
  return { seconds, phaseSeconds, finalLoss: Number(r.finalLoss) };
}

/** The table printed for a result. */
export function formatE2e(widths: readonly WidthResult[], threads: number): string {
  const lines: string[] = [];
  const f1 = (x: number) => x.toFixed(1);
  lines.push(
    `whole training run, median of the repetitions (${threads} thread(s) per side):`,
    "",
    "| width | steps | kit s | twin s | kit img/s | twin img/s | kit / twin speed |",
    "| ----- | ----- | ----- | ------ | --------- | ---------- | ---------------- |",
  );
  for (const w of widths) {
    lines.push(
      `| ${w.width} | ${w.steps} | ${f1(w.kit.medianSeconds)} | ${
        w.twin ? f1(w.twin.medianSeconds) : "-"
      } | ${w.kit.imagesPerSecond.toFixed(0)} | ${
        w.twin ? w.twin.imagesPerSecond.toFixed(0) : "-"
      } | ${w.speedRatio !== undefined ? w.speedRatio.toFixed(2) + "x" : "-"} |`,
    );
  }
  for (const w of widths) {
    lines.push(
      "",
      `per phase, width ${w.width} (ms per step, median over repetitions):`,
      "",
      "| phase | kit ms | twin ms | kit share |",
      "| ----- | ------ | ------- | --------- |",
    );
    const kitTotal = Object.values(w.phaseMsPerStep.kit).reduce((a, b) => a + b, 0);
    for (const p of PHASES) {
      const k = w.phaseMsPerStep.kit[p] ?? 0;
      const t = w.phaseMsPerStep.twin?.[p];
      lines.push(
        `| ${p} | ${f1(k)} | ${t === undefined ? "-" : f1(t)} | ${
          kitTotal > 0 ? (100 * k / kitTotal).toFixed(0) : "0"
        } % |`,
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
      e2e: { type: "boolean", default: false },
      widths: { type: "string", default: "16,32" },
      arch: { type: "string", default: "resnet10" },
      dataset: { type: "string", default: "auto" },
      "data-dir": { type: "string" },
      "train-size": { type: "string", default: "5120" },
      epochs: { type: "string", default: "2" },
      "batch-size": { type: "string", default: "256" },
      reps: { type: "string", default: "3" },
      threads: { type: "string" },
      backend: { type: "string", default: "auto" },
      "torch-device": { type: "string" },
      "no-torch": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      out: { type: "string" },
    },
  }, HELP);
  if (!cli) return 0;
  const { values } = cli;
  const widths = values.widths.split(",").map((w) => positiveIntegerFlag("widths", w.trim()));
  const blocks = RESNET_DEPTHS[values.arch];
  if (!blocks) {
    throw new UsageError(
      `unknown --arch "${values.arch}"; choose one of ${Object.keys(RESNET_DEPTHS).join(", ")}`,
    );
  }
  const trainSize = positiveIntegerFlag("train-size", values["train-size"]);
  const epochs = positiveIntegerFlag("epochs", values.epochs);
  const batchSize = positiveIntegerFlag("batch-size", values["batch-size"]);
  const reps = positiveIntegerFlag("reps", values.reps);
  const threads = positiveIntegerFlag("threads", values.threads) ??
    (navigator.hardwareConcurrency || 1);
  const log = (m: string) => console.error(`[bench e2e] ${m}`);

  const backend = await initBackend({
    backend: backendFlag(values.backend) as BackendRequest,
    threads,
    log,
  });
  const torchDevice = values["torch-device"] ?? (backend.name === "webgpu" ? "cuda" : "cpu");
  if (!/^(cpu|cuda(:\d+)?)$/.test(torchDevice)) {
    throw new UsageError(`--torch-device must be cpu, cuda or cuda:N, got '${torchDevice}'`);
  }
  const python = values["no-torch"] ? undefined : await findTorchPython(["torch", "numpy"]);
  const picked = await resolveDatasetName(values.dataset, { dataDir: values["data-dir"] });
  const ds = await loadDataset(picked.name, {
    dataDir: values["data-dir"],
    trainSize,
    testSize: 10,
    seed: 0,
    onProgress: log,
  });
  if (ds.train.count < batchSize) {
    throw new UsageError(
      `${ds.name} gave ${ds.train.count} training images, fewer than one batch of ${batchSize}; ` +
        `lower --batch-size or raise --train-size`,
    );
  }
  const steps = Math.floor(ds.train.count / batchSize) * epochs;
  const images = steps * batchSize;
  log(
    `${ds.displayName}${ds.synthetic ? " [SYNTHETIC]" : ""}: ${ds.train.count} images, ` +
      `${epochs} epoch(s), batch ${batchSize}, ${values.arch} widths ${widths.join(", ")}; ` +
      `kit on ${backend.name} (${backend.threads} threads), twin ${
        python ? `on ${torchDevice}` : "skipped (--no-torch)"
      }`,
  );

  const work = await Deno.makeTempDir({ prefix: "kit-bench-e2e-" });
  try {
    const dataDir = join(work, "data");
    if (python) await exportDataset(ds, dataDir);
    const configs = new Map<number, { cfg: ExperimentConfig; path: string }>();
    for (const width of widths) {
      const cfg = benchConfig({
        dataset: ds.name,
        trainSize,
        epochs,
        batchSize,
        width,
        blocks,
        channels: ds.imageShape[2],
      });
      const path = join(work, `config-w${width}.json`);
      await Deno.writeTextFile(path, JSON.stringify(cfg, null, 2) + "\n");
      configs.set(width, { cfg, path });
    }
    const runs = new Map<number, { kit: SideRuns; twin: SideRuns }>(
      widths.map((w) => [w, {
        kit: { seconds: [], phaseSeconds: [], finalLoss: [] },
        twin: { seconds: [], phaseSeconds: [], finalLoss: [] },
      }]),
    );
    const push = (side: SideRuns, r: Awaited<ReturnType<typeof kitRun>>) => {
      side.seconds.push(r.seconds);
      side.phaseSeconds.push(r.phaseSeconds);
      side.finalLoss.push(r.finalLoss);
    };
    for (let rep = 0; rep < reps; rep++) {
      for (const width of widths) {
        const { cfg, path } = configs.get(width)!;
        const sides = runs.get(width)!;
        const order = rep % 2 === 0 ? ["kit", "twin"] : ["twin", "kit"];
        for (const side of order) {
          if (side === "kit") {
            push(sides.kit, await kitRun(cfg, ds, join(work, `ckpt-w${width}`)));
          } else if (python) {
            push(
              sides.twin,
              await twinRun({ python, config: path, dataDir, threads, device: torchDevice }),
            );
          }
        }
        log(
          `rep ${rep + 1}/${reps} width ${width}: kit ${sides.kit.seconds.at(-1)!.toFixed(1)} s` +
            (python ? `, twin ${sides.twin.seconds.at(-1)!.toFixed(1)} s` : ""),
        );
      }
    }
    const results: WidthResult[] = widths.map((width) => {
      const { kit, twin } = runs.get(width)!;
      const k = summarise(kit, images);
      const t = python ? summarise(twin, images) : undefined;
      return {
        width,
        steps,
        images,
        kit: k,
        ...(t ? { twin: t, speedRatio: t.medianSeconds / k.medianSeconds } : {}),
        phaseMsPerStep: {
          kit: phaseMedians(kit.phaseSeconds, steps),
          ...(t ? { twin: phaseMedians(twin.phaseSeconds, steps) } : {}),
        },
      };
    });
    const report = {
      what: "whole SimCLR training run (no evaluation), kit vs PyTorch twin",
      dataset: ds.name,
      synthetic: ds.synthetic,
      trainImages: ds.train.count,
      epochs,
      batchSize,
      arch: values.arch,
      reps,
      threads: backend.threads,
      backend: backend.name,
      torchDevice: python ? torchDevice : null,
      host: { cpus: navigator.hardwareConcurrency, os: Deno.build.os, arch: Deno.build.arch },
      date: new Date().toISOString(),
      command: `deno task bench ${args.join(" ")}`,
      widths: results,
    };
    if (values.out) {
      await Deno.mkdir(dirname(values.out), { recursive: true });
      await Deno.writeTextFile(values.out, JSON.stringify(report, null, 2) + "\n");
      log(`wrote ${values.out}`);
    }
    if (values.json) console.log(JSON.stringify(report));
    else console.log(formatE2e(results, backend.threads));
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return 0;
}
