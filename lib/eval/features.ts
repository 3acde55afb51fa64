/**
 * Feature extraction with a frozen encoder, batch by batch, into a plain
 * {@link FeatureMatrix} (no tensors outlive a batch).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { ImageSplit } from "../data/dataset.ts";
import { toFloatBatch } from "../augment/float_batch.ts";
import { type ChannelStats, normalizeChannels } from "../augment/normalize.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";

/** Options of {@link extractFeatures}. */
export interface ExtractFeaturesOptions {
  /** Images per forward pass. */
  batchSize: number;
  /** `[H, W, C]` of the split's images (`ImageDataset.imageShape`). */
  imageShape: readonly [number, number, number];
  /** Per-channel normalisation applied to the [0,1] images before `encode`; null for none. */
  normalize: ChannelStats | null;
  /** Rows to extract, in this order (default: every image of the split). */
  indices?: Int32Array;
}

/**
 * Runs `encode` over the images of `split` and collects its outputs.
 * encode: `[B,H,W,C]` float32 -> `[B,D]` float32 (called inside `tf.tidy`, so
 * it must be synchronous). Returns `count x D` features, rows in `indices` order.
 */
export async function extractFeatures(
  encode: (x: tf.Tensor4D) => tf.Tensor2D,
  split: ImageSplit,
  opts: ExtractFeaturesOptions,
): Promise<FeatureMatrix> {
  const indices = opts.indices ?? Int32Array.from({ length: split.count }, (_, i) => i);
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) {
    throw new RangeError(
      `extractFeatures: batchSize must be a positive integer, got ${opts.batchSize}; pass e.g. 256`,
    );
  }
  if (indices.length === 0) {
    throw new Error("extractFeatures: no images to encode; pass a non-empty split or indices");
  }
  let out: Float32Array | null = null;
  let dim = 0;
  for (let start = 0; start < indices.length; start += opts.batchSize) {
    const batchIdx = indices.subarray(start, Math.min(start + opts.batchSize, indices.length));
    const feats = tf.tidy(() => {
      const x = toFloatBatch(split, batchIdx, opts.imageShape);
      const input = opts.normalize ? normalizeChannels(x, opts.normalize) : x;
      return encode(input);
    });
    try {
      if (feats.rank !== 2 || feats.shape[0] !== batchIdx.length) {
        throw new Error(
          `extractFeatures: encode returned shape [${feats.shape}] for a batch of ` +
            `${batchIdx.length} images; it must return [batch, dim]`,
        );
      }
      if (out === null) {
        dim = feats.shape[1];
        out = new Float32Array(indices.length * dim);
      } else if (feats.shape[1] !== dim) {
        throw new Error(
          `extractFeatures: encode returned dim ${feats.shape[1]} after ${dim}; ` +
            `the encoder must return a fixed feature size`,
        );
      }
      out.set((await feats.data()) as Float32Array, start * dim);
    } finally {
      feats.dispose();
    }
  }
  return { data: out as Float32Array, count: indices.length, dim };
}
