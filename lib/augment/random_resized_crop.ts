/**
 * Random resized crop (the "Inception crop" of SimCLR / MoCo): pick a
 * rectangle covering a random fraction of the image area with a random aspect
 * ratio, then resize it bilinearly back to a fixed output size.
 *
 * Sampling follows torchvision's `RandomResizedCrop.get_params`: up to 10
 * attempts at area ~ U[scale] * H * W and log-aspect ~ U[log ratio]; when no
 * attempt fits, a centred crop with the aspect ratio clamped to `ratio`.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";

/** A crop rectangle in integer pixel coordinates (rows `top..top+height-1`). */
export interface CropBox {
  /** First row of the crop. */
  top: number;
  /** First column of the crop. */
  left: number;
  /** Number of rows, `1..H`. */
  height: number;
  /** Number of columns, `1..W`. */
  width: number;
}

/** Parameters of the random resized crop. */
export interface RandomResizedCropOptions {
  /** Range of the crop area as a fraction of the image area; SimCLR: `[0.08, 1]`. */
  scale: [number, number];
  /** Range of the crop aspect ratio width/height; SimCLR: `[3/4, 4/3]`. */
  ratio: [number, number];
}

function checkRange(name: string, r: [number, number], lo: number, hi: number): void {
  if (!(r[0] > lo && r[0] <= r[1] && r[1] <= hi)) {
    throw new RangeError(
      `random_resized_crop: ${name} must satisfy ${lo} < ${name}[0] <= ${name}[1] <= ${hi}, ` +
        `got [${r[0]}, ${r[1]}]; pass e.g. [0.08, 1] for scale or [0.75, 1.3333] for ratio`,
    );
  }
}

/**
 * Draws one crop box for an `height x width` image (torchvision semantics).
 * The box always lies inside the image; its area fraction lies in `scale` and
 * its aspect ratio in `ratio` up to integer rounding, except in the rare
 * fallback (centre crop) case.
 */
export function sampleCropBox(
  rng: Rng,
  height: number,
  width: number,
  opts: RandomResizedCropOptions,
): CropBox {
  checkRange("scale", opts.scale, 0, 1);
  checkRange("ratio", opts.ratio, 0, Infinity);
  const area = height * width;
  const logLo = Math.log(opts.ratio[0]);
  const logHi = Math.log(opts.ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(opts.scale[0], opts.scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
    }
  }
  // Fallback: central crop with the aspect ratio clamped into `ratio`.
  const inRatio = width / height;
  let w: number;
  let h: number;
  if (inRatio < opts.ratio[0]) {
    w = width;
    h = Math.round(w / opts.ratio[0]);
  } else if (inRatio > opts.ratio[1]) {
    h = height;
    w = Math.round(h * opts.ratio[1]);
  } else {
    w = width;
    h = height;
  }
  h = Math.max(1, Math.min(h, height));
  w = Math.max(1, Math.min(w, width));
  return {
    top: Math.floor((height - h) / 2),
    left: Math.floor((width - w) / 2),
    height: h,
    width: w,
  };
}

/**
 * Converts pixel crop boxes to the normalised `[y1, x1, y2, x2]` rows that
 * `tf.image.cropAndResize` expects, mapping the first and last pixel centres of
 * each crop to the first and last output pixels. Where `flips[i]` is 1 the
 * columns are swapped, which mirrors the crop left-right. Returns `[N*4]` float32.
 */
export function cropBoxesToNormalized(
  boxes: readonly CropBox[],
  height: number,
  width: number,
  flips?: Uint8Array,
): Float32Array {
  const out = new Float32Array(boxes.length * 4);
  const sy = height > 1 ? 1 / (height - 1) : 0;
  const sx = width > 1 ? 1 / (width - 1) : 0;
  boxes.forEach((b, i) => {
    const x1 = b.left * sx;
    const x2 = (b.left + b.width - 1) * sx;
    const flip = flips !== undefined && flips[i] === 1;
    out[4 * i] = b.top * sy;
    out[4 * i + 1] = flip ? x2 : x1;
    out[4 * i + 2] = (b.top + b.height - 1) * sy;
    out[4 * i + 3] = flip ? x1 : x2;
  });
  return out;
}

/**
 * Inset of normalised box coordinates from the image border. `tf.image.cropAndResize` writes
 * the extrapolation value (0) where a source position lands a rounding error outside
 * `[0, size-1]`, which blanks the edge row or column of crops touching the border. On webgpu
 * (float32 positions) any border coordinate can do it; on the CPU backends (float64 positions
 * from float32 boxes) the last sample of an axis whose box starts inside the image and ends on
 * the border can overshoot by an ulp (e.g. rows 5..31 of 32). 4e-6 of the image size is more
 * than that rounding error and moves samples by < 0.001 px up to 224 px.
 */
const EDGE_INSET = 4e-6;

/**
 * Moves coordinates of `[N*4]` normalised `[y1, x1, y2, x2]` boxes off the border (in place):
 * all of them on webgpu; on the CPU backends only an end on the border (0 or 1) whose start is
 * inside, so full-image boxes and flips stay exact copies.
 */
function insetUnitEdges(coords: Float32Array, all: boolean): void {
  const inset = (v: number) => Math.min(1 - EDGE_INSET, Math.max(EDGE_INSET, v));
  const onBorder = (v: number) => v === 0 || v === 1;
  for (let i = 0; i < coords.length; i += 4) {
    for (const [start, end] of [[i, i + 2], [i + 1, i + 3]]) {
      if (all) {
        coords[start] = inset(coords[start]);
        coords[end] = inset(coords[end]);
      } else if (onBorder(coords[end]) && !onBorder(coords[start])) {
        coords[end] = inset(coords[end]);
      }
    }
  }
}

/**
 * Crops box `i` out of image `i`, resizes it bilinearly to `outSize` and,
 * where `flips[i]` is 1, mirrors it left-right (at no extra cost).
 * x: `[N,H,W,C]` float32; returns `[N,outH,outW,C]` float32.
 */
export function applyCrops(
  x: tf.Tensor4D,
  boxes: readonly CropBox[],
  outSize: [number, number],
  flips?: Uint8Array,
): tf.Tensor4D {
  const [n, h, w] = x.shape;
  if (boxes.length !== n || (flips !== undefined && flips.length !== n)) {
    throw new Error(
      `random_resized_crop: got ${boxes.length} boxes and ${flips?.length ?? "no"} flips for ` +
        `a batch of ${n} images; draw exactly one box (and one flip) per image`,
    );
  }
  const coords = cropBoxesToNormalized(boxes, h, w, flips);
  insetUnitEdges(coords, tf.getBackend() === "webgpu");
  return tf.tidy(() => {
    const norm = tf.tensor2d(coords, [n, 4]);
    const idx = tf.range(0, n, 1, "int32") as tf.Tensor1D;
    return tf.image.cropAndResize(x, norm, idx, outSize, "bilinear");
  });
}

/** `n` boxes covering a whole `height x width` image each (with flips: a plain mirror). */
export function fullImageBoxes(n: number, height: number, width: number): CropBox[] {
  return Array.from({ length: n }, () => ({ top: 0, left: 0, height, width }));
}

/** Draws one crop box per image of an `[N,H,W,C]` batch (see {@link sampleCropBox}). */
export function sampleCropBoxes(
  rng: Rng,
  n: number,
  height: number,
  width: number,
  opts: RandomResizedCropOptions,
): CropBox[] {
  const boxes: CropBox[] = [];
  for (let i = 0; i < n; i++) boxes.push(sampleCropBox(rng, height, width, opts));
  return boxes;
}

/**
 * Random resized crop of every image of the batch, output size = input size.
 * x: `[N,H,W,C]` float32; returns `[N,H,W,C]` float32.
 */
export function randomResizedCrop(
  x: tf.Tensor4D,
  rng: Rng,
  opts: RandomResizedCropOptions,
): tf.Tensor4D {
  const [n, h, w] = x.shape;
  return applyCrops(x, sampleCropBoxes(rng, n, h, w, opts), [h, w]);
}
