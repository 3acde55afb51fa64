/**
 * `deno task bench --e2e`: the whole SimCLR training run of the kit against its PyTorch twin
 * (`bench/simclr_twin.py --train-only`) on the same images, config, thread count and machine,
 * with a per-phase profile of both sides, and (`--scaling`) a table of the cost per image against
 * batch size, width, image size and depth.
 *
 * ```
 * deno task bench --e2e                                  # widths 16 and 32, 3 interleaved reps
 * deno task bench --e2e --widths 16 --train-size 2560 --epochs 1 --reps 5 --json
 * deno task bench --e2e --scaling --out results/bench/scaling-cpu.json
 * ```
 *
 * A run is what `deno task train` trains (data order, views, forward, backward, AdamW, the
 * per-epoch checkpoint, loss read-back), without the evaluation: its seconds are the trainer's
 * training seconds. Each side runs every repetition in a child process of its own (the kit's:
 * this script with `--kit-child`; the twin: `bench/simclr_twin.py`) and reports its own training
 * seconds, so neither side's start-up or data loading is counted and both start every
 * repetition cold (kernel set-up, JIT, first-touch allocations fall in the first epoch). With
 * `--in-process` the kit's repetitions run in this process instead: from the second on they
 * reuse the warm oneDNN primitive and JIT caches, which favours the kit (on 2026-12-05, ~3 s of
 * a 15 s width-16 run). Repetitions are interleaved (kit and twin
 * alternate, the first side alternating per repetition), and medians are reported. Phases are
 * the trainer's (lib/train/trainer.ts `TrainOptions.phases`) and the same cut through the twin's
 * loop: batch, views, forward, backward, optimizer, read-back (+ the kit's after-step and
 * checkpoint). The scaling table times the last epoch of each run (2 epochs of `--steps` steps),
 * so kernel set-up in the first steps does not weigh on small configurations.
 *
 * @module
 */
import { cpuModel } from "../lib/backend/cpu_model.ts";
import { shouldUseViewWorker } from "../lib/augment/view_worker.ts";
import { defaultComputeEngine } from "../lib/backend/host_engine.ts";
import { dirname, join } from "node:path";
import { defaultExperiment, type ExperimentConfig } from "../lib/config/experiment.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import { resolveDatasetName } from "../lib/data/auto_dataset.ts";
import { loadDataset } from "../lib/data/registry.ts";
import type { ImageDataset, ImageSplit } from "../lib/data/dataset.ts";
import { subsetSplit } from "../lib/data/splits.ts";
import { resizeImage } from "../lib/data/resize.ts";
import { channelStats } from "../lib/data/channel_stats.ts";
import { buildMethod, withDefaultOptions } from "../lib/methods/all.ts";
import { withInputChannels } from "../lib/experiment/preflight.ts";
import { trainMethod } from "../lib/train/trainer.ts";
import { PhaseTimer } from "../lib/train/phase_timer.ts";
import { type BackendRequest, initBackend } from "../lib/backend/select.ts";
import { findTorchPython, runForJson, runSimclrTwin } from "./bench_torch.ts";
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
  --image-size <n>     resize the images to n x n first (default: as stored)
  --scaling            instead: the cost per image against batch (64-512), width (16-64), image
                       size (32-96) and depth (resnet10, resnet18), each varied around ResNet-10
                       width 16, batch 256, 32 px; 2 epochs of --steps steps per run, the last
                       epoch timed
  --steps <n>          steps per epoch of a --scaling run (default 5)
  --reps <n>           runs of each side per configuration, interleaved (default 3; 2 for
                       --scaling)
  --threads <n>        compute threads of both sides (default: all cores)
  --backend <name>     the kit's backend (default auto)
  --torch-device <d>   the twin's device: cpu, cuda (default cpu; cuda with --backend webgpu)
  --no-torch           kit only
  --in-process         run the kit's repetitions in this process (warm kernel caches after the
                       first; faster to run, favours the kit) instead of one child process per
                       repetition, cold like each twin run (the default)
  --json               print one JSON object on stdout (logs go to stderr)
  --out <file>         also write the result as JSON, e.g. results/bench/e2e-cpu.json
  -h, --help           this text

Needs python3 with torch and numpy for the twin (apt-get install python3-torch, or env
KIT_TORCH_PYTHON). With 2+ threads on a CPU backend the kit builds each step's second view on a
view worker thread (KIT_VIEW_WORKER=0 turns it off; the JSON's viewWorker says which ran). Time nothing else on the machine meanwhile: other work slows both sides
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

/** One configuration to time. */
export interface BenchCase {
  /** What is varied, e.g. "width 32" or "batch 64". */
  label: string;
  arch: string;
  width: number;
  batchSize: number;
  /** Height and width of the (square) images. */
  imageSize: number;
  /** Training images (whole batches). */
  trainSize: number;
  epochs: number;
}

/** One side's repetitions of a case. */
export interface SideRuns {
  /** Training seconds of each repetition. */
  seconds: number[];
  /** Seconds of the last epoch of each repetition. */
  lastEpochSeconds: number[];
  /** Seconds per phase of each repetition (same order as `seconds`). */
  phaseSeconds: Record<string, number>[];
  /** Final training loss of each repetition. */
  finalLoss: number[];
}

/** A side's repetitions with their medians. */
export type SideSummary = SideRuns & {
  medianSeconds: number;
  imagesPerSecond: number;
  /** Median milliseconds per image over the last epoch. */
  lastEpochMsPerImage: number;
};

/** The comparison of one case. */
export interface CaseResult extends BenchCase {
  steps: number;
  images: number;
  kit: SideSummary;
  twin?: SideSummary;
  /** Kit speed over twin speed (twin median seconds / kit median seconds); > 1: kit faster. */
  speedRatio?: number;
  /** The same over the last epochs (twin ms per image / kit ms per image). */
  lastEpochSpeedRatio?: number;
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

/** The medians of one side's repetitions of a case. */
export function summarise(runs: SideRuns, c: BenchCase): SideSummary {
  const perEpoch = Math.floor(c.trainSize / c.batchSize) * c.batchSize;
  const medianSeconds = median(runs.seconds);
  return {
    ...runs,
    medianSeconds,
    imagesPerSecond: (perEpoch * c.epochs) / medianSeconds,
    lastEpochMsPerImage: (median(runs.lastEpochSeconds) * 1000) / perEpoch,
  };
}

/**
 * The cases of `--scaling`: each of batch size, width, image size and depth varied alone around
 * ResNet-10 width 16, batch 256, 32 px (the centre appears once), 2 epochs of `steps` steps.
 */
export function scalingCases(steps: number): BenchCase[] {
  const centre = { arch: "resnet10", width: 16, batchSize: 256, imageSize: 32, epochs: 2 };
  const raw: Omit<BenchCase, "trainSize">[] = [
    ...[64, 128, 256, 512].map((b) => ({ ...centre, label: `batch ${b}`, batchSize: b })),
    ...[32, 64].map((w) => ({ ...centre, label: `width ${w}`, width: w })),
    ...[64, 96].map((px) => ({ ...centre, label: `${px} px`, imageSize: px })),
    { ...centre, label: "resnet18", arch: "resnet18" },
  ];
  return raw.map((c) => ({ ...c, trainSize: c.batchSize * steps }));
}

/** The blocks per stage of backbone `arch`, or a UsageError listing the known names. */
function archBlocks(arch: string): number[] {
  const blocks = RESNET_DEPTHS[arch];
  if (!blocks) {
    throw new UsageError(
      `unknown --arch "${arch}"; choose one of ${Object.keys(RESNET_DEPTHS).join(", ")}`,
    );
  }
  return blocks;
}

/** The config both sides train for a case (SimCLR, the kit's defaults otherwise). */
export function benchConfig(c: BenchCase, dataset: string, channels: number): ExperimentConfig {
  const blocks = archBlocks(c.arch);
  const cfg = defaultExperiment();
  cfg.method = "simclr";
  cfg.data = { dataset, trainSize: c.trainSize };
  cfg.encoder.backbone = { ...cfg.encoder.backbone, blocks, width: c.width };
  cfg.optim.epochs = c.epochs;
  cfg.optim.batchSize = c.batchSize;
  cfg.optim.warmupEpochs = Math.min(cfg.optim.warmupEpochs, Math.max(0, c.epochs - 1));
  return withInputChannels(withDefaultOptions(cfg), channels);
}

/** The first `count` images of `split`, resized to `size` x `size` when they are not. */
function caseSplit(
  split: ImageSplit,
  shape: readonly [number, number, number],
  count: number,
  size: number,
): ImageSplit {
  const sub = subsetSplit(split, Array.from({ length: count }, (_, i) => i));
  const [h, w, c] = shape;
  if (h === size && w === size) return sub;
  const per = size * size * c;
  const images = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) {
    const img = sub.images.subarray(i * h * w * c, (i + 1) * h * w * c);
    images.set(resizeImage(img, h, w, c, size, size), i * per);
  }
  return { images, labels: sub.labels, count };
}

/** What one training run reports. */
export interface RunTiming {
  seconds: number;
  lastEpochSeconds: number;
  phaseSeconds: Record<string, number>;
  finalLoss: number;
}

/**
 * One kit training run in this process (`threads`: the backend's, as `trainMethod` takes them),
 * on `ds.train`; removes `checkpointDir` when done.
 */
export async function kitRun(
  cfg: ExperimentConfig,
  ds: ImageDataset,
  checkpointDir: string,
  threads: number,
): Promise<RunTiming> {
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
      computeThreads: threads,
      log: () => {},
      progress: () => {},
    });
    const rows = phases.rows(summary.trainSeconds * 1000);
    return {
      seconds: summary.trainSeconds,
      lastEpochSeconds: summary.history.at(-1)!.seconds,
      phaseSeconds: Object.fromEntries(rows.map((r) => [r.phase, r.ms / 1000])),
      finalLoss: summary.history.at(-1)!.loss,
    };
  } finally {
    method.dispose();
    await Deno.remove(checkpointDir, { recursive: true }).catch(() => {});
  }
}

/** What a kit child process needs besides the case's `config.json` (written by the parent). */
interface KitCaseFile {
  dataset: string;
  dataDir?: string;
  /** Training images the parent loaded (the same subset is loaded again). */
  need: number;
  trainSize: number;
  imageSize: number;
  backend: string;
  threads: number;
}

/** cli/bench.ts, which a kit child process runs with `--e2e --kit-child`. */
const BENCH_SCRIPT = new URL("./bench.ts", import.meta.url).pathname;

/** File name of {@link KitCaseFile} in a case folder. */
const KIT_CASE_FILE = "kit-case.json";

/** The case's images: the first `trainSize` training images, resized to `imageSize`. */
function caseDataset(ds: ImageDataset, trainSize: number, imageSize: number): ImageDataset {
  return {
    ...ds,
    imageShape: [imageSize, imageSize, ds.imageShape[2]],
    train: caseSplit(ds.train, ds.imageShape, trainSize, imageSize),
    test: caseSplit(ds.test, ds.imageShape, Math.min(10, ds.test.count), imageSize),
  };
}

/**
 * One kit run in a child process (`--kit-child <case folder>`), so that every repetition starts
 * cold (backend, kernel caches, JIT), as each twin run does; returns the child's timing.
 */
async function kitChildRun(caseDir: string): Promise<RunTiming> {
  const r = await runForJson("the kit's benchmark run (bench --e2e --kit-child)", Deno.execPath(), [
    "run",
    "-A",
    BENCH_SCRIPT,
    "--e2e",
    "--kit-child",
    caseDir,
  ]);
  return r as unknown as RunTiming;
}

/** The `--kit-child` mode: one kit run of the case in `caseDir`, its timing as a JSON line. */
async function kitChild(caseDir: string): Promise<number> {
  const spec = JSON.parse(await Deno.readTextFile(join(caseDir, KIT_CASE_FILE))) as KitCaseFile;
  const cfg = JSON.parse(
    await Deno.readTextFile(join(caseDir, "config.json")),
  ) as ExperimentConfig;
  const backend = await initBackend({
    backend: spec.backend as BackendRequest,
    threads: spec.threads,
    log: () => {},
  });
  const ds = await loadDataset(spec.dataset, {
    dataDir: spec.dataDir,
    trainSize: spec.need,
    testSize: 10,
    seed: 0,
  });
  const caseDs = caseDataset(ds, spec.trainSize, spec.imageSize);
  const timing = await kitRun(cfg, caseDs, join(caseDir, "checkpoint"), backend.threads);
  console.log(JSON.stringify(timing));
  return 0;
}

/** One twin run (a child process). */
async function twinRun(opts: {
  python: string;
  config: string;
  dataDir: string;
  threads: number;
  device: string;
}): Promise<RunTiming> {
  const r = await runSimclrTwin({ ...opts, args: ["--device", opts.device, "--train-only"] });
  const seconds = Number(r.trainSeconds);
  const phaseSeconds = { ...(r.phaseSeconds as Record<string, number>) };
  const covered = Object.values(phaseSeconds).reduce((a, b) => a + b, 0);
  phaseSeconds.other = Math.max(0, seconds - covered);
  return {
    seconds,
    lastEpochSeconds: (r.epochSeconds as number[]).at(-1)!,
    phaseSeconds,
    finalLoss: Number(r.finalLoss),
  };
}

/** The whole-run table and the per-phase tables of `results`. */
export function formatE2e(results: readonly CaseResult[], threads: number): string {
  const lines: string[] = [];
  const f1 = (x: number) => x.toFixed(1);
  const ratio = (r: number | undefined) => (r === undefined ? "-" : `${r.toFixed(2)}x`);
  lines.push(
    `whole training run, median of the repetitions (${threads} thread(s) per side):`,
    "",
    "| case | steps | kit s | twin s | kit img/s | twin img/s | kit / twin speed |",
    "| ---- | ----- | ----- | ------ | --------- | ---------- | ---------------- |",
  );
  for (const r of results) {
    lines.push(
      `| ${r.label} | ${r.steps} | ${f1(r.kit.medianSeconds)} | ${
        r.twin ? f1(r.twin.medianSeconds) : "-"
      } | ${r.kit.imagesPerSecond.toFixed(0)} | ${
        r.twin ? r.twin.imagesPerSecond.toFixed(0) : "-"
      } | ${ratio(r.speedRatio)} |`,
    );
  }
  for (const r of results) {
    lines.push(
      "",
      `per phase, ${r.label} (ms per step, median over repetitions):`,
      "",
      "| phase | kit ms | twin ms | kit share |",
      "| ----- | ------ | ------- | --------- |",
    );
    const kitTotal = Object.values(r.phaseMsPerStep.kit).reduce((a, b) => a + b, 0);
    for (const p of PHASES) {
      const k = r.phaseMsPerStep.kit[p] ?? 0;
      const t = r.phaseMsPerStep.twin?.[p];
      lines.push(
        `| ${p} | ${f1(k)} | ${t === undefined ? "-" : f1(t)} | ${
          kitTotal > 0 ? (100 * k / kitTotal).toFixed(0) : "0"
        } % |`,
      );
    }
  }
  return lines.join("\n");
}

/** The scaling table: last-epoch cost per image of both sides, per case. */
export function formatScaling(results: readonly CaseResult[], threads: number): string {
  const lines = [
    `cost per image over the last epoch, median of the repetitions (${threads} thread(s) per ` +
    "side; each row varies one setting of ResNet-10 width 16, batch 256, 32 px):",
    "",
    "| case | kit ms/img | twin ms/img | kit / twin speed |",
    "| ---- | ---------- | ----------- | ---------------- |",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.label} | ${r.kit.lastEpochMsPerImage.toFixed(2)} | ${
        r.twin ? r.twin.lastEpochMsPerImage.toFixed(2) : "-"
      } | ${r.lastEpochSpeedRatio === undefined ? "-" : `${r.lastEpochSpeedRatio.toFixed(2)}x`} |`,
    );
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
      "image-size": { type: "string" },
      scaling: { type: "boolean", default: false },
      steps: { type: "string", default: "5" },
      reps: { type: "string" },
      threads: { type: "string" },
      backend: { type: "string", default: "auto" },
      "torch-device": { type: "string" },
      "no-torch": { type: "boolean", default: false },
      "in-process": { type: "boolean", default: false },
      "kit-child": { type: "string" },
      json: { type: "boolean", default: false },
      out: { type: "string" },
    },
  }, HELP);
  if (!cli) return 0;
  const { values } = cli;
  if (values["kit-child"] !== undefined) return await kitChild(values["kit-child"]);
  const scaling = values.scaling;
  const reps = positiveIntegerFlag("reps", values.reps) ?? (scaling ? 2 : 3);
  const threads = positiveIntegerFlag("threads", values.threads) ??
    (navigator.hardwareConcurrency || 1);
  const log = (m: string) => console.error(`[bench e2e] ${m}`);
  const inProcess = values["in-process"];
  const imageSizeFlag = positiveIntegerFlag("image-size", values["image-size"]);
  let cases: BenchCase[];
  if (scaling) {
    cases = scalingCases(positiveIntegerFlag("steps", values.steps));
  } else {
    const trainSize = positiveIntegerFlag("train-size", values["train-size"]);
    const batchSize = positiveIntegerFlag("batch-size", values["batch-size"]);
    if (trainSize < batchSize) {
      throw new UsageError(
        `--train-size ${trainSize} is less than one batch of ${batchSize}; lower --batch-size ` +
          `or raise --train-size`,
      );
    }
    archBlocks(values.arch); // an unknown --arch fails before any work
    cases = values.widths.split(",").map((w) => {
      const width = positiveIntegerFlag("widths", w.trim());
      return {
        label: `width ${width}`,
        arch: values.arch,
        width,
        batchSize,
        imageSize: imageSizeFlag ?? 0, // 0: as stored, filled in below
        trainSize,
        epochs: positiveIntegerFlag("epochs", values.epochs),
      };
    });
  }

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
  const need = Math.max(...cases.map((c) => c.trainSize));
  const ds = await loadDataset(picked.name, {
    dataDir: values["data-dir"],
    trainSize: need,
    testSize: 10,
    seed: 0,
    onProgress: log,
  });
  if (ds.train.count < need) {
    throw new UsageError(
      `${ds.name} has ${ds.train.count} training images, fewer than the ${need} asked for; ` +
        `lower --train-size (or --steps with --scaling)`,
    );
  }
  const stored = ds.imageShape[0];
  for (const c of cases) if (c.imageSize === 0) c.imageSize = stored;
  log(
    `${ds.displayName}${ds.synthetic ? " [SYNTHETIC]" : ""}; ${cases.length} configuration(s), ` +
      `${reps} repetition(s) each; kit on ${backend.name} (${backend.threads} threads${
        shouldUseViewWorker(defaultComputeEngine(), backend.threads) ? ", view worker" : ""
      }, ${inProcess ? "in this process" : "a child process per repetition"}), twin ${
        python ? `on ${torchDevice}` : "skipped (--no-torch)"
      }`,
  );

  const work = await Deno.makeTempDir({ prefix: "kit-bench-e2e-" });
  try {
    const results: CaseResult[] = [];
    for (const [k, c] of cases.entries()) {
      const caseDs = caseDataset(ds, c.trainSize, c.imageSize);
      const cfg = benchConfig(c, ds.name, ds.imageShape[2]);
      const dir = join(work, `case-${k}`);
      const cfgPath = join(dir, "config.json");
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(cfgPath, JSON.stringify(cfg, null, 2) + "\n");
      if (python) await exportDataset(caseDs, join(dir, "data"));
      const kitCase: KitCaseFile = {
        dataset: picked.name,
        ...(values["data-dir"] !== undefined ? { dataDir: values["data-dir"] } : {}),
        need,
        trainSize: c.trainSize,
        imageSize: c.imageSize,
        backend: values.backend,
        threads: backend.threads,
      };
      await Deno.writeTextFile(join(dir, KIT_CASE_FILE), JSON.stringify(kitCase) + "\n");
      const kit: SideRuns = { seconds: [], lastEpochSeconds: [], phaseSeconds: [], finalLoss: [] };
      const twin: SideRuns = { seconds: [], lastEpochSeconds: [], phaseSeconds: [], finalLoss: [] };
      const push = (side: SideRuns, r: RunTiming) => {
        side.seconds.push(r.seconds);
        side.lastEpochSeconds.push(r.lastEpochSeconds);
        side.phaseSeconds.push(r.phaseSeconds);
        side.finalLoss.push(r.finalLoss);
      };
      for (let rep = 0; rep < reps; rep++) {
        for (const side of rep % 2 === 0 ? ["kit", "twin"] : ["twin", "kit"]) {
          if (side === "kit") {
            push(
              kit,
              inProcess
                ? await kitRun(cfg, caseDs, join(dir, "checkpoint"), backend.threads)
                : await kitChildRun(dir),
            );
          } else if (python) {
            const opts = { python, config: cfgPath, dataDir: join(dir, "data"), threads };
            push(twin, await twinRun({ ...opts, device: torchDevice }));
          }
        }
        log(
          `${c.label}, rep ${rep + 1}/${reps}: kit ${kit.seconds.at(-1)!.toFixed(1)} s` +
            (python ? `, twin ${twin.seconds.at(-1)!.toFixed(1)} s` : ""),
        );
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      const steps = Math.floor(c.trainSize / c.batchSize) * c.epochs;
      const k2 = summarise(kit, c);
      const t2 = python ? summarise(twin, c) : undefined;
      results.push({
        ...c,
        steps,
        images: steps * c.batchSize,
        kit: k2,
        ...(t2
          ? {
            twin: t2,
            speedRatio: t2.medianSeconds / k2.medianSeconds,
            lastEpochSpeedRatio: t2.lastEpochMsPerImage / k2.lastEpochMsPerImage,
          }
          : {}),
        phaseMsPerStep: {
          kit: phaseMedians(kit.phaseSeconds, steps),
          ...(t2 ? { twin: phaseMedians(twin.phaseSeconds, steps) } : {}),
        },
      });
    }
    const report = {
      what: scaling
        ? "cost per image of SimCLR training against batch, width, image size and depth, kit vs PyTorch twin"
        : "whole SimCLR training run (no evaluation), kit vs PyTorch twin",
      dataset: ds.name,
      synthetic: ds.synthetic,
      reps,
      threads: backend.threads,
      backend: backend.name,
      viewWorker: shouldUseViewWorker(defaultComputeEngine(), backend.threads),
      kitProcess: inProcess ? "in-process" : "child per repetition",
      torchDevice: python ? torchDevice : null,
      host: {
        cpus: navigator.hardwareConcurrency,
        os: Deno.build.os,
        arch: Deno.build.arch,
        cpu: cpuModel(),
      },
      ...(backend.adapter ? { adapter: backend.adapter } : {}),
      date: new Date().toISOString(),
      command: `deno task bench ${args.join(" ")}`,
      cases: results,
    };
    if (values.out) {
      await Deno.mkdir(dirname(values.out), { recursive: true });
      await Deno.writeTextFile(values.out, JSON.stringify(report, null, 2) + "\n");
      log(`wrote ${values.out}`);
    }
    if (values.json) console.log(JSON.stringify(report));
    else if (scaling) console.log(formatScaling(results, backend.threads));
    else console.log(formatE2e(results, backend.threads));
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return 0;
}
