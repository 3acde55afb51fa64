/**
 * A tiny training setup for method tests: 64 synthetic 32x32 images, a
 * width-4 CIFAR ResNet, batches of 16 (4 steps per epoch) and a helper that
 * trains a registered method with the real trainer and returns its epoch
 * losses and metrics. Call `await initBackend({ backend: "wasm", threads: 1 })`
 * (or set a backend) in the test file first.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { generateSynthetic } from "../data/synthetic.ts";
import { channelStats } from "../data/channel_stats.ts";
import { defaultExperiment, type ExperimentConfig } from "../config/experiment.ts";
import type { EncoderConfig } from "../models/encoder.ts";
import { buildMethod } from "../methods/all.ts";
import type { Method } from "../methods/method.ts";
import type { MethodContext } from "../methods/registry.ts";
import { type EpochRecord, trainMethod } from "../train/trainer.ts";

/** 64 train / 16 test synthetic images (seed 3). */
export const tinyData = generateSynthetic({ trainSize: 64, testSize: 16, seed: 3 });

/** The context a method is built with for {@link tinyData}. */
export const tinyContext: MethodContext = {
  imageShape: tinyData.imageShape,
  stats: channelStats(tinyData.train, 3),
  numClasses: 10,
};

/**
 * A config for `method` with `options`, a `[1,1]` width-4 ResNet (16x16
 * feature map of 8 channels), a gap neck and a 16->8 projection head unless
 * `encoder` overrides parts; batch 16, lr 3e-3, no warm-up.
 */
export function tinyConfig(
  method: string,
  options: Record<string, unknown>,
  epochs: number,
  encoder: Partial<EncoderConfig> = {},
): ExperimentConfig {
  const cfg = defaultExperiment();
  cfg.method = method;
  cfg.methodOptions = options;
  cfg.encoder = {
    backbone: { type: "resnet", blocks: [1, 1], width: 4 },
    neck: { type: "gap" },
    head: { type: "projection", hidden: 16, out: 8 },
    ...encoder,
  };
  cfg.optim = { ...cfg.optim, batchSize: 16, epochs, warmupEpochs: 0, lr: 3e-3 };
  cfg.seed = 11;
  return cfg;
}

/** Builds the method of `cfg` for {@link tinyData}. */
export function buildTiny(cfg: ExperimentConfig): Method {
  return buildMethod(cfg, tinyContext);
}

/** What {@link trainTiny} reports. */
export interface TinyRun {
  history: EpochRecord[];
  /** tf.memory().numTensors after each epoch (flat after the first if nothing leaks). */
  tensorsAfterEpoch: number[];
}

/** Trains `method` on {@link tinyData} for `cfg.optim.epochs` epochs (temporary checkpoint dir). */
export async function trainTiny(method: Method, cfg: ExperimentConfig): Promise<TinyRun> {
  const dir = await Deno.makeTempDir();
  const tensorsAfterEpoch: number[] = [];
  try {
    const summary = await trainMethod({
      method,
      config: cfg,
      configHash: "test",
      train: tinyData.train,
      imageShape: tinyData.imageShape,
      checkpointDir: dir,
      onEpoch: () => {
        tensorsAfterEpoch.push(tf.memory().numTensors);
      },
      log: () => {},
      progress: () => {},
    });
    return { history: summary.history, tensorsAfterEpoch };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
