/**
 * Visualisation of masks in the style of S-MAG Fig. 4: one RGB image whose
 * rows are samples and whose columns are the original image, the mask and
 * the masked image, with a thin separator; plus PNG encoding (npm fast-png)
 * so that a notebook or CLI can write it to disk:
 *
 * ```ts
 * const grid = maskGrid({ images, masks, masked });
 * await Deno.writeFile("fig4.png", encodePng(grid));
 * ```
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { encode } from "fast-png";

/** An 8-bit RGB image, row-major, channels interleaved (`data.length = height*width*3`). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * How float values become bytes: `"clamp"` maps [0,1] to [0,255] and clips
 * the rest; `"minmax"` stretches each image's own min..max to 0..255 (for
 * high-pass or noise-filled images that leave [0,1]).
 */
export type ValueRange = "clamp" | "minmax";

/** Options of {@link tileColumns}. */
export interface TileColumnsOptions {
  /** Separator width in pixels between cells (default 2; 0 allowed). */
  separator?: number;
  /** Separator grey level 0..255 (default 255, white). */
  separatorValue?: number;
  /** Value mapping, one for all columns or one per column (default "clamp"). */
  range?: ValueRange | ValueRange[];
}

/**
 * Tiles columns of images into one RGB image: row i holds sample i of every
 * column, left to right. Each column is `[N,H,W,C]` float32 with C = 1
 * (shown grey) or 3, all with the same N, H, W.
 */
export function tileColumns(columns: tf.Tensor4D[], opts: TileColumnsOptions = {}): RgbImage {
  const sep = opts.separator ?? 2;
  const sepValue = opts.separatorValue ?? 255;
  if (columns.length === 0) {
    throw new Error("tileColumns: no columns given; pass [N,H,W,C] tensors");
  }
  const [n, h, w] = columns[0].shape;
  columns.forEach((col, k) => {
    const [cn, ch, cw, cc] = col.shape;
    if (col.rank !== 4 || cn !== n || ch !== h || cw !== w || (cc !== 1 && cc !== 3)) {
      throw new Error(
        `tileColumns: column ${k} has shape [${col.shape}], expected [${n},${h},${w},1|3] like ` +
          `column 0; use [N,H,W,1] masks and RGB or grey images of one size`,
      );
    }
  });
  if (!Number.isInteger(sep) || sep < 0) {
    throw new RangeError(`tileColumns: separator must be an integer >= 0, got ${sep}`);
  }
  const ranges = Array.isArray(opts.range)
    ? opts.range
    : new Array<ValueRange>(columns.length).fill(opts.range ?? "clamp");
  if (ranges.length !== columns.length) {
    throw new Error(
      `tileColumns: ${ranges.length} ranges for ${columns.length} columns; give one per column`,
    );
  }
  const width = columns.length * w + (columns.length - 1) * sep;
  const height = n * h + (n - 1) * sep;
  const data = new Uint8Array(width * height * 3).fill(sepValue);
  columns.forEach((col, k) => {
    const c = col.shape[3];
    const v = col.dataSync();
    for (let i = 0; i < n; i++) {
      const start = i * h * w * c;
      let lo = 0, scale = 255;
      if (ranges[k] === "minmax") {
        lo = Infinity;
        let hi = -Infinity;
        for (let p = start; p < start + h * w * c; p++) {
          (lo = Math.min(lo, v[p])), (hi = Math.max(hi, v[p]));
        }
        scale = hi > lo ? 255 / (hi - lo) : 0;
      }
      for (let y = 0; y < h; y++) {
        const row = i * (h + sep) + y;
        for (let x = 0; x < w; x++) {
          const out = (row * width + k * (w + sep) + x) * 3;
          for (let ch = 0; ch < 3; ch++) {
            const value = v[start + (y * w + x) * c + (c === 1 ? 0 : ch)];
            data[out + ch] = Math.round(Math.min(255, Math.max(0, (value - lo) * scale)));
          }
        }
      }
    }
  });
  return { width, height, data };
}

/**
 * The S-MAG Fig. 4 layout: columns original / mask / masked.
 *
 * @param opts.images `[N,H,W,C]` float32 in [0,1], C = 1 or 3.
 * @param opts.masks `[N,H,W,1]` float32, 1 = kept (white), 0 = masked (black).
 * @param opts.masked `[N,H,W,C]` float32, shown with `maskedRange` (default
 *   "clamp"; use "minmax" for high-pass images).
 */
export function maskGrid(opts: {
  images: tf.Tensor4D;
  masks: tf.Tensor4D;
  masked: tf.Tensor4D;
  separator?: number;
  separatorValue?: number;
  maskedRange?: ValueRange;
}): RgbImage {
  return tileColumns([opts.images, opts.masks, opts.masked], {
    separator: opts.separator,
    separatorValue: opts.separatorValue,
    range: ["clamp", "clamp", opts.maskedRange ?? "clamp"],
  });
}

/** Encodes an {@link RgbImage} as an 8-bit RGB PNG file (bytes to write to disk). */
export function encodePng(image: RgbImage): Uint8Array {
  const { width, height, data } = image;
  if (data.length !== width * height * 3) {
    throw new Error(
      `encodePng: ${data.length} bytes do not make a ${width}x${height} RGB image ` +
        `(${width * height * 3} expected)`,
    );
  }
  return encode({ width, height, data, channels: 3, depth: 8 });
}
