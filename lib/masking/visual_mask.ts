/**
 * The visual mask structure of S-MAG (F2): `I_masked = I * M + (1 - M) * N`,
 * with the fills used by S-MAG (noise, zero, constant), by saliency-guided
 * masking (strong blur, per-image mean) and by MSCN (high-pass filtered input
 * with Gaussian noise in the masked cells).
 *
 * Shapes: images x `[N,H,W,C]` float32; masks M `[N,H,W,1]` (or `[N,H,W,C]`)
 * float32 with **1 = kept (visible), 0 = masked**. Soft masks in [0,1] (learned
 * masks, F3/F4) blend the two terms; the formula is applied as written.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { gaussianKernel1d } from "../augment/gaussian_blur.ts";

/**
 * What replaces the masked pixels (N in F2).
 *
 * - `noise`: i.i.d. Gaussian `N(0, std^2)` per pixel and channel (needs an `Rng`).
 * - `zero`: 0.
 * - `mean`: the per-image, per-channel mean of x.
 * - `blur`: a strongly blurred copy of x (saliency poster: kernel 31, sigma 10).
 * - `constant`: a fixed value.
 * - `highpass-noise`: MSCN / saliency poster: the *kept* pixels become
 *   `highPass(x, kernel, sigma)` and the masked ones Gaussian noise of `std`
 *   (defaults kernel 11, sigma 5, std 0.18; needs an `Rng`).
 */
export type MaskFill =
  | { kind: "noise"; std: number }
  | { kind: "zero" }
  | { kind: "mean" }
  | { kind: "blur"; kernel?: number; sigma?: number }
  | { kind: "constant"; value: number }
  | { kind: "highpass-noise"; kernel?: number; sigma?: number; std?: number };

/** Defaults of the `blur` fill (saliency poster, "strong blurring"). */
export const STRONG_BLUR = { kernel: 31, sigma: 10 } as const;
/** Defaults of the `highpass-noise` fill and of {@link highPass} (MSCN / saliency poster). */
export const HIGH_PASS = { kernel: 11, sigma: 5, std: 0.18 } as const;

/** A Gaussian filter: odd kernel side and sigma, both in pixels. */
export interface GaussianFilter {
  kernel: number;
  sigma: number;
}

/**
 * A Gaussian filter given for `fromSide`-pixel images (e.g. the saliency
 * poster's 224) rescaled to `toSide`-pixel images, as token sizes are: sigma
 * times `toSide / fromSide`, the kernel side likewise rounded to the nearest
 * odd integer, at least 3 (so the kernel keeps the same extent in sigmas as
 * the paper's). 31 / 10 and 11 / 5 at 224 become 5 / 1.43 and 3 / 0.71 at 32.
 */
export function scaleGaussianFilter(
  filter: GaussianFilter,
  fromSide: number,
  toSide: number,
): GaussianFilter {
  if (!(fromSide > 0) || !(toSide > 0)) {
    throw new RangeError(
      `scaleGaussianFilter: image sides must be > 0, got ${fromSide} and ${toSide}`,
    );
  }
  const f = toSide / fromSide;
  const kernel = Math.max(3, 2 * Math.round((filter.kernel * f - 1) / 2) + 1);
  return { kernel, sigma: filter.sigma * f };
}

/**
 * The Gaussian kernel side actually used on an `h x w` image: the largest odd
 * number `<= min(kernel, h, w)`. A 31-tap blur fits 32x32 CIFAR images as is;
 * on smaller images the kernel shrinks (sigma is kept), so that the reflect
 * padding (half-width < side) is always valid. `kernel` must be a positive odd integer.
 */
export function clampBlurKernel(kernel: number, h: number, w: number): number {
  if (!Number.isInteger(kernel) || kernel < 1 || kernel % 2 === 0) {
    throw new RangeError(
      `visual_mask: blur kernel must be a positive odd integer, got ${kernel}; pass e.g. 31 or 11`,
    );
  }
  const side = Math.min(kernel, h, w);
  return side % 2 === 1 ? side : side - 1;
}

/**
 * Gaussian blur of every image and channel with one kernel (reflect padding,
 * separable). x: `[N,H,W,C]` float32 -> `[N,H,W,C]`. The kernel is clamped by
 * {@link clampBlurKernel}.
 */
export function gaussianBlurAll(x: tf.Tensor4D, kernel: number, sigma: number): tf.Tensor4D {
  if (!(sigma > 0)) {
    throw new RangeError(`visual_mask: blur sigma must be > 0, got ${sigma}; pass e.g. 10`);
  }
  const [, h, w, c] = x.shape;
  const k = clampBlurKernel(kernel, h, w);
  const half = (k - 1) / 2;
  // One kernel for every image: the channels of x are the depthwise channels (no
  // batch-as-channels transposes as in applyGaussianBlur; the same sums, bit for bit).
  // sigma through float32, as applyGaussianBlur's per-image sigmas (a Float32Array) pass it.
  const taps1d = gaussianKernel1d(k, Math.fround(sigma));
  const taps = new Float32Array(k * c);
  for (let t = 0; t < k; t++) taps.fill(taps1d[t], t * c, (t + 1) * c);
  return tf.tidy(() => {
    const padded = tf.mirrorPad(x, [[0, 0], [half, half], [half, half], [0, 0]], "reflect");
    const vertical = tf.tensor4d(taps, [k, 1, c, 1]);
    const horizontal = tf.tensor4d(taps, [1, k, c, 1]);
    return tf.depthwiseConv2d(
      tf.depthwiseConv2d(padded, vertical, 1, "valid"),
      horizontal,
      1,
      "valid",
    ) as tf.Tensor4D;
  });
}

/**
 * High-pass filter `x - GaussianBlur(x, kernel, sigma)` (MSCN; the saliency
 * poster applies it to both views and at linear evaluation). x: `[N,H,W,C]`
 * float32 -> `[N,H,W,C]`. Defaults: kernel 11, sigma 5 (clamped by {@link clampBlurKernel}).
 */
export function highPass(
  x: tf.Tensor4D,
  kernel: number = HIGH_PASS.kernel,
  sigma: number = HIGH_PASS.sigma,
): tf.Tensor4D {
  return tf.tidy(() => tf.sub(x, gaussianBlurAll(x, kernel, sigma)));
}

function needRng(rng: Rng | undefined, kind: string): Rng {
  if (rng === undefined) {
    throw new Error(
      `visual_mask: the "${kind}" fill draws Gaussian noise and needs an Rng; ` +
        `pass one as the 4th argument of applyVisualMask / 3rd of maskFillImage`,
    );
  }
  return rng;
}

function gaussianNoise(
  shape: [number, number, number, number],
  std: number,
  rng: Rng,
): tf.Tensor4D {
  if (!(std >= 0)) {
    throw new RangeError(`visual_mask: noise std must be >= 0, got ${std}; pass e.g. 1 or 0.18`);
  }
  return tf.randomNormal(shape, 0, std, "float32", rng.seedForOp()) as tf.Tensor4D;
}

/**
 * The fill image N of F2 for `x` (for `highpass-noise`, the noise part).
 * x: `[N,H,W,C]` float32 -> `[N,H,W,C]` float32. `rng` is required for the
 * noise fills and unused otherwise.
 */
export function maskFillImage(x: tf.Tensor4D, fill: MaskFill, rng?: Rng): tf.Tensor4D {
  return tf.tidy(() => {
    switch (fill.kind) {
      case "noise":
        return gaussianNoise(x.shape, fill.std, needRng(rng, fill.kind));
      case "zero":
        return tf.zerosLike(x);
      case "constant":
        return tf.fill(x.shape, fill.value, "float32") as tf.Tensor4D;
      case "mean":
        return tf.broadcastTo(tf.mean(x, [1, 2], true), x.shape) as tf.Tensor4D;
      case "blur":
        return gaussianBlurAll(
          x,
          fill.kernel ?? STRONG_BLUR.kernel,
          fill.sigma ?? STRONG_BLUR.sigma,
        );
      case "highpass-noise":
        return gaussianNoise(x.shape, fill.std ?? HIGH_PASS.std, needRng(rng, fill.kind));
      default: {
        const unknown: never = fill;
        throw new Error(
          `visual_mask: unknown fill ${JSON.stringify(unknown)}; use one of noise, zero, ` +
            `mean, blur, constant, highpass-noise`,
        );
      }
    }
  });
}

/** Throws unless `mask` is `[N,H,W,1]` or `[N,H,W,C]` matching x `[N,H,W,C]`. */
export function checkPixelMask(x: tf.Tensor, mask: tf.Tensor, who = "visual_mask"): void {
  const [n, h, w, c] = x.shape;
  const ok = x.rank === 4 && mask.rank === 4 && mask.shape[0] === n &&
    mask.shape[1] === h && mask.shape[2] === w && (mask.shape[3] === 1 || mask.shape[3] === c);
  if (!ok) {
    throw new Error(
      `${who}: mask shape [${mask.shape}] does not fit images [${x.shape}]; expected ` +
        `[${n},${h},${w},1] (1 = kept); convert token masks with tokenMaskToPixels`,
    );
  }
}

/**
 * Applies F2: `x * M + (1 - M) * N` with N given by `fill`; for
 * `highpass-noise` x is first replaced by `highPass(x)`.
 *
 * @param x images `[N,H,W,C]` float32.
 * @param mask `[N,H,W,1]` (or `[N,H,W,C]`) float32, 1 = kept, 0 = masked.
 * @param fill what the masked pixels become.
 * @param rng required for the `noise` and `highpass-noise` fills.
 * @returns `[N,H,W,C]` float32 (a new tensor; inputs are not disposed).
 */
export function applyVisualMask(
  x: tf.Tensor4D,
  mask: tf.Tensor4D,
  fill: MaskFill,
  rng?: Rng,
): tf.Tensor4D {
  checkPixelMask(x, mask, "applyVisualMask");
  return tf.tidy(() => {
    const base = fill.kind === "highpass-noise"
      ? highPass(x, fill.kernel ?? HIGH_PASS.kernel, fill.sigma ?? HIGH_PASS.sigma)
      : x;
    const m = tf.cast(mask, "float32");
    const filler = maskFillImage(x, fill, rng);
    return tf.add(tf.mul(base, m), tf.mul(tf.sub(1, m), filler)) as tf.Tensor4D;
  });
}
