/**
 * Gathers images of an {@link ImageSplit} into a float32 batch tensor.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { ImageSplit } from "../data/dataset.ts";

/**
 * Copies the images `indices` of `split` (NHWC uint8) into a float32 tensor
 * scaled to [0, 1]. `imageShape` is `[H, W, C]` (from `ImageDataset.imageShape`).
 * Returns `[indices.length, H, W, C]` float32.
 */
export function toFloatBatch(
  split: ImageSplit,
  indices: Int32Array,
  imageShape: readonly [number, number, number],
): tf.Tensor4D {
  const [h, w, c] = imageShape;
  const size = h * w * c;
  if (split.images.length !== split.count * size) {
    throw new Error(
      `toFloatBatch: split holds ${split.images.length} bytes, but ${split.count} images of ` +
        `${h}x${w}x${c} need ${split.count * size}; pass the dataset's imageShape`,
    );
  }
  const out = new Float32Array(indices.length * size);
  const scale = 1 / 255;
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i];
    if (!(src >= 0 && src < split.count)) {
      throw new RangeError(
        `toFloatBatch: index ${src} at position ${i} is outside [0, ${split.count}); ` +
          `pass indices of images in this split`,
      );
    }
    const from = split.images.subarray(src * size, (src + 1) * size);
    const base = i * size;
    for (let j = 0; j < size; j++) out[base + j] = from[j] * scale;
  }
  return tf.tensor4d(out, [indices.length, h, w, c], "float32");
}
