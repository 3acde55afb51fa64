/**
 * Test-set accuracy of an image classifier given as a function from a
 * normalised batch to logits, evaluated in batches without leaking tensors.
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import type { ImageSplit } from "../data/dataset.ts";
import type { ChannelStats } from "../augment/normalize.ts";
import { extractFeatures } from "./features.ts";
import { topKAccuracies } from "./topk.ts";

/** Top-1 and top-5 accuracy (fractions in [0,1]) of `logitsOf` on `split`. */
export async function classifyTopK(
  logitsOf: (x: tf.Tensor4D) => tf.Tensor2D,
  split: ImageSplit,
  imageShape: [number, number, number],
  stats: ChannelStats,
  batchSize = 256,
): Promise<{ top1: number; top5: number }> {
  const logits = await extractFeatures(logitsOf, split, {
    batchSize,
    imageShape,
    normalize: stats,
  });
  const [top1, top5] = topKAccuracies(logits.data, logits.dim, split.labels, [
    1,
    Math.min(5, logits.dim),
  ]);
  return { top1, top5 };
}
