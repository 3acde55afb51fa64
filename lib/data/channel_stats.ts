/**
 * Per-channel mean and standard deviation of a split, in [0,1] units, for
 * input normalisation (computed from the training split only).
 *
 * @module
 */
import type { ImageSplit } from "./dataset.ts";

/** Mean and std per channel of `split` (NHWC uint8), scaled to [0,1]. */
export function channelStats(
  split: ImageSplit,
  channels: number,
): { mean: number[]; std: number[] } {
  if (split.count === 0) {
    throw new Error("channelStats: the split is empty; load a dataset with images");
  }
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  const px = split.images;
  for (let i = 0; i < px.length; i++) {
    const v = px[i];
    const c = i % channels;
    sum[c] += v;
    sumSq[c] += v * v;
  }
  const n = px.length / channels;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / n;
    mean.push(m / 255);
    std.push(Math.sqrt(Math.max(sumSq[c] / n - m * m, 1e-12)) / 255);
  }
  return { mean, std };
}
