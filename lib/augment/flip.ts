/**
 * Random horizontal flip, drawn independently per image.
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { checkFlagCount, sampleImageFlags } from "./image_flags.ts";
import { applyCrops, fullImageBoxes } from "./random_resized_crop.ts";

/** Draws one flip decision per image: `1` = flip, with probability `p`. Returns `[n]`. */
export function sampleFlips(rng: Rng, n: number, p: number): Uint8Array {
  return sampleImageFlags(rng, n, p, "flip");
}

/**
 * Mirrors left-right the images whose flag is 1; the others pass unchanged.
 * x: `[N,H,W,C]` float32, flags: `[N]`; returns a new `[N,H,W,C]` float32 tensor.
 * (A full-image crop with swapped columns: an exact copy, faster on wasm than
 * `reverse` + `where`.)
 */
export function applyFlips(x: tf.Tensor4D, flags: Uint8Array): tf.Tensor4D {
  const [n, h, w] = x.shape;
  checkFlagCount(flags, n, "flip");
  if (flags.every((f) => f === 0)) return x.clone();
  return applyCrops(x, fullImageBoxes(n, h, w), [h, w], flags);
}

/** Flips each image left-right with probability `p`. x: `[N,H,W,C]`; returns same shape. */
export function randomHorizontalFlip(x: tf.Tensor4D, rng: Rng, p = 0.5): tf.Tensor4D {
  return applyFlips(x, sampleFlips(rng, x.shape[0], p));
}
