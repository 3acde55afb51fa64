/**
 * The view transforms as plain loops over host memory: the same crop, flip, colour jitter,
 * grayscale and normalisation as the tensor versions in this folder (same per-image parameters,
 * drawn by the same samplers in the same order, so a seed gives the same views on both paths up
 * to float rounding), for the CPU backends.
 *
 * Why: on a 32x32 batch the tensor versions are dozens of small kernels (broadcasts, a
 * crop-and-resize and clamps that the native backend leaves to tfjs's scalar CPU kernels), and
 * made the views ~2/3 of a SimCLR step on the native backend (`deno task bench --e2e`). One pass
 * per image over a few KB of pixels costs a few milliseconds per batch instead.
 *
 * Shapes: every buffer is one NHWC float32 batch, `n * h * w * c` values, pixel values in [0,1]
 * until {@link normalizeHost}.
 *
 * @module
 */
import { checkGrayJitter, type ColorJitterParams } from "./color_jitter.ts";
import { type CropBox, fullImageBoxes } from "./random_resized_crop.ts";
import { LUMA_WEIGHTS } from "./grayscale.ts";
import type { ChannelStats } from "./normalize.ts";

/** Shape of an NHWC batch. */
export type BatchShape = readonly [n: number, h: number, w: number, c: number];

/**
 * Bilinear crop-and-resize of box `i` of image `i` to the input size, mirrored where
 * `flips[i]` is 1, with `tf.image.cropAndResize`'s sampling for the boxes
 * `cropBoxesToNormalized` makes: the first and last pixel centres of the box land on the first
 * and last output pixels. Returns a new buffer.
 */
export function cropResizeHost(
  src: Float32Array,
  shape: BatchShape,
  boxes: readonly CropBox[],
  flips?: Uint8Array,
): Float32Array {
  const [n, h, w, c] = shape;
  const out = new Float32Array(src.length);
  const ys = new Float64Array(h);
  const xs = new Float64Array(w);
  // Per output column: offsets of the left and right source pixels, and the weight of the right.
  const xLeft = new Int32Array(w);
  const xRight = new Int32Array(w);
  const xLerp = new Float64Array(w);
  for (let i = 0; i < n; i++) {
    const b = boxes[i];
    const flip = flips !== undefined && flips[i] === 1;
    // The normalised box is float32 in tfjs; round the same way so the positions agree.
    const sy = h > 1 ? 1 / (h - 1) : 0;
    const sx = w > 1 ? 1 / (w - 1) : 0;
    const y1 = Math.fround(b.top * sy);
    const y2 = Math.fround((b.top + b.height - 1) * sy);
    let x1 = Math.fround(b.left * sx);
    let x2 = Math.fround((b.left + b.width - 1) * sx);
    if (flip) [x1, x2] = [x2, x1];
    positions(ys, y1, y2, h);
    positions(xs, x1, x2, w);
    for (let ox = 0; ox < w; ox++) {
      const left = Math.floor(xs[ox]);
      xLeft[ox] = left * c;
      xRight[ox] = Math.ceil(xs[ox]) * c;
      xLerp[ox] = xs[ox] - left;
    }
    const img = i * h * w * c;
    for (let oy = 0; oy < h; oy++) {
      const iy = ys[oy];
      const top = Math.floor(iy);
      const yl = iy - top;
      const rowT = img + top * w * c;
      const rowB = img + Math.ceil(iy) * w * c;
      let o = img + oy * w * c;
      for (let ox = 0; ox < w; ox++) {
        const xl = xLerp[ox];
        const l = xLeft[ox];
        const r = xRight[ox];
        for (let k = 0; k < c; k++, o++) {
          const tl = src[rowT + l + k];
          const bl = src[rowB + l + k];
          const t = tl + (src[rowT + r + k] - tl) * xl;
          const bt = bl + (src[rowB + r + k] - bl) * xl;
          out[o] = t + (bt - t) * yl;
        }
      }
    }
  }
  return out;
}

/** Source positions of `size` output samples from normalised `a` to `b` (in-image, clamped). */
function positions(out: Float64Array, a: number, b: number, size: number): void {
  // tfjs's scale (b - a) * (inSize - 1) / (outSize - 1), with outSize = inSize.
  const scale = size > 1 ? ((b - a) * (size - 1)) / (size - 1) : 0;
  for (let o = 0; o < size; o++) {
    const p = size > 1 ? a * (size - 1) + o * scale : 0.5 * (a + b) * (size - 1);
    // Boxes inside the image keep p in [0, size-1]; clamp rounding rather than read outside.
    out[o] = Math.min(size - 1, Math.max(0, p));
  }
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Colour jitter with the per-image parameters of `sampleColorJitter`, in place: each image's
 * four adjustments in its own order, each clamped to [0,1] (hue needs none: it stays between
 * the pixel's min and max channel). 3 channels, or 1 with saturation and hue at identity
 * (checked: `checkGrayJitter`).
 */
export function colorJitterHost(
  x: Float32Array,
  shape: BatchShape,
  p: ColorJitterParams,
): void {
  const [n, h, w, c] = shape;
  if (c === 1) checkGrayJitter(p, n);
  const px = h * w;
  for (let i = 0; i < n; i++) {
    const base = i * px * c;
    for (let step = 0; step < 4; step++) {
      const op = p.order[4 * i + step];
      if (op === 0) {
        const f = p.brightness[i];
        if (f !== 1) scaleClamp(x, base, px * c, f, 0);
      } else if (op === 1) {
        const f = p.contrast[i];
        if (f !== 1) scaleClamp(x, base, px * c, f, (1 - f) * meanLuma(x, base, px, c));
      } else if (op === 2) {
        const s = p.saturation[i];
        if (s !== 1) saturate(x, base, px, s);
      } else {
        const shift = p.hue[i];
        if (shift !== 0) rotateHue(x, base, px, shift);
      }
    }
  }
}

function scaleClamp(x: Float32Array, base: number, len: number, f: number, add: number): void {
  for (let j = base; j < base + len; j++) x[j] = clamp01(f * x[j] + add);
}

/** Mean luma of one image (its mean for 1 channel). */
function meanLuma(x: Float32Array, base: number, px: number, c: number): number {
  if (c === 1) {
    let s = 0;
    for (let j = base; j < base + px; j++) s += x[j];
    return s / px;
  }
  let r = 0;
  let g = 0;
  let b = 0;
  for (let j = base; j < base + 3 * px; j += 3) {
    r += x[j];
    g += x[j + 1];
    b += x[j + 2];
  }
  return (LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b) / px;
}

function saturate(x: Float32Array, base: number, px: number, s: number): void {
  const [wr, wg, wb] = LUMA_WEIGHTS;
  for (let j = base; j < base + 3 * px; j += 3) {
    const l = (1 - s) * (wr * x[j] + wg * x[j + 1] + wb * x[j + 2]);
    x[j] = clamp01(s * x[j] + l);
    x[j + 1] = clamp01(s * x[j + 1] + l);
    x[j + 2] = clamp01(s * x[j + 2] + l);
  }
}

/** HSV hue rotation by `shift` turns (the closed form of color_jitter.ts `adjustHue`). */
function rotateHue(x: Float32Array, base: number, px: number, shift: number): void {
  const turn = shift * 6;
  for (let j = base; j < base + 3 * px; j += 3) {
    const r = x[j];
    const g = x[j + 1];
    const b = x[j + 2];
    // First maximum wins ties (r > g > b), as argMax.
    const maxc = r >= g ? (r >= b ? r : b) : (g >= b ? g : b);
    const minc = r <= g ? (r <= b ? r : b) : (g <= b ? g : b);
    const delta = maxc - minc;
    if (delta === 0) continue; // gray: every channel stays maxc
    const hue = maxc === r
      ? (g - b) / delta
      : maxc === g
      ? 2 + (b - r) / delta
      : 4 + (r - g) / delta;
    const a = hue + turn;
    x[j] = maxc - delta * ramp(a + 5);
    x[j + 1] = maxc - delta * ramp(a + 3);
    x[j + 2] = maxc - delta * ramp(a + 1);
  }
}

function ramp(a: number): number {
  const k = a - Math.floor(a / 6) * 6;
  const v = Math.min(k, 4 - k);
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Replaces the RGB images whose flag is 1 by their luma on all three channels, in place. */
export function grayscaleHost(x: Float32Array, shape: BatchShape, flags: Uint8Array): void {
  const [n, h, w] = shape;
  const px = h * w;
  const [wr, wg, wb] = LUMA_WEIGHTS;
  for (let i = 0; i < n; i++) {
    if (flags[i] !== 1) continue;
    for (let j = i * px * 3; j < (i + 1) * px * 3; j += 3) {
      const l = wr * x[j] + wg * x[j + 1] + wb * x[j + 2];
      x[j] = x[j + 1] = x[j + 2] = l;
    }
  }
}

/**
 * `(x - mean[c]) * (1 / std[c])` per channel, in place, rounded to float32 after each operation
 * as normalize.ts's tensor ops are (so both give the same bits).
 */
export function normalizeHost(x: Float32Array, shape: BatchShape, stats: ChannelStats): void {
  const c = shape[3];
  const mean = Float32Array.from(stats.mean);
  const inv = Float32Array.from(stats.std, (s) => 1 / s);
  for (let j = 0; j < x.length; j += c) {
    for (let k = 0; k < c; k++) x[j + k] = Math.fround(x[j + k] - mean[k]) * inv[k];
  }
}

/**
 * Every random choice of one host view, drawn beforehand (views.ts `planHostView`), so that the
 * loops below can run anywhere (this thread or a view worker) and give the same bits.
 */
export interface HostViewPlan {
  /** Crop box per image, or null for no crop (the image as it is, or only flipped). */
  boxes: CropBox[] | null;
  /** 1 = mirror the image (or undefined: no flips). */
  flips?: Uint8Array;
  /** Colour-jitter parameters, or null for none. */
  jitter: ColorJitterParams | null;
  /** 1 = grayscale the image (or null: no grayscale step). */
  gray: Uint8Array | null;
  /** Per-channel normalisation applied last, or null. */
  normalize: ChannelStats | null;
}

/**
 * One view of the batch `pixels` (NHWC, values in [0,1], not modified) as `plan` says: crop and
 * flip, colour jitter, grayscale, normalisation. Returns a new buffer.
 */
export function applyHostViewPlan(
  pixels: Float32Array,
  shape: BatchShape,
  plan: HostViewPlan,
): Float32Array {
  const [n, h, w] = shape;
  let buf: Float32Array;
  if (plan.boxes !== null) {
    buf = cropResizeHost(pixels, shape, plan.boxes, plan.flips);
  } else if (plan.flips !== undefined) {
    buf = cropResizeHost(pixels, shape, fullImageBoxes(n, h, w), plan.flips);
  } else {
    buf = Float32Array.from(pixels);
  }
  if (plan.jitter !== null) colorJitterHost(buf, shape, plan.jitter);
  if (plan.gray !== null) grayscaleHost(buf, shape, plan.gray);
  if (plan.normalize !== null) normalizeHost(buf, shape, plan.normalize);
  return buf;
}
