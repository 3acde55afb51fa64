/**
 * Exports a few SimCLR training steps of the kit, tensor by tensor, for the PyTorch twin's
 * step check (`bench/twin_step_check.py`): the same network, views, loss, gradients and AdamW
 * update must come out of `bench/simclr_twin.py`'s classes to float32 rounding.
 *
 * ```
 * deno run -A cli/twin_step_export.ts --out /tmp/step                     # synthetic, resnet10 w8
 * deno run -A cli/twin_step_export.ts --out /tmp/step --config runs/x/kit/config.json --steps 3
 * python3 bench/twin_step_check.py /tmp/step                              # compares, JSON line
 * ```
 *
 * The method is built as `cli/train.ts` builds it (`buildMethod` on the config, channel
 * statistics of the training split, `cfg.seed`), and each step is the trainer's
 * (lib/train/trainer.ts): views from `method.prepare` with the step's `stepRng`, loss and
 * gradients by `valueAndGrads(method.loss)`, then `AdamW.step` with the run's weight decay.
 * The lr is constant (`--lr`, default the config's peak lr): the twin's per-step schedule is
 * checked by cli/parity_test.ts.
 *
 * Output folder: `meta.json` (config, resolved method options, lr, losses, and the names,
 * shapes and decay flags of the parameters and buffers, in store order) and raw little-endian
 * float32 files: `params.f32` / `buffers.f32` (initial values, concatenated in that order),
 * and per step k (from 0) `step{k}_views.f32` (v1 then v2, NHWC), `step{k}_grads.f32`,
 * `step{k}_params.f32` (after the update) and `step{k}_buffers.f32` (batch-norm running
 * statistics after the step's forward pass).
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "../lib/tfjs.ts";
import { defaultExperiment, type ExperimentConfig, peakLr } from "../lib/config/experiment.ts";
import { loadDataset } from "../lib/data/registry.ts";
import { channelStats } from "../lib/data/channel_stats.ts";
import { toFloatBatch } from "../lib/augment/float_batch.ts";
import { buildMethod, methodSpec } from "../lib/methods/all.ts";
import type { SimClr, ViewPair } from "../lib/methods/simclr.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import { valueAndGrads } from "../lib/nn/params.ts";
import { AdamW } from "../lib/optim/adamw.ts";
import { stepRng } from "../lib/train/step_rng.ts";
import { withInputChannels } from "../lib/experiment/preflight.ts";
import { initBackend } from "../lib/backend/select.ts";
import {
  backendFlag,
  numberFlag,
  parseCommandLine,
  positiveIntegerFlag,
  UsageError,
} from "./args.ts";
import { runMain } from "./run_main.ts";

const HELP = `Export kit SimCLR steps (params, views, loss, grads, AdamW update) for the twin check.

Usage: deno run -A cli/twin_step_export.ts --out DIR [options]

  --out <dir>          folder to write (created; existing files are overwritten)
  --config <file>      a kit config.json (e.g. runs/x/kit/config.json); default: the kit's
                       default simclr config with the flags below
  --arch <name>        backbone depth without --config (default resnet10)
  --width <n>          backbone width without --config (default 8)
  --batch <n>          images per step (default 16: 32 views)
  --steps <n>          consecutive trainer steps to export (default 1)
  --train-size <n>     training images for the channel statistics (default 64)
  --lr <x>             lr of every exported step (default: the config's peak lr)
  --temperature <x>    sets methodOptions.temperature (default: as in the config)
  --backend <name>     auto | native | wasm | cpu ... (default auto, as training)
  --threads <n>        backend threads
  --help               this text
`;

/** Where a tensor list lives in the folder. */
interface TensorEntry {
  name: string;
  shape: number[];
}

/** What `meta.json` holds (read by bench/twin_step_check.py). */
export interface StepExportMeta {
  /** The config the method was built from (input channels filled in). */
  config: ExperimentConfig;
  /** The method's options after defaults (what the kit trains with). */
  methodOptions: Record<string, unknown>;
  /** Temperature the kit's SimCLR used. */
  temperature: number;
  backend: string;
  imageShape: [number, number, number];
  batch: number;
  steps: number;
  lr: number;
  weightDecay: number;
  /** Mean NT-Xent loss of each step (training mode). */
  losses: number[];
  /** Trainable parameters in store order; `decay`: AdamW applies weight decay. */
  params: (TensorEntry & { decay: boolean })[];
  /** Batch-norm running statistics in store order. */
  buffers: TensorEntry[];
}

async function writeF32(path: string, tensors: tf.Tensor[]): Promise<void> {
  const parts = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  await Deno.writeFile(path, new Uint8Array(out.buffer));
}

/** Options of {@link exportTwinSteps}. */
export interface StepExportOptions {
  /** Folder to write (created). */
  out: string;
  /** SimCLR config (default {@link defaultExperiment}: synthetic data, methodOptions {}). */
  config?: ExperimentConfig;
  /** Images per step (default 16). */
  batch?: number;
  /** Consecutive steps (default 1). */
  steps?: number;
  /** Training images loaded (seeded subsample) for the channel statistics (default 64). */
  trainSize?: number;
  /** lr of every step (default the config's peak lr). */
  lr?: number;
}

/**
 * Builds SimCLR for `opts.config` on a `trainSize` subsample of the config's dataset, runs
 * `opts.steps` trainer steps and writes the folder described in the module docs. `backend`
 * (the active tfjs backend's name) is only recorded. Returns the meta written.
 */
export async function exportTwinSteps(
  opts: StepExportOptions,
  backend: string,
): Promise<StepExportMeta> {
  const batch = opts.batch ?? 16;
  const steps = opts.steps ?? 1;
  const base = opts.config ?? defaultExperiment();
  if (base.method !== "simclr") {
    throw new UsageError(`the twin mirrors simclr only; the config's method is ${base.method}`);
  }
  const ds = await loadDataset(base.data.dataset, {
    trainSize: Math.max(opts.trainSize ?? 64, batch),
    testSize: 8,
    seed: 0,
  });
  if (ds.train.count < batch) {
    throw new UsageError(`${ds.train.count} training images are fewer than --batch ${batch}`);
  }
  const c = ds.imageShape[2];
  const cfg = withInputChannels(base, c);
  const stats = channelStats(ds.train, c);
  const method = buildMethod(cfg, {
    imageShape: ds.imageShape,
    stats,
    numClasses: ds.classes.length,
  }) as SimClr;
  const params = method.params();
  const state = method.state();
  const buffers = [...state].filter(([name]) => !params.has(name));
  const lr = opts.lr ?? peakLr(cfg.optim);
  const optimizer = new AdamW({ lr, weightDecay: cfg.optim.weightDecay });
  await Deno.mkdir(opts.out, { recursive: true });
  await writeF32(join(opts.out, "params.f32"), [...params.values()]);
  await writeF32(join(opts.out, "buffers.f32"), buffers.map(([, v]) => v));

  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    // The first `batch` images of the split; the trainer's step rng of epoch 0, step s.
    const idx = Int32Array.from({ length: batch }, (_, i) => (i + s * batch) % ds.train.count);
    const images = toFloatBatch(ds.train, idx, ds.imageShape);
    const labels = tf.tensor1d(Int32Array.from(idx, (i) => ds.train.labels[i]), "int32");
    const input = { images, labels, rng: stepRng(cfg.seed, 0, s), step: s, epoch: 0 };
    const views: ViewPair = method.prepare(input);
    const { value, grads } = valueAndGrads(() => method.loss(views).loss, params);
    const names = [...params.keys()];
    const missing = names.filter((n) => !grads.has(n));
    if (missing.length) throw new Error(`no gradient for ${missing.join(", ")}`);
    await writeF32(join(opts.out, `step${s}_views.f32`), [views.v1, views.v2]);
    await writeF32(join(opts.out, `step${s}_grads.f32`), names.map((n) => grads.get(n)!));
    await writeF32(join(opts.out, `step${s}_buffers.f32`), buffers.map(([, v]) => v));
    optimizer.step(grads, params, lr);
    await writeF32(join(opts.out, `step${s}_params.f32`), [...params.values()]);
    losses.push((await value.data())[0]);
    tf.dispose([value, ...grads.values(), views.v1, views.v2, images, labels]);
  }
  const meta: StepExportMeta = {
    config: cfg,
    methodOptions: { ...methodSpec("simclr").defaults, ...cfg.methodOptions },
    temperature: method.temperature,
    backend,
    imageShape: ds.imageShape,
    batch,
    steps,
    lr,
    weightDecay: cfg.optim.weightDecay,
    losses,
    params: [...params].map(([name, v]) => ({
      name,
      shape: v.shape,
      decay: optimizer.decays(name, v.shape),
    })),
    buffers: buffers.map(([name, v]) => ({ name, shape: v.shape })),
  };
  await Deno.writeTextFile(join(opts.out, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  optimizer.dispose();
  method.dispose();
  return meta;
}

async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({
    args,
    options: {
      out: { type: "string" },
      config: { type: "string" },
      arch: { type: "string" },
      width: { type: "string" },
      batch: { type: "string" },
      steps: { type: "string" },
      "train-size": { type: "string" },
      lr: { type: "string" },
      temperature: { type: "string" },
      backend: { type: "string" },
      threads: { type: "string" },
    },
  }, HELP);
  if (!cli) return 0;
  const v = cli.values;
  if (!v.out) throw new UsageError(`--out DIR is required\n\n${HELP}`);
  let cfg: ExperimentConfig;
  if (v.config) {
    if (v.arch || v.width) throw new UsageError("--arch/--width apply only without --config");
    cfg = JSON.parse(await Deno.readTextFile(v.config)) as ExperimentConfig;
  } else {
    cfg = defaultExperiment();
    const arch = v.arch ?? "resnet10";
    const blocks = RESNET_DEPTHS[arch];
    if (!blocks) {
      throw new UsageError(`unknown --arch "${arch}"; one of ${Object.keys(RESNET_DEPTHS)}`);
    }
    cfg.encoder.backbone = {
      ...cfg.encoder.backbone,
      blocks,
      width: positiveIntegerFlag("width", v.width) ?? 8,
    };
  }
  const temperature = numberFlag("temperature", v.temperature);
  if (temperature !== undefined) cfg.methodOptions = { ...cfg.methodOptions, temperature };
  const info = await initBackend({
    backend: backendFlag(v.backend),
    threads: positiveIntegerFlag("threads", v.threads),
  });
  const meta = await exportTwinSteps({
    out: v.out,
    config: cfg,
    batch: positiveIntegerFlag("batch", v.batch),
    steps: positiveIntegerFlag("steps", v.steps),
    trainSize: positiveIntegerFlag("train-size", v["train-size"]),
    lr: numberFlag("lr", v.lr),
  }, info.name);
  console.error(
    `[twin-step-export] ${meta.steps} step(s) of ${meta.batch} images on ${meta.backend}, ` +
      `tau ${meta.temperature}, lr ${meta.lr}: losses ${meta.losses.map((l) => l.toFixed(6))}`,
  );
  console.log(JSON.stringify({ out: v.out, backend: meta.backend, losses: meta.losses }));
  return 0;
}

if (import.meta.main) {
  await runMain(() => main(Deno.args));
}
