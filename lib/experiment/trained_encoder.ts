/**
 * Reading a trained encoder back from a finished run directory (as written by
 * `runExperiment`: `config.json` + `checkpoint/`), e.g. to draw the attention
 * maps of a trained neck in a notebook.
 *
 * The trainer stores every model variable as `model/<name>`; for methods whose
 * encoder is built without a prefix (SimCLR, S-MAG, KDC-MAE) the names are
 * `backbone.*`, `neck.*`, `head.*`.
 *
 * @module
 */
import { join } from "node:path";
import type * as tf from "../tfjs.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import { ParamStore } from "../nn/params.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { readJsonIfExists } from "../train/run_record.ts";

/** A trained encoder and the store that owns its variables (dispose the store when done). */
export interface TrainedEncoder {
  encoder: Encoder;
  store: ParamStore;
  config: ExperimentConfig;
}

/** Options of {@link loadTrainedEncoder}. */
export interface LoadEncoderOptions {
  /** Prefix of the encoder's variables inside the method (default ""; e.g. "query." for a momentum pair). */
  prefix?: string;
  /** Build the projection head too (default false: backbone + neck, the evaluated representation). */
  withHead?: boolean;
}

/**
 * Rebuilds the encoder of `runDir` from its `config.json` and fills it from
 * the latest checkpoint. Throws naming the file and the fix when the run has
 * no config or checkpoint, or when the checkpoint lacks a variable.
 */
export async function loadTrainedEncoder(
  runDir: string,
  opts: LoadEncoderOptions = {},
): Promise<TrainedEncoder> {
  const configPath = join(runDir, "config.json");
  const config = await readJsonIfExists<ExperimentConfig>(configPath);
  if (!config) {
    throw new Error(
      `${configPath} not found: ${runDir} is not a run directory of runExperiment ` +
        `(train it first, e.g. with runAblation or deno task train --out ${runDir})`,
    );
  }
  const ckptDir = join(runDir, "checkpoint");
  const ckpt = await loadCheckpoint(ckptDir);
  if (!ckpt) {
    throw new Error(
      `${ckptDir} holds no checkpoint: the run in ${runDir} never saved one; rerun it`,
    );
  }
  const prefix = opts.prefix ?? "";
  const store = new ParamStore(config.seed);
  try {
    const encoderConfig = opts.withHead
      ? config.encoder
      : { backbone: config.encoder.backbone, neck: config.encoder.neck };
    const encoder = buildEncoder(store, encoderConfig, prefix);
    const model = new Map<string, tf.Tensor>();
    for (const [key, t] of ckpt.tensors) {
      if (key.startsWith("model/")) model.set(key.slice("model/".length), t);
    }
    try {
      store.assignFrom(model);
    } catch (err) {
      throw new Error(`${ckptDir}: ${(err as Error).message} (prefix "${prefix}")`);
    }
    return { encoder, store, config };
  } catch (err) {
    store.dispose();
    throw err;
  } finally {
    for (const t of ckpt.tensors.values()) t.dispose();
  }
}
