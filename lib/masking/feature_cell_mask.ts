/**
 * From a pixel mask to the token mask a mask-aware neck reads: which cells of
 * the backbone's feature map count as visible.
 *
 * Rule: the map of an `H x W` image is `h x w` with an integer stride
 * `s = H / h = W / w` (the CIFAR ResNet halves the size per stage), so feature
 * cell (i, j) sits over the pixel block `[i*s, (i+1)*s) x [j*s, (j+1)*s)`.
 * The cell is **visible when strictly more than a fraction `visibleAbove` of
 * its pixels are kept** (mean of the pixel mask over the block >
 * `visibleAbove`), masked otherwise. The default 0.5 is a majority rule (a
 * cell exactly half kept counts as masked); 0 makes a cell visible as soon as
 * one pixel of it is kept. Soft masks are averaged the same way.
 *
 * The rule decides whether a mask-aware neck sees the mask at all: with
 * S-MAG's area-scaled token mask (3x3 px x 171 tokens on 32x32, ~76 % of the
 * pixels masked in scattered squares) and 8-px cells, the majority rule
 * leaves only ~3 % of the cells visible and ~63 % of the masked images
 * without any visible cell (their attention falls back to uniform, i.e.
 * GAP), while 1x1 tokens leave nearly every cell visible. {@link visibleCellStats}
 * measures this per batch.
 *
 * Consequence used by KDC-MAE: if several pixel masks have pairwise disjoint
 * kept sets, their cell masks also have pairwise disjoint visible sets (two
 * disjoint sets cannot both cover more than half of a block).
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/** The default visibility rule: a cell is visible when more than half of its pixels are kept. */
export const DEFAULT_VISIBLE_ABOVE = 0.5;

/** Throws naming the fix unless `v` is a number in [0, 1). */
export function checkVisibleAbove(v: number): void {
  if (!(v >= 0 && v < 1)) {
    throw new Error(
      `visibleAbove must be a fraction in [0, 1) (0.5: majority of a cell's pixels kept; 0: ` +
        `any pixel kept), got ${v}`,
    );
  }
}

/** How many feature cells a neck sees as visible, as scalars (see {@link visibleCellStats}). */
export interface VisibleCellStats {
  /** Mean fraction of cells visible per image. */
  visibleCells: tf.Scalar;
  /** Fraction of images with no visible cell (their attention is uniform, like GAP). */
  noVisibleCell: tf.Scalar;
}

/**
 * Visible-cell statistics of a cell mask `[N, h*w]` (1 = visible): the mean
 * visible fraction and the fraction of rows without any visible cell.
 */
export function visibleCellStats(cells: tf.Tensor2D): VisibleCellStats {
  return tf.tidy(() => ({
    visibleCells: tf.mean(cells) as tf.Scalar,
    noVisibleCell: tf.mean(tf.cast(tf.lessEqual(tf.max(cells, 1), 0), "float32")) as tf.Scalar,
  }));
}

/**
 * Token mask at feature-map resolution.
 *
 * @param pixelMask `[N,H,W,1]` float32, 1 = kept, 0 = masked.
 * @param h rows of the feature map; must divide H.
 * @param w columns of the feature map; must divide W.
 * @param visibleAbove a cell is visible when its kept fraction is strictly above this, in
 *   [0, 1) (default {@link DEFAULT_VISIBLE_ABOVE}, the majority rule).
 * @returns `[N, h*w]` float32 (row-major cells), 1 = visible, 0 = masked.
 */
export function featureCellMask(
  pixelMask: tf.Tensor4D,
  h: number,
  w: number,
  visibleAbove = DEFAULT_VISIBLE_ABOVE,
): tf.Tensor2D {
  checkVisibleAbove(visibleAbove);
  const [n, H, W, c] = pixelMask.shape;
  if (pixelMask.rank !== 4 || c !== 1) {
    throw new Error(
      `featureCellMask: pixel mask must be [N,H,W,1] (1 = kept), got [${pixelMask.shape}]; ` +
        `expand token masks with tokenMaskToPixels first`,
    );
  }
  if (
    !Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || H % h !== 0 ||
    W % w !== 0 || H / h !== W / w
  ) {
    throw new Error(
      `featureCellMask: a ${h}x${w} feature map does not tile a ${H}x${W} image with one ` +
        `integer stride; use an image size that is a multiple of the backbone's output stride`,
    );
  }
  const s = H / h;
  return tf.tidy(() => {
    const kept = s === 1 ? pixelMask : tf.avgPool(pixelMask, s, s, "valid");
    return tf.reshape(tf.cast(tf.greater(kept, visibleAbove), "float32"), [
      n,
      h * w,
    ]) as tf.Tensor2D;
  });
}

/**
 * The inverse direction of {@link featureCellMask}: a (soft) mask over the
 * `h x w` cells of a feature map expanded to the `H x W` pixels it covers
 * (integer stride `s = H / h = W / w`). Built from a broadcast multiply and
 * reshapes only, so it is differentiable on every backend (a gather's
 * gradient is not available on wasm); used for learned masks.
 *
 * @param cells `[N, h*w]` float32, row-major, 1 = kept.
 * @returns `[N,H,W,1]` float32.
 */
export function cellMaskToPixels(
  cells: tf.Tensor2D,
  h: number,
  w: number,
  H: number,
  W: number,
): tf.Tensor4D {
  const n = cells.shape[0];
  if (cells.shape[1] !== h * w || H % h !== 0 || W % w !== 0 || H / h !== W / w) {
    throw new Error(
      `cellMaskToPixels: [${cells.shape}] cells of a ${h}x${w} map do not tile a ${H}x${W} ` +
        `image with one integer stride; pass [N, h*w] with H = s*h and W = s*w`,
    );
  }
  const s = H / h;
  return tf.tidy(() =>
    tf.reshape(
      tf.mul(tf.reshape(cells, [n, h, 1, w, 1, 1]), tf.ones([1, 1, s, 1, s, 1])),
      [n, H, W, 1],
    )
  );
}
