/**
 * From a pixel mask to the token mask a mask-aware neck reads: which cells of
 * the backbone's feature map count as visible.
 *
 * Rule: the map of an `H x W` image is `h x w` with an integer stride
 * `s = H / h = W / w` (the CIFAR ResNet halves the size per stage), so feature
 * cell (i, j) sits over the pixel block `[i*s, (i+1)*s) x [j*s, (j+1)*s)`.
 * The cell is **visible when strictly more than half of its pixels are kept**
 * (mean of the pixel mask over the block > 0.5), masked otherwise (a cell that
 * is exactly half kept counts as masked). Soft masks are averaged the same way.
 *
 * Consequence used by KDC-MAE: if several pixel masks have pairwise disjoint
 * kept sets, their cell masks also have pairwise disjoint visible sets (two
 * disjoint sets cannot both cover more than half of a block).
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/**
 * Token mask at feature-map resolution.
 *
 * @param pixelMask `[N,H,W,1]` float32, 1 = kept, 0 = masked.
 * @param h rows of the feature map; must divide H.
 * @param w columns of the feature map; must divide W.
 * @returns `[N, h*w]` float32 (row-major cells), 1 = visible, 0 = masked.
 */
export function featureCellMask(pixelMask: tf.Tensor4D, h: number, w: number): tf.Tensor2D {
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
    return tf.reshape(tf.cast(tf.greater(kept, 0.5), "float32"), [n, h * w]) as tf.Tensor2D;
  });
}
