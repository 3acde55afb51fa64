/**
 * MAE-style reconstruction loss (KDC-MAE's L_r, the pixel branch of the
 * MIM-as-siamese comparison): mean squared error between predicted and target
 * patches, with per-patch normalised pixel targets, averaged over the masked
 * patches only.
 *
 * Conventions:
 * - images `[N,H,W,C]` float32 (NHWC);
 * - patches `[N,L,P]` with `L = (H/p)(W/p)` in row-major grid order (token
 *   `l = i * (W/p) + j` is grid cell (i, j)) and `P = p*p*C` ordered
 *   (row in patch, column in patch, channel), as in MAE's `patchify`;
 * - `visible [N,L]` float32, **1 = kept (visible to the encoder), 0 = masked**,
 *   the kit's masking convention (`lib/masking/`). The loss counts the entries
 *   where `visible = 0`.
 *
 * @module
 */

import * as tf from "../tfjs.ts";

/** Variance floor of the per-patch normalisation (MAE's 1e-6). */
export const NORM_PIX_EPS = 1e-6;

function checkPatchSize(fn: string, p: number): void {
  if (!Number.isInteger(p) || p < 1) {
    throw new RangeError(`${fn}: patch size p must be a positive integer, got ${p}`);
  }
}

/**
 * Splits images into non-overlapping p x p patches.
 *
 * @param x [N, H, W, C] float32 images; H and W must be multiples of p.
 * @param p patch side in pixels.
 * @returns [N, L, p*p*C] with L = (H/p)(W/p), row-major grid order.
 */
export function patchify(x: tf.Tensor4D, p: number): tf.Tensor3D {
  checkPatchSize("patchify", p);
  if (x.rank !== 4) {
    throw new Error(`patchify: x must be [N, H, W, C], got [${x.shape}]`);
  }
  const [n, h, w, c] = x.shape;
  if (h % p !== 0 || w % p !== 0) {
    throw new Error(
      `patchify: image size ${h}x${w} is not a multiple of the patch size ${p}; resize or ` +
        `crop the images, or pick a patch size that divides both sides`,
    );
  }
  const gh = h / p;
  const gw = w / p;
  return tf.tidy(() =>
    tf.reshape(
      tf.transpose(tf.reshape(x, [n, gh, p, gw, p, c]), [0, 1, 3, 2, 4, 5]),
      [n, gh * gw, p * p * c],
    ) as tf.Tensor3D
  );
}

/**
 * Inverse of {@link patchify}.
 *
 * @param patches [N, L, p*p*C] in row-major grid order.
 * @param p patch side in pixels.
 * @param imageSize [H, W] of the images (multiples of p, with L = (H/p)(W/p)).
 * @returns [N, H, W, C] images.
 */
export function unpatchify(
  patches: tf.Tensor3D,
  p: number,
  imageSize: readonly [number, number],
): tf.Tensor4D {
  checkPatchSize("unpatchify", p);
  const [h, w] = imageSize;
  if (patches.rank !== 3 || h % p !== 0 || w % p !== 0) {
    throw new Error(
      `unpatchify: need patches [N, L, p*p*C] and an image size that is a multiple of p=${p}, ` +
        `got patches [${patches.shape}] and size ${h}x${w}`,
    );
  }
  const [n, l, dim] = patches.shape;
  const gh = h / p;
  const gw = w / p;
  const c = dim / (p * p);
  if (l !== gh * gw || !Number.isInteger(c)) {
    throw new Error(
      `unpatchify: patches [${patches.shape}] do not tile a ${h}x${w} image with ${p}x${p} ` +
        `patches (expected L = ${gh * gw} and a last dimension divisible by ${p * p}); pass ` +
        `the image size the patches were made from`,
    );
  }
  return tf.tidy(() =>
    tf.reshape(
      tf.transpose(tf.reshape(patches, [n, gh, gw, p, p, c]), [0, 1, 3, 2, 4, 5]),
      [n, h, w, c],
    ) as tf.Tensor4D
  );
}

/**
 * Per-patch normalised targets `(t - mean) / sqrt(var + 1e-6)`, mean and
 * variance over the P values of each patch. The variance is the unbiased
 * one (divided by P - 1), as in MAE's reference code (`torch.var` default).
 *
 * @param patches [N, L, P] target patches (P >= 2).
 * @returns [N, L, P]; no gradient is needed through targets, but it exists.
 */
export function normalizePatches(patches: tf.Tensor3D): tf.Tensor3D {
  const dim = patches.shape[2];
  if (patches.rank !== 3 || dim < 2) {
    throw new Error(
      `normalizePatches: patches must be [N, L, P] with P >= 2 values per patch, got ` +
        `[${patches.shape}]; use normPixLoss: false for 1-value patches`,
    );
  }
  return tf.tidy(() => {
    const mean = tf.mean(patches, 2, true);
    const centred = tf.sub(patches, mean);
    const variance = tf.div(tf.sum(tf.square(centred), 2, true), dim - 1);
    return tf.mul(centred, tf.rsqrt(tf.add(variance, NORM_PIX_EPS))) as tf.Tensor3D;
  });
}

/**
 * Mean squared error over masked patches only:
 * `sum_{n,l} (1 - visible_nl) * mean_P (pred - target)^2 / sum_{n,l} (1 - visible_nl)`.
 * Predictions at visible patches do not matter. When nothing is masked the
 * denominator is clamped to 1 and the loss is 0.
 *
 * @param pred [N, L, P] predictions for every patch (decoder output).
 * @param target [N, L, P] targets.
 * @param visible [N, L] float32, 1 = kept/visible (ignored), 0 = masked (counted).
 * @returns scalar loss, differentiable in pred (and target).
 */
export function maskedPatchMse(
  pred: tf.Tensor3D,
  target: tf.Tensor3D,
  visible: tf.Tensor2D,
): tf.Scalar {
  if (pred.rank !== 3 || !tf.util.arraysEqual(pred.shape, target.shape)) {
    throw new Error(
      `maskedPatchMse: pred and target must both be [N, L, P] with the same shape, got ` +
        `[${pred.shape}] and [${target.shape}]; patchify the target images first`,
    );
  }
  if (!tf.util.arraysEqual(visible.shape, pred.shape.slice(0, 2))) {
    throw new Error(
      `maskedPatchMse: visible must be [N, L] = [${pred.shape.slice(0, 2)}] (1 = kept, ` +
        `0 = masked), got [${visible.shape}]; pass the token mask of the same patch grid`,
    );
  }
  return tf.tidy(() => {
    const perPatch = tf.mean(tf.square(tf.sub(pred, target)), 2);
    const masked = tf.sub(1, tf.cast(visible, "float32"));
    const count = tf.maximum(tf.sum(masked), 1);
    return tf.div(tf.sum(tf.mul(perPatch, masked)), count) as tf.Scalar;
  });
}
