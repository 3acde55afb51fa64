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
import { parseArgs } from "node:util";
import { defaultExperiment, type ExperimentConfig } from "../lib/config/experiment.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import type { PartConfig } from "../lib/models/encoder.ts";
import { listMethods } from "../lib/methods/all.ts";
import { runExperiment } from "../lib/experiment/run.ts";
import { BACKEND_NAMES, type BackendRequest } from "../lib/backend/select.ts";

const HELP =
  `Train a self-supervised encoder and evaluate it (linear probe, kNN, optional fine-tuning).

Usage: deno task train --method <name> [options]

  --method <name>          method to train (default simclr; --list-methods shows all)
  --dataset <name>         dataset name (default synthetic; deno task data list)
  --data-dir <dir>         where local dataset archives live (or env KIT_DATA_DIR)
  --epochs <n>             training epochs (default 10)
  --train-size <n>         use a class-balanced seeded subset of n training images
  --test-size <n>          evaluate on the first n test images (class-balanced subset)
  --batch-size <n>         images per step (default 128)
  --lr <x>                 peak learning rate (default 5e-4 * batch / 256)
  --weight-decay <x>       AdamW decoupled weight decay (default 0.05)
  --warmup-epochs <n>      linear warm-up epochs (default 1)
  --arch <name>            backbone depth: ${
    Object.keys(RESNET_DEPTHS).join(", ")
  } (default resnet10)
  --width <n>              backbone base width (default 32)
  --neck <type>            gap | sam | gam | hsagm (default gap; sam/gam: hidden 128; hsagm:
                           MLP, GRU and output sized to the backbone's output channels)
  --temperature <x>        contrastive temperature (method option)
  --option key=value       any other method option (repeatable; JSON values allowed)
  --seed <n>               seed (default 0)
  --linear-epochs <n>      linear-probe epochs (default 30)
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
  --help                   this text
`;

function fail(message: string): never {
  console.error(`error: ${message}`);
  Deno.exit(2);
}

function num(flag: string, v: string | undefined, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    fail(`--${flag} expects ${integer ? "an integer" : "a number"}, got "${v}"`);
  }
  return n;
}

const { values } = (() => {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
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
        "linear-epochs": { type: "string" },
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
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${HELP}`);
  }
})();

if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
if (values["list-methods"]) {
  for (const m of listMethods()) {
    console.log(values.verbose ? `${m.name}\t${m.description}` : m.name);
  }
  Deno.exit(0);
}

let cfg: ExperimentConfig = defaultExperiment();
if (values.config) {
  try {
    cfg = { ...cfg, ...JSON.parse(await Deno.readTextFile(values.config)) };
  } catch (err) {
    fail(`cannot read --config ${values.config}: ${(err as Error).message}`);
  }
}
if (values.method) cfg.method = values.method;
if (values.dataset) cfg.data = { ...cfg.data, dataset: values.dataset };
cfg.data.trainSize = num("train-size", values["train-size"], true) ?? cfg.data.trainSize;
cfg.data.testSize = num("test-size", values["test-size"], true) ?? cfg.data.testSize;
cfg.seed = num("seed", values.seed, true) ?? cfg.seed;
cfg.optim.epochs = num("epochs", values.epochs, true) ?? cfg.optim.epochs;
cfg.optim.batchSize = num("batch-size", values["batch-size"], true) ?? cfg.optim.batchSize;
cfg.optim.lr = num("lr", values.lr) ?? cfg.optim.lr;
cfg.optim.weightDecay = num("weight-decay", values["weight-decay"]) ?? cfg.optim.weightDecay;
cfg.optim.warmupEpochs = num("warmup-epochs", values["warmup-epochs"]) ??
  Math.min(cfg.optim.warmupEpochs, Math.max(0, cfg.optim.epochs - 1));
if (values.arch) {
  const blocks = RESNET_DEPTHS[values.arch];
  if (!blocks) {
    fail(`unknown --arch "${values.arch}"; choose one of ${Object.keys(RESNET_DEPTHS).join(", ")}`);
  }
  cfg.encoder.backbone = { ...cfg.encoder.backbone, blocks };
}
const width = num("width", values.width, true);
if (width !== undefined) cfg.encoder.backbone = { ...cfg.encoder.backbone, width };
if (values.neck !== undefined) {
  const blocks = cfg.encoder.backbone.blocks as number[];
  const channels = (cfg.encoder.backbone.width as number) * 2 ** (blocks.length - 1);
  const necks: Record<string, PartConfig> = {
    gap: { type: "gap" },
    sam: { type: "sam", hidden: 128 },
    gam: { type: "gam", hidden: 128 },
    hsagm: {
      type: "hsagm",
      mlpDim: channels,
      gruDim: channels,
      attnDim: Math.max(16, Math.floor(channels / 2)),
      outDim: channels,
    },
  };
  const neck = necks[values.neck];
  if (!neck) {
    fail(`unknown --neck "${values.neck}"; choose one of ${Object.keys(necks).join(", ")}`);
  }
  cfg.encoder.neck = neck;
}
if (values.temperature !== undefined) {
  cfg.methodOptions.temperature = num("temperature", values.temperature);
}
for (const kv of values.option ?? []) {
  const eq = kv.indexOf("=");
  if (eq < 1) fail(`--option expects key=value, got "${kv}"`);
  const raw = kv.slice(eq + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch { /* keep as string */ }
  cfg.methodOptions[kv.slice(0, eq)] = parsed;
}
cfg.eval.linearEpochs = num("linear-epochs", values["linear-epochs"], true) ??
  cfg.eval.linearEpochs;
cfg.eval.trainSize = num("eval-train-size", values["eval-train-size"], true) ?? cfg.eval.trainSize;
const budget = values["finetune-labels"];
if (budget?.endsWith("%")) {
  cfg.eval.finetuneFraction = num("finetune-labels", budget.slice(0, -1))! / 100;
} else {
  cfg.eval.finetuneLabels = num("finetune-labels", budget, true) ?? cfg.eval.finetuneLabels;
}
cfg.eval.finetuneEpochs = num("finetune-epochs", values["finetune-epochs"], true) ??
  cfg.eval.finetuneEpochs;

cfg.eval.monitorEvery = num("monitor-every", values["monitor-every"], true) ??
  cfg.eval.monitorEvery;
cfg.eval.monitorSize = num("monitor-size", values["monitor-size"], true) ?? cfg.eval.monitorSize;

// Stop cleanly on Ctrl-C / SIGTERM: the trainer checkpoints at the next step and exits.
let stopRequested = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(sig, () => {
      if (stopRequested) Deno.exit(130);
      stopRequested = true;
      console.error(`\n${sig}: saving a checkpoint at the next step (press again to exit at once)`);
    });
  } catch { /* signals unsupported on this platform */ }
}

const backends = ["auto", ...BACKEND_NAMES];
if (values.backend !== undefined && !backends.includes(values.backend)) {
  fail(`unknown --backend "${values.backend}"; choose one of ${backends.join(", ")}`);
}

try {
  const result = await runExperiment(cfg, {
    outDir: values.out,
    backend: values.backend as BackendRequest | undefined,
    threads: num("threads", values.threads, true),
    dataDir: values["data-dir"],
    fresh: values.fresh ?? false,
    shouldStop: () => stopRequested,
  });
  console.log(JSON.stringify(result));
} catch (err) {
  const e = err as Error;
  console.error(`error: ${e.message}`);
  if (Deno.env.get("KIT_DEBUG")) console.error(e.stack);
  Deno.exit(e.name === "TrainingInterruptedError" ? 130 : 1);
}
