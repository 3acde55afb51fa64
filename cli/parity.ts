/**
 * `deno task parity`: the kit's SimCLR run beside its PyTorch twin (`bench/simclr_twin.py`) on
 * the same images, config and machine, so the kit's accuracy and speed have a reference.
 *
 * ```
 * deno task parity                                  # CIFAR-10 if present: 10,000 images, 5 epochs
 * deno task parity --train-size 2000 --test-size 1000 --epochs 2 --json
 * deno task parity --temperature 0.2 --width 16     # any `deno task train` flag is passed on
 * ```
 *
 * Steps: (1) the kit trains and evaluates (`cli/train.ts --out <out>/kit`, resumable like any
 * run); (2) the exact train/test images and labels of that run are exported to `<out>/data`
 * (raw NHWC uint8, int32 labels, meta.json); (3) the twin trains and evaluates from the run's
 * `config.json` and that export, with the NT-Xent temperature the kit's method resolved
 * (`--temperature`, {@link kitTemperature}; its result is kept in `<out>/twin/result.json`);
 * (4) a table of both sides and their gaps is printed and written to `<out>/parity.json`. The
 * export is deleted afterwards. Step by step (loss, gradients, AdamW update) the twin is checked
 * against the kit by `cli/twin_step_export.ts` + `bench/twin_step_check.py`
 * (cli/twin_step_test.ts).
 *
 * @module
 */
import { join } from "node:path";
import { type ExperimentConfig } from "../lib/config/experiment.ts";
import { loadDataset } from "../lib/data/registry.ts";
import { labelBudgetIndices } from "../lib/data/splits.ts";
import type { ImageDataset } from "../lib/data/dataset.ts";
import { SIMCLR_OPTIONS } from "../lib/methods/simclr.ts";
import { readOptions } from "../lib/methods/option_schema.ts";
import { findTorchPython, runForJson, runSimclrTwin } from "./bench_torch.ts";
import { positiveIntegerFlag, UsageError } from "./args.ts";
import { runMain } from "./run_main.ts";

const HELP = `Train SimCLR with the kit and with its PyTorch twin on the same data; compare.

Usage: deno task parity [options] [any deno task train flag]

  --epochs <n>         training epochs (default 5)
  --train-size <n>     training images (default 10000)
  --test-size <n>      test images (default 10000)
  --seed <n>           seed of both runs (default 0)
  --threads <n>        CPU threads of both sides (default env KIT_THREADS, else all cores)
  --out <dir>          parity directory (default runs/parity/<hash of the flags>); the kit run
                       lives in <dir>/kit, the twin's result in <dir>/twin
  --fresh              retrain both sides even if <dir> holds results
  --json               print the parity object as the last stdout line
  --help               this text

Defaults passed to train unless given: --dataset auto --train-size 10000 --test-size 10000
--epochs 5 --batch-size 256 --arch resnet10 --width 16. Other flags (e.g. --temperature 0.2,
--lr 1e-3, --warmup-epochs 1, --data-dir DIR) go to train unchanged; only --method simclr is
mirrored by the twin. The twin needs python3 with torch and scikit-learn
(\`apt-get install python3-torch python3-sklearn\`, or env KIT_TORCH_PYTHON).
`;

/** Train flags parity sets when the command line does not. */
export const PARITY_DEFAULTS: ReadonlyArray<readonly [string, string]> = [
  ["dataset", "auto"],
  ["train-size", "10000"],
  ["test-size", "10000"],
  ["epochs", "5"],
  ["batch-size", "256"],
  ["arch", "resnet10"],
  ["width", "16"],
];

/** True when `args` hold flag `--name` (as `--name value` or `--name=value`). */
function hasFlag(args: readonly string[], name: string): boolean {
  return args.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
}

/**
 * Removes flag `--name` from `args` and returns its value: the next argument (or the part after
 * `=`) for a value flag, `"true"` for a boolean flag; undefined when absent.
 */
function takeFlag(args: string[], name: string, boolean = false): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const arg = args[i];
  if (arg.includes("=")) {
    args.splice(i, 1);
    return arg.slice(arg.indexOf("=") + 1);
  }
  if (boolean) {
    args.splice(i, 1);
    return "true";
  }
  if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
    throw new UsageError(`--${name} expects a value; e.g. --${name} ${name === "out" ? "DIR" : 4}`);
  }
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

/** What the parity command line asks for. */
export interface ParityArgs {
  /** Arguments for `cli/train.ts` (defaults added, parity's own flags removed, no --out). */
  trainArgs: string[];
  /** `--out`, when given. */
  out?: string;
  /** Threads of both sides. */
  threads: number;
  json: boolean;
  fresh: boolean;
  help: boolean;
  /** `--data-dir`, when given (also passed to train). */
  dataDir?: string;
}

/**
 * Splits a parity command line into parity's own flags and the train arguments, adding
 * {@link PARITY_DEFAULTS} for train flags that are absent. Throws a UsageError for a method
 * other than simclr (the twin mirrors SimCLR only).
 */
export function parseParityArgs(args: readonly string[]): ParityArgs {
  const rest = [...args];
  const help = takeFlag(rest, "help", true) !== undefined || rest.includes("-h");
  const json = takeFlag(rest, "json", true) !== undefined;
  const out = takeFlag(rest, "out");
  const threadsFlag = positiveIntegerFlag("threads", takeFlag(rest, "threads"));
  const envThreads = Deno.env.get("KIT_THREADS");
  const threads = threadsFlag ??
    (envThreads ? positiveIntegerFlag("threads", envThreads) : navigator.hardwareConcurrency);
  const fresh = hasFlag(rest, "fresh");
  const method = takeFlag([...rest], "method");
  if (method !== undefined && method !== "simclr") {
    throw new UsageError(
      `--method ${method}: the PyTorch twin mirrors simclr only; drop --method or pass simclr`,
    );
  }
  if (hasFlag(rest, "config")) {
    throw new UsageError(
      "--config is not supported by parity (the twin reads the config the kit run writes); " +
        "pass the settings as train flags instead",
    );
  }
  const dataDir = takeFlag([...rest], "data-dir");
  const trainArgs = [...rest, "--threads", String(threads)];
  for (const [name, value] of PARITY_DEFAULTS) {
    if (!hasFlag(rest, name)) trainArgs.push(`--${name}`, value);
  }
  return { trainArgs, out, threads, json, fresh, help, dataDir };
}

/** Short hex SHA-256 of the train arguments, naming the default parity directory. */
async function argsHash(args: readonly string[]): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(args));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Indices of the training rows the kit evaluates on, picked as lib/experiment/run.ts does. */
function evalTrainIndices(cfg: ExperimentConfig, ds: ImageDataset): Int32Array | undefined {
  const size = cfg.eval.trainSize;
  if (!size || size >= ds.train.count) return undefined;
  const classes = ds.classes.length;
  return labelBudgetIndices(ds.train.labels, classes, { total: size - (size % classes) }, cfg.seed);
}

/**
 * Writes the train/test images and labels the kit run of `cfg` used (loaded exactly as
 * lib/experiment/run.ts loads them) into `dir`; see {@link exportDataset}.
 */
export async function exportRunData(
  cfg: ExperimentConfig,
  dir: string,
  opts: { dataDir?: string; log?: (line: string) => void } = {},
): Promise<{ dataset: string; synthetic: boolean; train: number; test: number }> {
  const ds = await loadDataset(cfg.data.dataset, {
    dataDir: opts.dataDir,
    trainSize: cfg.data.trainSize,
    testSize: cfg.data.testSize,
    seed: 0,
    onProgress: opts.log,
  });
  await exportDataset(ds, dir, evalTrainIndices(cfg, ds));
  return { dataset: ds.name, synthetic: ds.synthetic, train: ds.train.count, test: ds.test.count };
}

/**
 * Writes `ds` in the layout bench/simclr_twin.py reads (`--data`): `train_images.u8`,
 * `train_labels.i32`, `test_images.u8`, `test_labels.i32` (NHWC uint8, int32 little-endian),
 * `eval_train_index.i32` when `evalIdx` is given, and `meta.json`.
 */
export async function exportDataset(
  ds: ImageDataset,
  dir: string,
  evalIdx?: Int32Array,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const le32 = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  await Deno.writeFile(join(dir, "train_images.u8"), ds.train.images);
  await Deno.writeFile(join(dir, "train_labels.i32"), le32(ds.train.labels));
  await Deno.writeFile(join(dir, "test_images.u8"), ds.test.images);
  await Deno.writeFile(join(dir, "test_labels.i32"), le32(ds.test.labels));
  if (evalIdx) await Deno.writeFile(join(dir, "eval_train_index.i32"), le32(evalIdx));
  const meta = {
    dataset: ds.name,
    displayName: ds.displayName,
    synthetic: ds.synthetic,
    imageShape: ds.imageShape,
    numClasses: ds.classes.length,
    classes: ds.classes,
    trainCount: ds.train.count,
    testCount: ds.test.count,
    ...(evalIdx ? { evalTrainIndexFile: "eval_train_index.i32" } : {}),
  };
  await Deno.writeTextFile(join(dir, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
}

/** One side of the comparison (accuracies in percent, null when that side does not report it). */
export interface ParitySide {
  linearTop1: number;
  linearTop5: number | null;
  knnTop1: number;
  knnTop5: number | null;
  randomInitLinearTop1: number | null;
  randomInitKnnTop1: number | null;
  finalLoss: number | null;
  trainSeconds: number;
  evalSeconds: number | null;
}

/** What `deno task parity` writes to `parity.json` (and prints with --json). */
export interface ParityReport extends ParityRunInfo {
  kit: ParitySide & { backend: string; result: string };
  twin: ParitySide & { torch: string; device: string; threads: number; result: string };
  /** kit - twin in accuracy points; `twinOverKitTime` = twin train s / kit train s. */
  gaps: {
    linearTop1: number;
    knnTop1: number;
    randomInitLinearTop1: number | null;
    twinOverKitTime: number;
  };
}

/** What both sides of a parity run share: data, schedule, threads, config and arguments. */
export interface ParityRunInfo {
  dataset: string;
  synthetic: boolean;
  trainImages: number;
  testImages: number;
  epochs: number;
  threads: number;
  config: string;
  trainArgs: string[];
}

function side(r: Record<string, unknown>): ParitySide {
  const num = (k: string): number | null => typeof r[k] === "number" ? r[k] as number : null;
  const need = (k: string): number => {
    const v = num(k);
    if (v === null) throw new Error(`result has no numeric "${k}": ${JSON.stringify(r)}`);
    return v;
  };
  return {
    linearTop1: need("linearTop1"),
    linearTop5: num("linearTop5"),
    knnTop1: need("knnTop1"),
    knnTop5: num("knnTop5"),
    randomInitLinearTop1: num("randomInitLinearTop1"),
    randomInitKnnTop1: num("randomInitKnnTop1"),
    finalLoss: num("finalLoss"),
    trainSeconds: need("trainSeconds"),
    evalSeconds: num("evalSeconds"),
  };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Builds the report from the kit's result line and the twin's JSON line. */
export function parityReport(
  kit: Record<string, unknown>,
  twin: Record<string, unknown>,
  info: ParityRunInfo & { kitResult: string; twinResult: string },
): ParityReport {
  const { kitResult, twinResult, ...run } = info;
  const k = side(kit);
  const t = side(twin);
  const ri = k.randomInitLinearTop1 !== null && t.randomInitLinearTop1 !== null
    ? round2(k.randomInitLinearTop1 - t.randomInitLinearTop1)
    : null;
  return {
    kit: { ...k, backend: String(kit.backend ?? "?"), result: kitResult },
    twin: {
      ...t,
      torch: String(twin.torch ?? "?"),
      device: String(twin.device ?? "?"),
      threads: Number(twin.threads ?? info.threads),
      result: twinResult,
    },
    gaps: {
      linearTop1: round2(k.linearTop1 - t.linearTop1),
      knnTop1: round2(k.knnTop1 - t.knnTop1),
      randomInitLinearTop1: ri,
      twinOverKitTime: round2(t.trainSeconds / k.trainSeconds),
    },
    ...run,
  };
}

/** The report as a small text table. */
export function formatParityTable(r: ParityReport): string {
  const f = (v: number | null, digits = 2) => v === null ? "-" : v.toFixed(digits);
  const rows: [string, string, string, string][] = [
    ["", `kit (${r.kit.backend})`, `twin (torch ${r.twin.torch})`, "kit - twin"],
    ["linear top-1 %", f(r.kit.linearTop1), f(r.twin.linearTop1), f(r.gaps.linearTop1)],
    ["kNN top-1 %", f(r.kit.knnTop1), f(r.twin.knnTop1), f(r.gaps.knnTop1)],
    [
      "random-init linear top-1 %",
      f(r.kit.randomInitLinearTop1),
      f(r.twin.randomInitLinearTop1),
      f(r.gaps.randomInitLinearTop1),
    ],
    [
      "train seconds",
      f(r.kit.trainSeconds, 1),
      f(r.twin.trainSeconds, 1),
      `twin/kit ${f(r.gaps.twinOverKitTime)}`,
    ],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")
  );
  const data = `${r.dataset}${r.synthetic ? " [SYNTHETIC]" : ""}`;
  return [
    `parity: ${data}, ${r.trainImages} train / ${r.testImages} test images, ${r.epochs} ` +
    `epoch(s), ${r.threads} thread(s)`,
    ...lines,
    `twin/kit time ${f(r.gaps.twinOverKitTime)}: the kit trains at ${
      f(r.gaps.twinOverKitTime)
    }x PyTorch's speed (> 1: faster)`,
  ].join("\n");
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * The NT-Xent temperature the kit's SimCLR trains with for `cfg`: `methodOptions.temperature`,
 * else the method's default (the kit writes `methodOptions: {}` when `--temperature` is left
 * out). Parity hands it to the twin explicitly, so the twin never falls back on a default of
 * its own.
 */
export function kitTemperature(cfg: ExperimentConfig): number {
  return readOptions("simclr", SIMCLR_OPTIONS, cfg.methodOptions ?? {}).temperature;
}

/**
 * Whether a stored twin result was made by the twin run parity would start now: same config
 * text, threads and temperature (results written before the twin reported its temperature are
 * not reused).
 */
export function twinResultReusable(
  stored: Record<string, unknown> | undefined,
  want: { cfgText: string; threads: number; temperature: number },
): boolean {
  return stored !== undefined && stored.config === want.cfgText &&
    stored.threads === want.threads && stored.temperature === want.temperature;
}

/** Runs the twin on the kit run's config and exported data, or reuses its stored result. */
async function runTwin(opts: {
  python: string;
  config: string;
  cfgText: string;
  dataDir: string;
  outDir: string;
  threads: number;
  seed: number;
  temperature: number;
  fresh: boolean;
  log: (line: string) => void;
}): Promise<Record<string, unknown>> {
  const resultPath = join(opts.outDir, "result.json");
  const stored = await readJson<Record<string, unknown>>(resultPath);
  if (!opts.fresh && stored && twinResultReusable(stored, opts)) {
    opts.log(`${resultPath}: the twin finished earlier with this config; reusing its result`);
    return stored;
  }
  const result = await runSimclrTwin({
    ...opts,
    args: ["--seed", String(opts.seed), "--temperature", String(opts.temperature)],
  });
  await Deno.mkdir(opts.outDir, { recursive: true });
  await Deno.writeTextFile(
    resultPath,
    JSON.stringify({ ...result, config: opts.cfgText }, null, 2) + "\n",
  );
  return result;
}

/** Entry point; returns the exit status (bad flags throw a UsageError). */
async function main(args: string[]): Promise<number> {
  const p = parseParityArgs(args);
  if (p.help) {
    console.log(HELP);
    return 0;
  }
  const log = (line: string) => console.error(`[parity] ${line}`);
  const python = await findTorchPython(["torch", "sklearn", "numpy"]); // fail before an hour of training, not after
  const out = p.out ??
    join("runs", "parity", await argsHash(p.trainArgs.filter((a) => a !== "--fresh")));
  const kitDir = join(out, "kit");
  const dataDir = join(out, "data");

  log(`kit: deno task train ${p.trainArgs.join(" ")} --out ${kitDir}`);
  const trainScript = new URL("./train.ts", import.meta.url).pathname;
  const kit = await runForJson("the kit's training (cli/train.ts)", Deno.execPath(), [
    "run",
    "-A",
    trainScript,
    ...p.trainArgs,
    "--out",
    kitDir,
  ]);
  const configPath = join(kitDir, "config.json");
  const cfgText = await Deno.readTextFile(configPath);
  const cfg = JSON.parse(cfgText) as ExperimentConfig;

  let data;
  let twin;
  try {
    log(`exporting the run's images to ${dataDir}`);
    data = await exportRunData(cfg, dataDir, { dataDir: p.dataDir, log });
    const temperature = kitTemperature(cfg);
    log(
      `twin: ${python} bench/simclr_twin.py --config ${configPath} --data ${dataDir} ` +
        `--temperature ${temperature}`,
    );
    twin = await runTwin({
      python,
      config: configPath,
      cfgText,
      dataDir,
      outDir: join(out, "twin"),
      threads: p.threads,
      seed: cfg.seed,
      temperature,
      fresh: p.fresh,
      log,
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  const report = parityReport(kit, twin, {
    dataset: data.dataset,
    synthetic: data.synthetic,
    trainImages: data.train,
    testImages: data.test,
    epochs: cfg.optim.epochs,
    threads: p.threads,
    config: configPath,
    trainArgs: p.trainArgs,
    kitResult: join(kitDir, "result.json"),
    twinResult: join(out, "twin", "result.json"),
  });
  await Deno.writeTextFile(join(out, "parity.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(formatParityTable(report));
  console.log(`written: ${join(out, "parity.json")}`);
  if (p.json) console.log(JSON.stringify(report));
  return 0;
}

if (import.meta.main) {
  await runMain(() => main(Deno.args));
}
