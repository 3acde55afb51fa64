/**
 * `deno task train`: trains one self-supervised method and evaluates it.
 *
 * ```
 * deno task train --method simclr --dataset cifar10-jpeg --epochs 10 --train-size 10000
 * deno task train --list-methods
 * ```
 *
 * The last line on stdout is one JSON object with the results
 * (`linearTop1`, `knnTop1`, `backend`, `seconds`, ...); progress and logs go
 * to stderr. Rerunning the same command resumes a killed run from its last
 * checkpoint, or returns the finished result.
 *
 * @module
 */
import { defaultExperiment, type ExperimentConfig } from "../lib/config/experiment.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import { listMethods } from "../lib/methods/all.ts";
import { formatOptionHelp, optionTable } from "../lib/methods/option_schema.ts";
import { backboneChannels, isNeckPreset, NECK_PRESETS, neckPreset } from "../lib/config/presets.ts";
import { runExperiment } from "../lib/experiment/run.ts";
import { resolveDatasetName } from "../lib/data/auto_dataset.ts";
import { backendFlag, integerFlag, numberFlag, parseCommandLine, UsageError } from "./args.ts";
import { runMain } from "./run_main.ts";
import { stopOnSignals } from "./stop_signals.ts";

const HELP =
  `Train a self-supervised encoder and evaluate it (linear probe, kNN, optional fine-tuning).

Usage: deno task train --method <name> [options]

  --method <name>          method to train (default simclr; --list-methods shows all)
  --dataset <name>         dataset name (default synthetic; deno task data list), or auto: the
                           best one present without a download (cifar10-jpeg, cifar10, svhn in
                           the cache or the data folder), else synthetic
  --data-dir <dir>         where local dataset archives live (or env KIT_DATA_DIR)
  --epochs <n>             training epochs (default 10)
  --train-size <n>         use a class-balanced seeded subset of n training images
  --test-size <n>          evaluate on the first n test images (class-balanced subset)
  --batch-size <n>         images per step (default 128)
  --lr <x>                 peak learning rate (default 1e-3 * batch / 256; S-MAG: 5e-4 * batch / 256)
  --weight-decay <x>       AdamW decoupled weight decay (default 0.05)
  --warmup-epochs <n>      linear warm-up epochs (default 1)
  --arch <name>            backbone depth: ${
    Object.keys(RESNET_DEPTHS).join(", ")
  } (default resnet10)
  --width <n>              backbone base width (default 32)
  --zero-init-residual     start each residual block's last batch-norm scale at 0 (Goyal et
                           al.; the old default, for SGD at high lr) instead of 1
  --crop-scale <lo,hi>     random-resized-crop area range (default 0.2,1; SimCLR: 0.08,1)
  --neck <type>            gap | sam | gam | hsagm (default gap; the presets of
                           lib/config/presets.ts, as in deno task flops and the ablations:
                           attention width 128, masked cells excluded; hsagm: MLP, GRU and
                           output sized to the backbone's output channels)
  --temperature <x>        contrastive temperature (method option)
  --option key=value       any other method option (repeatable; JSON values allowed;
                           --method <name> --help lists the method's options)
  --seed <n>               seed (default 0)
  --linear-c <x>           linear probe's inverse L2 strength C (default 1; scikit-learn's C)
  --linear-max-iter <n>    linear probe's L-BFGS iteration cap (default 1000)
  --no-random-init         skip the random-init baseline (kNN + probe on the untrained encoder)
  --eval-train-size <n>    train images used by kNN / linear probe (default: all used for training)
  --finetune-labels <n|p%> also fine-tune with a class-balanced label budget: n images
                           (4000 for CIFAR-10, 1000 for SVHN) or p% of each class (1%, 10%)
  --finetune-epochs <n>    fine-tuning epochs (default 10)
  --monitor-every <n>      kNN monitor every n epochs, logged in metrics.jsonl (default off)
  --monitor-size <n>       images per split for the kNN monitor (default 1000)
  --backend <name>         auto | tensorflow | webgpu | wasm | cpu (default auto, or env KIT_BACKEND)
  --threads <n>            CPU threads for the backend
  --out <dir>              run directory (default runs/<method>-<dataset>-<hash>)
  --fresh                  discard an existing checkpoint/result in --out and start over
  --config <file.json>     start from a saved config.json (flags override it)
  --list-methods           print the method names, one per line (--verbose: with descriptions)
  --option-tables          print every method's option table as Markdown (README "Method options")
  --help                   this text
`;

const FLAGS = {
  method: { type: "string" },
  dataset: { type: "string" },
  "data-dir": { type: "string" },
  epochs: { type: "string" },
  "train-size": { type: "string" },
  "test-size": { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  "weight-decay": { type: "string" },
  "warmup-epochs": { type: "string" },
  arch: { type: "string" },
  width: { type: "string" },
  neck: { type: "string" },
  temperature: { type: "string" },
  option: { type: "string", multiple: true },
  seed: { type: "string" },
  "linear-c": { type: "string" },
  "linear-max-iter": { type: "string" },
  "no-random-init": { type: "boolean" },
  "zero-init-residual": { type: "boolean" },
  "crop-scale": { type: "string" },
  "eval-train-size": { type: "string" },
  "finetune-labels": { type: "string" },
  "finetune-epochs": { type: "string" },
  "monitor-every": { type: "string" },
  "monitor-size": { type: "string" },
  backend: { type: "string" },
  threads: { type: "string" },
  out: { type: "string" },
  fresh: { type: "boolean" },
  config: { type: "string" },
  "list-methods": { type: "boolean" },
  verbose: { type: "boolean" },
  "option-tables": { type: "boolean" },
} as const;

/** The parsed flags of `deno task train`. */
type Flags = {
  [K in keyof typeof FLAGS]?: (typeof FLAGS)[K] extends { multiple: true } ? string[]
    : (typeof FLAGS)[K] extends { type: "boolean" } ? boolean
    : string;
};

/**
 * The usage text; with `--method X` among `args`, followed by X's options
 * (from its schema: defaults, values, when they apply).
 */
export function usage(args: readonly string[]): string {
  const i = args.findIndex((a) => a === "--method" || a.startsWith("--method="));
  const name = i < 0 ? undefined : args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
  const spec = listMethods().find((m) => m.name === name);
  if (!spec) return HELP;
  return `${HELP}
${spec.name}: ${spec.description}

${formatOptionHelp(spec.name, spec.options)}
`;
}

/** Entry point; returns the exit status (bad flags throw a UsageError). */
async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({ args, options: FLAGS, allowPositionals: false }, usage(args));
  if (!cli) return 0;
  const values = cli.values as Flags;
  if (values["list-methods"]) {
    for (const m of listMethods()) {
      console.log(values.verbose ? `${m.name}\t${m.description}` : m.name);
    }
    return 0;
  }
  if (values["option-tables"]) {
    for (const m of listMethods()) {
      console.log(`<!-- options:${m.name} -->\n\n\`${m.name}\`:\n\n${optionTable(m.options)}\n`);
    }
    return 0;
  }
  const cfg = await baseConfig(values.config);
  await applyDataFlags(cfg, values);
  applyOptimFlags(cfg, values);
  applyModelFlags(cfg, values);
  applyMethodFlags(cfg, values);
  applyEvalFlags(cfg, values);

  const backend = backendFlag(values.backend);
  const threads = integerFlag("threads", values.threads);
  // Ctrl-C / SIGTERM: the trainer checkpoints at the next step and exits.
  const stop = stopOnSignals();
  const result = await runExperiment(cfg, {
    outDir: values.out,
    backend,
    threads,
    dataDir: values["data-dir"],
    fresh: values.fresh ?? false,
    shouldStop: stop.requested,
  });
  console.log(JSON.stringify(result));
  return 0;
}

/** The defaults, or a saved `config.json` over them (`--config`); a bad file is a UsageError. */
export async function baseConfig(path: string | undefined): Promise<ExperimentConfig> {
  const cfg = defaultExperiment();
  if (!path) return cfg;
  try {
    return { ...cfg, ...JSON.parse(await Deno.readTextFile(path)) };
  } catch (err) {
    throw new UsageError(
      `cannot read --config ${path}: ${(err as Error).message}; ` +
        "give a config.json written by a run (runs/<run>/config.json)",
    );
  }
}

/** `--method`, `--dataset` (with `auto` resolved), `--train-size`, `--test-size`, `--seed`. */
async function applyDataFlags(cfg: ExperimentConfig, values: Flags): Promise<void> {
  if (values.method) cfg.method = values.method;
  if (values.dataset) {
    const picked = await resolveDatasetName(values.dataset, { dataDir: values["data-dir"] });
    if (values.dataset === "auto") {
      console.error(`dataset auto -> ${picked.name} (${picked.reason})`);
    }
    cfg.data = { ...cfg.data, dataset: picked.name };
  }
  cfg.data.trainSize = integerFlag("train-size", values["train-size"]) ?? cfg.data.trainSize;
  cfg.data.testSize = integerFlag("test-size", values["test-size"]) ?? cfg.data.testSize;
  cfg.seed = integerFlag("seed", values.seed) ?? cfg.seed;
}

/** `--epochs`, `--batch-size`, `--lr`, `--weight-decay`, `--warmup-epochs`. */
function applyOptimFlags(cfg: ExperimentConfig, values: Flags): void {
  cfg.optim.epochs = integerFlag("epochs", values.epochs) ?? cfg.optim.epochs;
  cfg.optim.batchSize = integerFlag("batch-size", values["batch-size"]) ?? cfg.optim.batchSize;
  cfg.optim.lr = numberFlag("lr", values.lr) ?? cfg.optim.lr;
  cfg.optim.weightDecay = numberFlag("weight-decay", values["weight-decay"]) ??
    cfg.optim.weightDecay;
  cfg.optim.warmupEpochs = numberFlag("warmup-epochs", values["warmup-epochs"]) ??
    Math.min(cfg.optim.warmupEpochs, Math.max(0, cfg.optim.epochs - 1));
}

/** `--arch`, `--width`, `--zero-init-residual`, `--crop-scale`, `--neck` (a preset). */
function applyModelFlags(cfg: ExperimentConfig, values: Flags): void {
  if (values.arch) {
    const blocks = RESNET_DEPTHS[values.arch];
    if (!blocks) {
      throw new UsageError(
        `unknown --arch "${values.arch}"; choose one of ${Object.keys(RESNET_DEPTHS).join(", ")}`,
      );
    }
    cfg.encoder.backbone = { ...cfg.encoder.backbone, blocks };
  }
  const width = integerFlag("width", values.width);
  if (values["zero-init-residual"]) {
    cfg.encoder.backbone = { ...cfg.encoder.backbone, zeroInitResidual: true };
  }
  if (values["crop-scale"] !== undefined) {
    const parts = values["crop-scale"].split(",").map((v) => numberFlag("crop-scale", v.trim()));
    if (parts.length !== 2 || !(parts[0] > 0 && parts[0] <= parts[1] && parts[1] <= 1)) {
      throw new UsageError(
        `--crop-scale expects "lo,hi" with 0 < lo <= hi <= 1, got "${values["crop-scale"]}"; ` +
          "e.g. --crop-scale 0.2,1",
      );
    }
    cfg.views = { ...cfg.views, cropScale: [parts[0], parts[1]] };
  }
  if (width !== undefined) cfg.encoder.backbone = { ...cfg.encoder.backbone, width };
  if (values.neck !== undefined) {
    if (!isNeckPreset(values.neck)) {
      throw new UsageError(
        `unknown --neck "${values.neck}"; choose one of ${NECK_PRESETS.join(", ")}`,
      );
    }
    cfg.encoder.neck = neckPreset(values.neck, backboneChannels(cfg.encoder.backbone, "--neck"));
  }
}

/** `--temperature` and every `--option key=value` (JSON values, else strings). */
function applyMethodFlags(cfg: ExperimentConfig, values: Flags): void {
  if (values.temperature !== undefined) {
    cfg.methodOptions.temperature = numberFlag("temperature", values.temperature);
  }
  for (const kv of values.option ?? []) {
    const eq = kv.indexOf("=");
    if (eq < 1) {
      throw new UsageError(
        `--option expects key=value, got "${kv}"; e.g. --option temperature=0.2`,
      );
    }
    const raw = kv.slice(eq + 1);
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch { /* keep as string */ }
    cfg.methodOptions[kv.slice(0, eq)] = parsed;
  }
}

/** The linear probe, random-init baseline, evaluation subset, fine-tuning and monitor flags. */
function applyEvalFlags(cfg: ExperimentConfig, values: Flags): void {
  cfg.eval.linearC = numberFlag("linear-c", values["linear-c"]) ?? cfg.eval.linearC;
  cfg.eval.linearMaxIter = integerFlag("linear-max-iter", values["linear-max-iter"]) ??
    cfg.eval.linearMaxIter;
  if (values["no-random-init"]) cfg.eval.randomInitBaseline = false;
  cfg.eval.trainSize = integerFlag("eval-train-size", values["eval-train-size"]) ??
    cfg.eval.trainSize;
  const budget = values["finetune-labels"];
  if (budget?.endsWith("%")) {
    cfg.eval.finetuneFraction = numberFlag("finetune-labels", budget.slice(0, -1)) / 100;
  } else {
    cfg.eval.finetuneLabels = integerFlag("finetune-labels", budget) ?? cfg.eval.finetuneLabels;
  }
  cfg.eval.finetuneEpochs = integerFlag("finetune-epochs", values["finetune-epochs"]) ??
    cfg.eval.finetuneEpochs;
  cfg.eval.monitorEvery = integerFlag("monitor-every", values["monitor-every"]) ??
    cfg.eval.monitorEvery;
  cfg.eval.monitorSize = integerFlag("monitor-size", values["monitor-size"]) ??
    cfg.eval.monitorSize;
}

if (import.meta.main) {
  await runMain(() => main(Deno.args), {
    exitCode: (e) => (e.name === "TrainingInterruptedError" ? 130 : 1),
  });
}
