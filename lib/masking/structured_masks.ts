/**
 * Structured occlusions on a grid: whole rows, whole columns, or one
 * contiguous rectangular block, at random positions.
 *
 * Every function works on a `gridH x gridW` grid and returns a token mask
 * `[N, gridH*gridW]` float32 (row-major) with **1 = kept, 0 = masked**.
 * - Token masks: pass the patch grid (e.g. 8x8) and expand to pixels with
 *   `tokenMaskToPixels(mask, gridH, gridW, H, W)` when needed.
 * - Pixel masks: pass the image size as the grid (`gridH = H`, `gridW = W`)
 *   and reshape to `[N,H,W,1]` with {@link toPixelMask}.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";

/** Grid and batch shared by the structured masks. */
export interface GridOptions {
  n: number;
  gridH: number;
  gridW: number;
  rng: Rng;
}

function checkGrid(opts: GridOptions, who: string): void {
  for (const key of ["n", "gridH", "gridW"] as const) {
    if (!Number.isInteger(opts[key]) || opts[key] < 1) {
      throw new RangeError(`${who}: ${key} must be a positive integer, got ${opts[key]}`);
    }
  }
}

function checkCount(count: number, max: number, what: string, who: string): void {
  if (!Number.isInteger(count) || count < 0 || count > max) {
    throw new RangeError(`${who}: count must be an integer in [0, ${max}] (${what}), got ${count}`);
  }
}

/**
 * Masks `count` distinct rows of the grid, chosen uniformly per sample.
 * @returns `[n, gridH*gridW]` float32, 1 = kept.
 */
export function rowMask(opts: GridOptions & { count: number }): tf.Tensor2D {
  const { n, gridH, gridW, count, rng } = opts;
  checkGrid(opts, "rowMask");
  checkCount(count, gridH, "rows of the grid", "rowMask");
  const m = new Float32Array(n * gridH * gridW).fill(1);
  for (let i = 0; i < n; i++) {
    const rows = rng.permutation(gridH).subarray(0, count);
    for (const y of rows) m.fill(0, (i * gridH + y) * gridW, (i * gridH + y + 1) * gridW);
  }
  return tf.tensor2d(m, [n, gridH * gridW]);
}

/**
 * Masks `count` distinct columns of the grid, chosen uniformly per sample.
 * @returns `[n, gridH*gridW]` float32, 1 = kept.
 */
export function columnMask(opts: GridOptions & { count: number }): tf.Tensor2D {
  const { n, gridH, gridW, count, rng } = opts;
  checkGrid(opts, "columnMask");
  checkCount(count, gridW, "columns of the grid", "columnMask");
  const m = new Float32Array(n * gridH * gridW).fill(1);
  for (let i = 0; i < n; i++) {
    const cols = rng.permutation(gridW).subarray(0, count);
    for (const x of cols) for (let y = 0; y < gridH; y++) m[(i * gridH + y) * gridW + x] = 0;
  }
  return tf.tensor2d(m, [n, gridH * gridW]);
}

/**
 * Masks one contiguous `blockH x blockW` rectangle per sample, its top-left
 * cell uniform over the positions that keep it inside the grid.
 * @returns `[n, gridH*gridW]` float32, 1 = kept.
 */
export function blockMask(opts: GridOptions & { blockH: number; blockW: number }): tf.Tensor2D {
  const { n, gridH, gridW, blockH, blockW, rng } = opts;
  checkGrid(opts, "blockMask");
  if (
    ![blockH, blockW].every((v) => Number.isInteger(v) && v >= 1) || blockH > gridH ||
    blockW > gridW
  ) {
    throw new RangeError(
      `blockMask: block ${blockH}x${blockW} must be positive integers within the ` +
        `${gridH}x${gridW} grid; shrink the block`,
    );
  }
  const m = new Float32Array(n * gridH * gridW).fill(1);
  for (let i = 0; i < n; i++) {
    const y0 = rng.int(gridH - blockH + 1);
    const x0 = rng.int(gridW - blockW + 1);
    for (let y = y0; y < y0 + blockH; y++) {
      m.fill(0, (i * gridH + y) * gridW + x0, (i * gridH + y) * gridW + x0 + blockW);
    }
  }
  return tf.tensor2d(m, [n, gridH * gridW]);
}

/** A structured mask as plain data (for experiment configs). */
export type StructuredMaskSpec =
  | { kind: "rows"; count: number }
  | { kind: "columns"; count: number }
  | { kind: "block"; blockH: number; blockW: number };

/** Draws the structured mask described by `spec`. Returns `[n, gridH*gridW]`, 1 = kept. */
export function structuredMask(spec: StructuredMaskSpec, opts: GridOptions): tf.Tensor2D {
  switch (spec.kind) {
    case "rows":
      return rowMask({ ...opts, count: spec.count });
    case "columns":
      return columnMask({ ...opts, count: spec.count });
    case "block":
      return blockMask({ ...opts, blockH: spec.blockH, blockW: spec.blockW });
    default: {
      const unknown: never = spec;
      throw new Error(
        `structuredMask: unknown spec ${JSON.stringify(unknown)}; use kind rows, columns or block`,
      );
    }
  }
}

/**
 * Reshapes a mask drawn on the pixel grid (`gridH = H`, `gridW = W`) to a
 * pixel mask. mask: `[N, H*W]` -> `[N,H,W,1]`.
 */
export function toPixelMask(mask: tf.Tensor2D, H: number, W: number): tf.Tensor4D {
  if (mask.rank !== 2 || mask.shape[1] !== H * W) {
    throw new Error(
      `toPixelMask: mask shape [${mask.shape}] is not [N, H*W] = [N, ${H * W}]; for a coarser ` +
        `grid use tokenMaskToPixels`,
    );
  }
  return tf.reshape(mask, [mask.shape[0], H, W, 1]);
}
