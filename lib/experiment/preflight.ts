/**
 * Checks {@link runExperiment} makes before it creates anything: a config
 * that cannot run, or a run folder that cannot be written, is refused before
 * the run folder, `config.json` or `run.json` exist, so the corrected command
 * with the same `--out` is accepted.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { labelBudgetIndices } from "../data/splits.ts";
import { methodSpec } from "../methods/all.ts";
import { checkOptionNames, readOptions } from "../methods/option_schema.ts";
import { expectedMaskedFraction } from "../masking/token_masks.ts";
import { isNoSpaceError, isReadOnlyError } from "../train/run_record.ts";

/**
 * Throws when `cfg.method` is not a registered method, or when
 * `cfg.methodOptions` has a key that method does not know (the message lists
 * its options). Option values are checked when the method is built.
 */
export function checkMethodConfig(cfg: ExperimentConfig): void {
  const spec = methodSpec(cfg.method);
  checkOptionNames(spec.name, spec.options, cfg.methodOptions ?? {});
}

async function nearestExistingFolder(path: string): Promise<string> {
  let cur = resolve(path);
  for (;;) {
    try {
      const info = await Deno.stat(cur);
      if (info.isDirectory) return cur;
      throw new Error(`${cur} is a file, not a folder; choose another --out`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
        throw err;
      }
    }
    const up = dirname(cur);
    if (up === cur) return cur;
    cur = up;
  }
}

/**
 * Throws an error naming the folder and the fix when files cannot be created
 * under `outDir` (read-only file system, no permission, full disk). It writes
 * and removes one probe file in `outDir`, or in the nearest folder above it
 * that exists: nothing is left behind and no folder is created.
 */
export async function checkWritable(outDir: string): Promise<void> {
  const dir = await nearestExistingFolder(outDir);
  const probe = `${dir}/.kit-write-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(probe, "probe\n", { createNew: true });
  } catch (err) {
    const why = isReadOnlyError(err)
      ? "is on a read-only file system"
      : err instanceof Deno.errors.PermissionDenied
      ? "is not writable by this user"
      : isNoSpaceError(err)
      ? "is on a full disk"
      : `cannot be written (${(err as Error).message})`;
    throw new Error(
      `cannot create the run folder ${outDir}: ${dir} ${why}; choose --out on a writable disk ` +
        `with free space (nothing was written)`,
    );
  }
  await Deno.remove(probe).catch(() => {});
}

/**
 * For configs with random square token masks (`mask: "token"` with numeric
 * `tokenSize` and `tokenCount`, e.g. smag): refuses a `tokenCount` above the
 * number of distinct token positions `(H-s+1)(W-s+1)` (the limit is named),
 * and warns through `log` with the effective masked fraction when more than
 * 99 % of each image would be masked (more tokens then only cost time).
 */
export function checkTokenMasks(
  cfg: ExperimentConfig,
  imageShape: readonly [number, number, number],
  log: (line: string) => void,
): void {
  const spec = methodSpec(cfg.method);
  // The method's own reading (defaults filled once, values checked): a bad value is refused
  // here with the same message the method would give.
  const opts = readOptions(spec.name, spec.options, cfg.methodOptions);
  const { mask, tokenSize: s, tokenCount: count } = opts;
  if (mask !== "token" || typeof s !== "number" || typeof count !== "number") return;
  const [h, w] = imageShape;
  if (!Number.isInteger(s) || s < 1 || s > Math.min(h, w) || !Number.isInteger(count)) return;
  const positions = (h - s + 1) * (w - s + 1);
  if (count > positions) {
    throw new Error(
      `${cfg.method}: option "tokenCount" ${count} exceeds the ${positions} distinct positions of a ` +
        `${s}x${s} token on ${h}x${w} images (the limit); use --option tokenCount=<n> with n <= ` +
        `${positions}, e.g. ${Math.min(positions, Math.round(positions / 4))}`,
    );
  }
  const fraction = expectedMaskedFraction({ tokenSize: s, tokenCount: count }, h, w);
  if (fraction > 0.99) {
    log(
      `warning: ${cfg.method}: ${count} tokens of ${s}x${s} mask ${
        (100 * fraction).toFixed(1)
      } % ` +
        `of each ${h}x${w} image on average (effective masked fraction); fewer tokens give ` +
        `nearly the same mask at a fraction of the cost`,
    );
  }
}

/**
 * The config the model is built from for images with `channels` channels: a
 * backbone without `inChannels` (3, RGB, by default) gets the dataset's
 * channel count, so 1-channel image folders train without a config edit; an
 * explicit `inChannels` that differs from the data is refused, naming both.
 * `cfg` itself is not changed (its hash and `config.json` stay as given).
 */
export function withInputChannels(cfg: ExperimentConfig, channels: number): ExperimentConfig {
  const backbone = cfg.encoder.backbone as { inChannels?: unknown };
  if (backbone.inChannels === undefined) {
    if (channels === 3) return cfg;
    return {
      ...cfg,
      encoder: { ...cfg.encoder, backbone: { ...cfg.encoder.backbone, inChannels: channels } },
    };
  }
  if (backbone.inChannels !== channels) {
    throw new Error(
      `encoder.backbone.inChannels is ${backbone.inChannels} but the dataset's images have ` +
        `${channels} channel(s); remove inChannels from the config (it follows the data) or ` +
        `set it to ${channels}`,
    );
  }
  return cfg;
}

/**
 * Checks the evaluation settings against the loaded data before training:
 * a fine-tuning label budget that cannot be drawn is refused now (not after
 * the training), and sizes above what the data holds are warned through `log`
 * with the value that will be used.
 */
export function checkEvalSizes(
  cfg: ExperimentConfig,
  dataset: ImageDataset,
  log: (line: string) => void,
): void {
  const { finetuneLabels, finetuneFraction, trainSize, monitorEvery, monitorSize } = cfg.eval;
  if (finetuneLabels !== undefined || finetuneFraction !== undefined) {
    const budget = finetuneFraction !== undefined
      ? { fraction: finetuneFraction }
      : { total: finetuneLabels! };
    try {
      labelBudgetIndices(dataset.train.labels, dataset.classes.length, budget, cfg.seed);
    } catch (err) {
      throw new Error(
        `--finetune-labels: ${(err as Error).message} (the training split has ` +
          `${dataset.train.count} images in ${dataset.classes.length} classes)`,
      );
    }
  }
  if (trainSize !== undefined && trainSize > dataset.train.count) {
    log(
      `warning: --eval-train-size ${trainSize} is more than the ${dataset.train.count} training ` +
        `images; kNN and the linear probe use all ${dataset.train.count}`,
    );
  }
  const smallest = Math.min(dataset.train.count, dataset.test.count);
  if ((monitorEvery ?? 0) > 0 && monitorSize !== undefined && monitorSize > smallest) {
    log(
      `warning: --monitor-size ${monitorSize} is more than the data holds; the kNN monitor uses ` +
        `${Math.min(monitorSize, dataset.train.count)} train / ` +
        `${Math.min(monitorSize, dataset.test.count)} test images`,
    );
  }
}
