/**
 * Random Gaussian blur with a per-image sigma (SimCLR: kernel ~10% of the
 * image side, sigma ~ U[0.1, 2.0]), separable, with reflect padding as in
 * torchvision's `gaussian_blur`.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { checkFlagCount, sampleImageFlags } from "./image_flags.ts";

/** Parameters of the random blur. */
export interface GaussianBlurOptions {
  /** Probability of blurring an image (SimCLR ImageNet 0.5; CIFAR recipes: no blur). */
  prob: number;
  /** Range of sigma in pixels; SimCLR `[0.1, 2.0]`. */
  sigma: [number, number];
  /** Kernel side as a fraction of the image side, rounded down then made odd; SimCLR 0.1. */
  kernelFraction: number;
}

/** Odd kernel size for an image side: `floor(fraction * side)`, made odd, at least 3. */
export function blurKernelSize(side: number, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(
      `gaussian_blur: kernelFraction must be in (0, 1], got ${fraction}; pass e.g. 0.1`,
    );
  }
  const k = Math.floor(fraction * side);
  return Math.max(3, k % 2 === 1 ? k : k + 1);
}

/** Normalised 1-D Gaussian taps of odd length `size` (they sum to 1). Returns `[size]`. */
export function gaussianKernel1d(size: number, sigma: number): Float32Array {
  if (!(Number.isInteger(size) && size % 2 === 1 && size > 0) || !(sigma > 0)) {
    throw new RangeError(
      `gaussian_blur: need an odd positive kernel size and sigma > 0, got size ${size}, ` +
        `sigma ${sigma}; use blurKernelSize() for the size`,
    );
  }
  const half = (size - 1) / 2;
  const taps = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    taps[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma));
    total += taps[i];
  }
  return Float32Array.from(taps, (t) => t / total);
}

/**
 * Draws one sigma per image; 0 means "not blurred" (probability `1 - prob`).
 * Returns `[n]`.
 */
export function sampleBlurSigmas(rng: Rng, n: number, opts: GaussianBlurOptions): Float32Array {
  const [lo, hi] = opts.sigma;
  if (!(lo > 0 && lo <= hi)) {
    throw new RangeError(
      `gaussian_blur: sigma range must satisfy 0 < lo <= hi, got [${lo}, ${hi}]; ` +
        `pass e.g. [0.1, 2.0]`,
    );
  }
  const flags = sampleImageFlags(rng, n, opts.prob, "gaussian_blur");
  const sigmas = new Float32Array(n);
  for (let i = 0; i < n; i++) if (flags[i] === 1) sigmas[i] = rng.uniform(lo, hi);
  return sigmas;
}

/**
 * Blurs image i with a Gaussian of sigma `sigmas[i]` (0 = leave unchanged),
 * separably, with reflect padding. x: `[N,H,W,C]` float32 with H, W larger
 * than the kernel half-width; returns `[N,H,W,C]` float32.
 *
 * The batch is laid out as channels (`[1,H,W,N*C]`) so that one depthwise
 * convolution applies each image's own kernel.
 */
export function applyGaussianBlur(
  x: tf.Tensor4D,
  sigmas: Float32Array,
  kernelSize: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  checkFlagCount(sigmas, n, "gaussian_blur");
  const half = (kernelSize - 1) / 2;
  if (h <= half || w <= half) {
    throw new Error(
      `gaussian_blur: kernel size ${kernelSize} is too large for ${h}x${w} ` +
        `images (reflect padding needs side > ${half}); lower kernelFraction`,
    );
  }
  if (sigmas.every((s) => s === 0)) return x.clone();
  // taps[t * n*c + i*c + ch] = tap t of image i (same for every channel).
  const taps = new Float32Array(kernelSize * n * c);
  sigmas.forEach((s, i) => {
    const k = s === 0 ? null : gaussianKernel1d(kernelSize, s);
    for (let t = 0; t < kernelSize; t++) {
      const v = k === null ? (t === half ? 1 : 0) : k[t];
      taps.fill(v, t * n * c + i * c, t * n * c + (i + 1) * c);
    }
  });
  return tf.tidy(() => {
    const stacked = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, n * c]) as tf.Tensor4D;
    const padded = tf.mirrorPad(stacked, [[0, 0], [half, half], [half, half], [0, 0]], "reflect");
    const vertical = tf.tensor4d(taps, [kernelSize, 1, n * c, 1]);
    const horizontal = tf.tensor4d(taps, [1, kernelSize, n * c, 1]);
    const blurred = tf.depthwiseConv2d(
      tf.depthwiseConv2d(padded, vertical, 1, "valid"),
      horizontal,
      1,
      "valid",
    );
    return tf.transpose(tf.reshape(blurred, [h, w, n, c]), [2, 0, 1, 3]) as tf.Tensor4D;
  });
}

/** Samples and applies the random blur. x: `[N,H,W,C]` float32; returns same shape. */
export function randomGaussianBlur(
  x: tf.Tensor4D,
  rng: Rng,
  opts: GaussianBlurOptions,
): tf.Tensor4D {
  const size = blurKernelSize(Math.min(x.shape[1], x.shape[2]), opts.kernelFraction);
  return applyGaussianBlur(x, sampleBlurSigmas(rng, x.shape[0], opts), size);
}
