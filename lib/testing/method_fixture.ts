/**
 * A tiny training setup for method and trainer tests: 64 synthetic 32x32
 * images, a width-4 CIFAR ResNet, batches of 16 (4 steps per epoch), a helper
 * that trains a method with the real trainer (quietly, counting live tensors
 * after every epoch) and one that makes a random step input. Call
 * `await initBackend({ backend: "wasm", threads: 1 })` (or set a backend) in
 * the test file first.
 *
 * @module
 */
import type { PhaseTimer } from "../train/phase_timer.ts";
import * as tf from "../tfjs.ts";
import { generateSynthetic } from "../data/synthetic.ts";
import { channelStats } from "../data/channel_stats.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { defaultExperiment, type ExperimentConfig } from "../config/experiment.ts";
import type { EncoderConfig } from "../models/encoder.ts";
import { buildMethod } from "../methods/all.ts";
import type { Method, StepInput } from "../methods/method.ts";
import type { MethodContext } from "../methods/registry.ts";
import { Rng } from "../rng.ts";
import { trainMethod, type TrainSummary } from "../train/trainer.ts";

/** 64 train / 16 test synthetic images (seed 3). */
export const tinyData = generateSynthetic({ trainSize: 64, testSize: 16, seed: 3 });

/** The context a method is built with for `data` (10 classes, channel stats of its train split). */
export function methodContext(data: ImageDataset): MethodContext {
  return { imageShape: data.imageShape, stats: channelStats(data.train, 3), numClasses: 10 };
}

/** The context a method is built with for {@link tinyData}. */
export const tinyContext: MethodContext = methodContext(tinyData);

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

/** Options of {@link trainTiny}; each has a default. */
export interface TinyTrainOptions {
  /** Images to train on (default {@link tinyData}). */
  data?: ImageDataset;
  /**
   * Checkpoint directory, left in place for the caller (e.g. to resume or to
   * read the checkpoint). Default: a fresh temporary directory, removed afterwards.
   */
  checkpointDir?: string;
  /** Config hash written to, and checked against, the checkpoint (default `"test"`). */
  configHash?: string;
  /** Passed to the trainer: returns true to stop at the next step boundary. */
  shouldStop?: () => boolean;
  /** Passed to the trainer: collects the wall time per phase. */
  phases?: PhaseTimer;
  /** Passed to the trainer: 2 or more builds each step's second view on a view worker. */
  computeThreads?: number;
}

/** What {@link trainTiny} reports: the trainer's summary and a leak probe. */
export interface TinyRun extends TrainSummary {
  /** tf.memory().numTensors after each epoch (flat after the first if nothing leaks). */
  tensorsAfterEpoch: number[];
}

/**
 * Trains `method` with the real trainer for `cfg.optim.epochs` epochs, without
 * log or progress output. Rejects as the trainer does (e.g. with
 * `TrainingInterruptedError` when `shouldStop` fires).
 */
export async function trainTiny(
  method: Method,
  cfg: ExperimentConfig,
  opts: TinyTrainOptions = {},
): Promise<TinyRun> {
  const data = opts.data ?? tinyData;
  const dir = opts.checkpointDir ?? await Deno.makeTempDir();
  const tensorsAfterEpoch: number[] = [];
  try {
    const summary = await trainMethod({
      method,
      config: cfg,
      configHash: opts.configHash ?? "test",
      train: data.train,
      imageShape: data.imageShape,
      checkpointDir: dir,
      shouldStop: opts.shouldStop,
      phases: opts.phases,
      computeThreads: opts.computeThreads,
      onEpoch: () => {
        tensorsAfterEpoch.push(tf.memory().numTensors);
      },
      log: () => {},
      progress: () => {},
    });
    return { ...summary, tensorsAfterEpoch };
  } finally {
    if (opts.checkpointDir === undefined) await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A step input of `n` random 32x32x3 images (pixels uniform in [0,1) from
 * `Rng(seed)`), step 0 of epoch 0. Labels are zeros, or with `randomLabels`
 * uniform in 0..9 drawn from the same generator after the pixels. The
 * generator, advanced by these draws, is the input's `rng`. The caller
 * disposes `images` and `labels`.
 */
export function randomStepInput(
  seed: number,
  n = 8,
  opts: { randomLabels?: boolean } = {},
): StepInput {
  const rng = new Rng(seed);
  const images = tf.tensor4d(
    Float32Array.from({ length: n * 32 * 32 * 3 }, () => rng.next()),
    [n, 32, 32, 3],
  );
  const labels = opts.randomLabels
    ? Int32Array.from({ length: n }, () => rng.int(10))
    : new Int32Array(n);
  return { images, labels: tf.tensor1d(labels, "int32"), rng, step: 0, epoch: 0 };
}
