/**
 * Random grayscale conversion (ITU-R BT.601 luma), keeping three channels.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { applyColorMatrices, setIdentity } from "./color_matrix.ts";
import { checkFlagCount, sampleImageFlags } from "./image_flags.ts";

/** BT.601 luma weights for R, G, B; they sum to 1 so a gray image keeps its luma. */
export const LUMA_WEIGHTS: readonly [number, number, number] = [0.299, 0.587, 0.114];

/** Throws unless x has three (RGB) channels. */
export function checkRgb(x: tf.Tensor4D, who: string): void {
  if (x.shape[3] !== 3) {
    throw new Error(
      `${who}: expects RGB images [N,H,W,3], got ${x.shape[3]} channels; ` +
        `convert the input to 3 channels or leave this transform out of the recipe`,
    );
  }
}

/** Luma of RGB images. x: `[N,H,W,3]` float32; returns `[N,H,W,1]` float32. */
export function luma(x: tf.Tensor4D): tf.Tensor4D {
  checkRgb(x, "grayscale");
  const [n, h, w] = x.shape;
  return tf.tidy(() => {
    const y = tf.matMul(tf.reshape(x, [n * h * w, 3]), tf.tensor2d([...LUMA_WEIGHTS], [3, 1]));
    return tf.reshape(y, [n, h, w, 1]) as tf.Tensor4D;
  });
}

/** Draws one grayscale decision per image, 1 with probability `p`. Returns `[n]`. */
export function sampleGrayscaleFlags(rng: Rng, n: number, p: number): Uint8Array {
  return sampleImageFlags(rng, n, p, "grayscale");
}

/**
 * Replaces the images whose flag is 1 by their luma, repeated over the three
 * channels; the others pass unchanged. x: `[N,H,W,3]` float32, flags: `[N]`;
 * returns a new `[N,H,W,3]` float32 tensor.
 */
export function applyGrayscale(x: tf.Tensor4D, flags: Uint8Array): tf.Tensor4D {
  const n = x.shape[0];
  checkFlagCount(flags, n, "grayscale");
  checkRgb(x, "grayscale");
  if (flags.every((f) => f === 0)) return x.clone();
  const m = new Float32Array(n * 9);
  for (let i = 0; i < n; i++) {
    if (flags[i] === 0) {
      setIdentity(m, i, 3);
      continue;
    }
    // Every output channel is the luma: column j = LUMA_WEIGHTS.
    for (let r = 0; r < 3; r++) m.fill(LUMA_WEIGHTS[r], i * 9 + r * 3, i * 9 + r * 3 + 3);
  }
  return applyColorMatrices(x, m);
}

/** Converts each image to grayscale with probability `p`. x: `[N,H,W,3]`; returns same shape. */
export function randomGrayscale(x: tf.Tensor4D, rng: Rng, p = 0.2): tf.Tensor4D {
  return applyGrayscale(x, sampleGrayscaleFlags(rng, x.shape[0], p));
}
