/**
 * The one masking pipeline every method calls: draw a mask (or take a given
 * one) -> pixels -> fill -> the feature-cell mask a mask-aware neck reads.
 *
 * ```ts
 * const out = maskImages({
 *   images: view,                                      // [N,H,W,C], normalised
 *   spec: { kind: "token", tokenSize: 3, tokenCount: 171 },
 *   fill: { kind: "zero" },
 *   featureSize: [4, 4],                               // backbone output for H x W
 *   rng,
 * });
 * out.images; // [N,H,W,C] with the masked pixels filled
 * out.cells;  // [N,16] 1 = visible feature cell (featureCellMask)
 * ```
 *
 * Mask specs ({@link MaskSpec}), token / grid / saliency / given / learned:
 *
 * - `token`: S-MAG's random squares (Fig. 4), drawn at pixel resolution;
 * - `grid`: an exact ratio of the cells of a `gridH x gridW` grid (MAE random
 *   masking, without MAE's index tensors: use `gridMask` where a caller needs them);
 * - `saliency`: a saliency-guided mask on a grid from a foreground map
 *   (`saliencyGuidedMask`), or with `hard` the foreground-masked hard negative
 *   (`hardNegativeMask`);
 * - `given`: a token mask drawn elsewhere (complementary / overlapping streams,
 *   the complement of a mask);
 * - `learned`: a soft mask over the feature cells from a learned generator
 *   (`learned_masks.ts`), expanded with `cellMaskToPixels`, so gradients reach
 *   the generator on every backend (call it inside the gradient tape).
 *
 * Random draws happen in this order, all from `rng`: the mask (when drawn
 * here), then the fill's noise (noise fills only). Every tensor returned is
 * new and owned by the caller; the inputs are not disposed.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { applyVisualMask, type MaskFill } from "./visual_mask.ts";
import { gridTokenMask, randomTokenMask, tokenMaskToPixels } from "./token_masks.ts";
import { hardNegativeMask, saliencyGuidedMask } from "./saliency.ts";
import { cellMaskToPixels, featureCellMask } from "./feature_cell_mask.ts";

/** Which pixels to mask (see module docs). Token masks: `[N,L]`, row-major, 1 = kept. */
export type MaskSpec =
  | { kind: "token"; tokenSize: number; tokenCount: number }
  | { kind: "grid"; gridH: number; gridW: number; ratio: number }
  | {
    kind: "saliency";
    /** `[N, gridH*gridW]` foreground cells (1 = foreground). */
    fg: tf.Tensor2D;
    gridH: number;
    gridW: number;
    /** Range of the per-sample masking ratio. */
    ratioRange: [number, number];
    /** Draw the hard negative (a share of the foreground masked) instead of the light mask. */
    hard?: boolean;
    /** Hard negative only: cap on the masked fraction of all cells (`hardNegativeMask`). */
    maxFraction?: number;
  }
  | { kind: "given"; tokens: tf.Tensor2D; gridH: number; gridW: number }
  | {
    kind: "learned";
    /** `[N, h*w]` soft cell mask in [0,1] (1 = kept), e.g. a generator's output. */
    cells: tf.Tensor2D;
    /** Feature-map rows and columns the cells tile (integer stride to the image). */
    h: number;
    w: number;
  };

/** What to mask and how (see {@link maskImages}). */
export interface MaskImagesOptions {
  /** `[N,H,W,C]` float32 images (normalised views in the methods). */
  images: tf.Tensor4D;
  spec: MaskSpec;
  /** What masked pixels become. */
  fill: MaskFill;
  /** `[h, w]` of the backbone's feature map for these images; when set, `cells` is returned. */
  featureSize?: readonly [number, number];
  /**
   * Visibility rule of `cells`: a cell is visible when more than this fraction of its pixels
   * are kept (default 0.5; see `featureCellMask`).
   */
  visibleAbove?: number;
  /** Random stream of the mask draw and of noise fills. */
  rng: Rng;
}

/** The result of {@link maskImages}; every tensor is owned by the caller. */
export interface MaskedImages {
  /** `[N,H,W,C]` the images with the masked pixels filled. */
  images: tf.Tensor4D;
  /** `[N, h*w]` feature cells visible to a neck (1 = visible); only with `featureSize`. */
  cells?: tf.Tensor2D;
  /** `[N, gridH*gridW]` the token mask drawn (grid and saliency specs; 1 = kept). */
  tokens?: tf.Tensor2D;
}

/** The pixel mask `[N,H,W,1]` and, for grid specs, the drawn token mask. */
function drawPixels(
  spec: MaskSpec,
  n: number,
  H: number,
  W: number,
  rng: Rng,
): { pixels: tf.Tensor4D; tokens?: tf.Tensor2D } {
  switch (spec.kind) {
    case "token":
      return { pixels: randomTokenMask({ n, height: H, width: W, ...spec, rng }) };
    case "grid": {
      const tokens = gridTokenMask({ n, ...spec, rng });
      return { pixels: tokenMaskToPixels(tokens, spec.gridH, spec.gridW, H, W), tokens };
    }
    case "saliency": {
      const opts = { fg: spec.fg, rng, ratioRange: spec.ratioRange };
      const tokens =
        (spec.hard
          ? hardNegativeMask({ ...opts, maxFraction: spec.maxFraction })
          : saliencyGuidedMask(opts)).mask;
      return { pixels: tokenMaskToPixels(tokens, spec.gridH, spec.gridW, H, W), tokens };
    }
    case "given":
      return { pixels: tokenMaskToPixels(spec.tokens, spec.gridH, spec.gridW, H, W) };
    case "learned":
      return { pixels: cellMaskToPixels(spec.cells, spec.h, spec.w, H, W) };
  }
}

/**
 * Masks `images` with `spec` and `fill`, and reduces the pixel mask to the
 * feature map when `featureSize` is given (see module docs).
 */
export function maskImages(opts: MaskImagesOptions): MaskedImages {
  const { images, spec, fill, featureSize, rng, visibleAbove } = opts;
  const [n, H, W] = images.shape;
  const { pixels, tokens } = drawPixels(spec, n, H, W, rng);
  try {
    const out: MaskedImages = { images: applyVisualMask(images, pixels, fill, rng) };
    if (featureSize) {
      out.cells = featureCellMask(pixels, featureSize[0], featureSize[1], visibleAbove);
    }
    if (tokens) out.tokens = tokens;
    return out;
  } finally {
    pixels.dispose();
  }
}

/** An all-visible feature-cell mask `[n, h*w]` (for a view that is not masked). */
export function allVisibleCells(n: number, featureSize: readonly [number, number]): tf.Tensor2D {
  return tf.ones([n, featureSize[0] * featureSize[1]]);
}
