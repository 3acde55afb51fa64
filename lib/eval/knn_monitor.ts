/**
 * The kNN monitor of the MoCo CIFAR demo: during training, every few epochs,
 * weighted kNN top-1 of the current encoder on fixed, class-balanced subsets
 * of the train and test splits. It gives accuracy against training progress
 * (S-MAG Fig. 3) at a small cost.
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { stratifiedSubsampleIndices, subsetSplit } from "../data/splits.ts";
import type { ChannelStats } from "../augment/normalize.ts";
import { extractFeatures } from "./features.ts";
import { knnClassify } from "./knn.ts";

/** Options of {@link makeKnnMonitor}. */
export interface KnnMonitorOptions {
  dataset: ImageDataset;
  /** Images taken from each split (class-balanced, fixed by `seed`). */
  size: number;
  k: number;
  temperature: number;
  stats: ChannelStats;
  seed: number;
}

/** Returns a function measuring kNN top-1 / top-5 (fractions) of an encoder on the fixed subsets. */
export function makeKnnMonitor(
  opts: KnnMonitorOptions,
): (encode: (x: tf.Tensor4D) => tf.Tensor2D) => Promise<{ top1: number; top5: number }> {
  const { dataset } = opts;
  const numClasses = dataset.classes.length;
  const pick = (split: ImageDataset["train"]) =>
    opts.size >= split.count ? split : subsetSplit(
      split,
      stratifiedSubsampleIndices(split.labels, numClasses, opts.size, opts.seed),
    );
  const train = pick(dataset.train);
  const test = pick(dataset.test);
  const feat = { batchSize: 256, imageShape: dataset.imageShape, normalize: opts.stats };
  return async (encode) => {
    const a = await extractFeatures(encode, train, feat);
    const b = await extractFeatures(encode, test, feat);
    const r = await knnClassify(a, train.labels, b, test.labels, {
      k: Math.min(opts.k, train.count),
      temperature: opts.temperature,
      numClasses,
    });
    return { top1: r.top1, top5: r.top5 };
  };
}
