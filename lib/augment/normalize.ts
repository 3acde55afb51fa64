/**
 * Per-channel normalisation `(x - mean) / std` of NHWC images.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/** Per-channel statistics of an image distribution (values on the [0,1] scale). */
export interface ChannelStats {
  /** Mean per channel, length C. */
  mean: readonly number[];
  /** Standard deviation per channel, length C, all > 0. */
  std: readonly number[];
}

/** CIFAR-10 training-set statistics (pixel values in [0,1]). */
export const CIFAR10_STATS: ChannelStats = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2470, 0.2435, 0.2616],
};

/**
 * Normalises each channel: `(x[..., c] - mean[c]) / std[c]`.
 * x: `[N,H,W,C]` float32; returns `[N,H,W,C]` float32.
 */
export function normalizeChannels(x: tf.Tensor4D, stats: ChannelStats): tf.Tensor4D {
  const c = x.shape[3];
  checkChannelStats(stats, c);
  return tf.tidy(() => {
    const mean = tf.tensor4d([...stats.mean], [1, 1, 1, c]);
    const invStd = tf.tensor4d(stats.std.map((s) => 1 / s), [1, 1, 1, c]);
    return tf.mul(tf.sub(x, mean), invStd) as tf.Tensor4D;
  });
}

/** Throws unless `stats` has one mean and one positive std for each of `c` channels. */
export function checkChannelStats(stats: ChannelStats, c: number): void {
  if (stats.mean.length !== c || stats.std.length !== c) {
    throw new Error(
      `normalize: images have ${c} channels but mean/std have ${stats.mean.length}/` +
        `${stats.std.length} entries; pass one mean and one std per channel`,
    );
  }
  if (stats.std.some((s) => !(s > 0))) {
    throw new RangeError(
      `normalize: every std must be > 0, got [${stats.std.join(", ")}]; ` +
        `use the dataset's per-channel standard deviation`,
    );
  }
}
