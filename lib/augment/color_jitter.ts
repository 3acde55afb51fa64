/**
 * Colour jitter with torchvision `ColorJitter` semantics, batched with
 * per-image random factors:
 *
 * - brightness: `x * b`, b ~ U[max(0, 1-s_b), 1+s_b]
 * - contrast: blend towards the image's mean luma, `c*x + (1-c)*mean(luma(x))`
 * - saturation: blend towards the luma image, `s*x + (1-s)*luma(x)`
 * - hue: rotate the HSV hue by h ~ U[-s_h, s_h] (in turns, s_h <= 0.5)
 *
 * each clamped to [0, 1]. The four adjustments run in a per-image random
 * order (as torchvision's `randperm(4)`) or in the fixed order above. The
 * whole jitter is applied to each image with probability `prob` (SimCLR: 0.8);
 * the other images pass through unchanged.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { applyColorMatrices, setIdentity } from "./color_matrix.ts";
import { checkRgb, LUMA_WEIGHTS } from "./grayscale.ts";
import { checkFlagCount, gatherImages, perImageScalars, sampleImageFlags } from "./image_flags.ts";

/** Strengths of the colour jitter (SimCLR CIFAR: 0.4, 0.4, 0.4, 0.1 with prob 0.8). */
export interface ColorJitterOptions {
  /** Brightness strength s_b >= 0. */
  brightness: number;
  /** Contrast strength s_c >= 0. */
  contrast: number;
  /** Saturation strength s_s >= 0. */
  saturation: number;
  /** Hue strength s_h in [0, 0.5] (fraction of a full turn). */
  hue: number;
  /** Probability of jittering an image at all. */
  prob: number;
  /** Apply the four adjustments in a random order per image (torchvision) or fixed b,c,s,h. */
  randomOrder: boolean;
}

/** Index of each adjustment in {@link ColorJitterParams.order}. */
export const JITTER_OPS = ["brightness", "contrast", "saturation", "hue"] as const;

/** Per-image jitter parameters for a batch of n images. */
export interface ColorJitterParams {
  /** `[n]` factor of brightness (1 = unchanged). */
  brightness: Float32Array;
  /** `[n]` factor of contrast (1 = unchanged). */
  contrast: Float32Array;
  /** `[n]` factor of saturation (1 = unchanged). */
  saturation: Float32Array;
  /** `[n]` hue shift in turns (0 = unchanged). */
  hue: Float32Array;
  /** `[n*4]`: for image i, `order[4i+k]` is the index into {@link JITTER_OPS} applied at step k. */
  order: Uint8Array;
}

function strengthRange(name: string, s: number, centre: number, max: number): [number, number] {
  if (!(s >= 0 && s <= max)) {
    throw new RangeError(
      `color_jitter: ${name} strength must be in [0, ${max}], got ${s}; ` +
        `pass e.g. 0.4 (or 0.1 for hue), 0 to disable`,
    );
  }
  return centre === 1 ? [Math.max(0, 1 - s), 1 + s] : [-s, s];
}

/**
 * Draws per-image jitter parameters. Images not selected (probability
 * `1 - prob`) get the identity parameters (factors 1, hue shift 0).
 */
export function sampleColorJitter(
  rng: Rng,
  n: number,
  opts: ColorJitterOptions,
): ColorJitterParams {
  const bR = strengthRange("brightness", opts.brightness, 1, Infinity);
  const cR = strengthRange("contrast", opts.contrast, 1, Infinity);
  const sR = strengthRange("saturation", opts.saturation, 1, Infinity);
  const hR = strengthRange("hue", opts.hue, 0, 0.5);
  const apply = sampleImageFlags(rng, n, opts.prob, "color_jitter");
  const p: ColorJitterParams = {
    brightness: new Float32Array(n).fill(1),
    contrast: new Float32Array(n).fill(1),
    saturation: new Float32Array(n).fill(1),
    hue: new Float32Array(n),
    order: new Uint8Array(n * 4),
  };
  for (let i = 0; i < n; i++) {
    const order = [0, 1, 2, 3];
    if (opts.randomOrder) rng.shuffle(order);
    p.order.set(order, 4 * i);
    if (apply[i] === 0) continue;
    p.brightness[i] = rng.uniform(bR[0], bR[1]);
    p.contrast[i] = rng.uniform(cR[0], cR[1]);
    p.saturation[i] = rng.uniform(sR[0], sR[1]);
    p.hue[i] = rng.uniform(hR[0], hR[1]);
  }
  return p;
}

/** Columns give g-b, b-r, r-g: the hue numerators for max channel r, g, b. */
const HUE_DIFFERENCES = [0, -1, 1, 1, 0, -1, -1, 1, 0];

/**
 * Rotates the HSV hue of every pixel of image i by `shifts[i]` turns, keeping
 * value (max channel) and saturation. x: `[N,H,W,3]` float32 in [0,1];
 * returns `[N,H,W,3]` float32.
 */
export function adjustHue(x: tf.Tensor4D, shifts: Float32Array): tf.Tensor4D {
  checkRgb(x, "color_jitter");
  checkFlagCount(shifts, x.shape[0], "color_jitter (hue)");
  const [n, h, w] = x.shape;
  return tf.tidy(() => {
    const maxc = tf.max(x, 3, true);
    const delta = tf.sub(maxc, tf.min(x, 3, true));
    // Hue in sextants [0, 6): (g-b)/delta, 2 + (b-r)/delta or 4 + (r-g)/delta for
    // max channel r, g or b; argMax takes the first maximum, i.e. torchvision's
    // r > g > b priority on ties. Gray pixels (delta = 0) come out unchanged.
    const diffs = tf.reshape(
      tf.matMul(tf.reshape(x, [n * h * w, 3]), tf.tensor2d(HUE_DIFFERENCES, [3, 3])),
      [n, h, w, 3],
    );
    const candidates = tf.add(
      tf.div(diffs, tf.maximum(delta, 1e-12)),
      tf.tensor4d([0, 2, 4], [1, 1, 1, 3]),
    );
    const pick = tf.oneHot(tf.argMax(x, 3), 3);
    const hue = tf.sum(tf.mul(pick, candidates), 3, true);
    // Closed-form HSV -> RGB: channel = v - v*s*clamp(min(k, 4-k), 0, 1) with
    // k = (offset + H) mod 6, offset 5, 3, 1 for R, G, B, and v*s = delta.
    const a = tf.add(
      tf.add(hue, tf.mul(perImageScalars(shifts), 6)),
      tf.tensor4d([5, 3, 1], [1, 1, 1, 3]),
    );
    const k = tf.sub(a, tf.mul(tf.floor(tf.div(a, 6)), 6));
    const ramp = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
    return tf.sub(maxc, tf.mul(delta, ramp)) as tf.Tensor4D;
  });
}

/**
 * One brightness / contrast / saturation step: per-image colour matrices and
 * contrast offsets `(1-c) * mean(luma)`, then clamping to [0,1].
 */
function affineStep(x: tf.Tensor4D, matrices: Float32Array, contrastWeight: Float32Array | null) {
  const n = x.shape[0];
  return tf.tidy(() => {
    let offsets: tf.Tensor | undefined;
    if (contrastWeight) {
      const meanRgb = tf.reshape(tf.mean(x, [1, 2]), [n, 3]);
      const meanLuma = tf.matMul(meanRgb, tf.tensor2d([...LUMA_WEIGHTS], [3, 1]));
      offsets = tf.reshape(tf.mul(meanLuma, tf.tensor2d(contrastWeight, [n, 1])), [n, 1, 1]);
    }
    return tf.clipByValue(applyColorMatrices(x, matrices, offsets), 0, 1) as tf.Tensor4D;
  });
}

/** Applies the hue rotation to the images listed in `idx` only; the rest are copied exactly. */
function hueStep(x: tf.Tensor4D, idx: number[], shifts: Float32Array): tf.Tensor4D {
  const n = x.shape[0];
  return tf.tidy(() => {
    if (2 * idx.length >= n) {
      // Most images: rotate all (zero shift elsewhere), then keep the originals where unselected.
      const selected = new Float32Array(n);
      const s = new Float32Array(n);
      for (const i of idx) {
        selected[i] = 1;
        s[i] = shifts[i];
      }
      const m = perImageScalars(selected);
      return tf.add(tf.mul(m, adjustHue(x, s)), tf.mul(tf.sub(1, m), x)) as tf.Tensor4D;
    }
    const rotated = adjustHue(gatherImages(x, idx), Float32Array.from(idx, (i) => shifts[i]));
    const source = new Int32Array(n);
    for (let i = 0; i < n; i++) source[i] = i;
    idx.forEach((i, j) => (source[i] = n + j));
    return gatherImages(tf.concat([x, rotated], 0), source);
  });
}

/**
 * Applies per-image jitter parameters. Identity parameters leave an image
 * bit-for-bit unchanged. x: `[N,H,W,3]` float32 in [0,1] (values outside are
 * clamped by the first adjustment); returns a new `[N,H,W,3]` tensor in [0,1].
 */
export function applyColorJitter(x: tf.Tensor4D, p: ColorJitterParams): tf.Tensor4D {
  const n = x.shape[0];
  if (x.shape[3] === 1) return applyGrayJitter(x, p);
  checkRgb(x, "color_jitter");
  checkFlagCount(p.brightness, n, "color_jitter");
  const [wr, wg, wb] = LUMA_WEIGHTS;
  let cur = x.clone();
  for (let step = 0; step < 4; step++) {
    const matrices = new Float32Array(n * 9);
    const contrastWeight = new Float32Array(n);
    let anyAffine = false;
    let anyContrast = false;
    const hueIdx: number[] = [];
    for (let i = 0; i < n; i++) {
      const op = p.order[4 * i + step];
      const b = i * 9;
      if (op === 0 || op === 1) {
        const f = op === 0 ? p.brightness[i] : p.contrast[i];
        matrices[b] = matrices[b + 4] = matrices[b + 8] = f;
        anyAffine ||= f !== 1;
        if (op === 1) {
          contrastWeight[i] = 1 - f;
          anyContrast ||= f !== 1;
        }
      } else if (op === 2) {
        // Output channel j = s * x_j + (1 - s) * luma: row r adds (1-s) * w_r to every column.
        const s = p.saturation[i];
        const rows = [wr, wg, wb];
        for (let r = 0; r < 3; r++) {
          for (let c = 0; c < 3; c++) {
            matrices[b + 3 * r + c] = (r === c ? s : 0) + (1 - s) * rows[r];
          }
        }
        anyAffine ||= s !== 1;
      } else {
        setIdentity(matrices, i, 3);
        if (p.hue[i] !== 0) hueIdx.push(i);
      }
    }
    if (anyAffine) {
      const next = affineStep(cur, matrices, anyContrast ? contrastWeight : null);
      cur.dispose();
      cur = next;
    }
    if (hueIdx.length > 0) {
      const next = hueStep(cur, hueIdx, p.hue);
      cur.dispose();
      cur = next;
    }
  }
  return cur;
}

/**
 * Throws unless `p` holds parameters for `n` images that 1-channel images can take: saturation
 * and hue at identity (they need colour).
 */
export function checkGrayJitter(p: ColorJitterParams, n: number): void {
  checkFlagCount(p.brightness, n, "color_jitter");
  for (let i = 0; i < n; i++) {
    if (p.saturation[i] !== 1 || p.hue[i] !== 0) {
      throw new Error(
        "color_jitter: saturation and hue need RGB images, got 1 channel; set their strengths " +
          "to 0 for 1-channel images (simclrCifarRecipe does this from 1-channel stats)",
      );
    }
  }
}

/**
 * Brightness and contrast on 1-channel images, with the RGB semantics (a
 * gray image is its own luma). Saturation and hue need colour: their factors
 * must be identity (strength 0).
 */
function applyGrayJitter(x: tf.Tensor4D, p: ColorJitterParams): tf.Tensor4D {
  const n = x.shape[0];
  checkGrayJitter(p, n);
  let cur = x.clone();
  for (let step = 0; step < 4; step++) {
    const factors = new Float32Array(n).fill(1);
    const contrastWeight = new Float32Array(n);
    let any = false;
    let anyContrast = false;
    for (let i = 0; i < n; i++) {
      const op = p.order[4 * i + step];
      if (op !== 0 && op !== 1) continue;
      const f = op === 0 ? p.brightness[i] : p.contrast[i];
      factors[i] = f;
      any ||= f !== 1;
      if (op === 1) {
        contrastWeight[i] = 1 - f;
        anyContrast ||= f !== 1;
      }
    }
    if (!any) continue;
    const prev = cur;
    cur = tf.tidy(() => {
      let y = tf.mul(prev, perImageScalars(factors));
      if (anyContrast) {
        const mean = tf.mean(prev, [1, 2, 3], true);
        y = tf.add(y, tf.mul(mean, perImageScalars(contrastWeight)));
      }
      return tf.clipByValue(y, 0, 1) as tf.Tensor4D;
    });
    prev.dispose();
  }
  return cur;
}

/**
 * Samples and applies colour jitter. x: `[N,H,W,3]` float32 in [0,1], or
 * `[N,H,W,1]` with saturation and hue strengths 0; returns the same shape.
 */
export function randomColorJitter(
  x: tf.Tensor4D,
  rng: Rng,
  opts: ColorJitterOptions,
): tf.Tensor4D {
  return applyColorJitter(x, sampleColorJitter(rng, x.shape[0], opts));
}
