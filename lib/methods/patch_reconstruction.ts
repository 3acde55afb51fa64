/**
 * The pixel-reconstruction step of the masked-image methods (KDC-MAE's L_r,
 * the pixel-l2 similarity of MIM-as-siamese): a per-cell linear decoder
 * ({@link PatchDecoder}) on the backbone's feature map of the masked images
 * predicts every patch of the unmasked view, and the target is that view's
 * patches, normalised per patch when `normPixLoss` (MAE's default).
 *
 * Shapes: view `[N,H,W,C]`; feature map `[M,h,w,c]` of M masked copies of
 * the view (M = S*N for S streams, stream-major, or M = N); patches
 * `[*, L, p*p*C]` with `L = (H/p)(W/p)` in row-major grid order (the layout
 * of `patchify`). Each method applies its own masked loss to the pair.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { normalizePatches, patchify } from "../losses/mae_reconstruction.ts";
import type { ParamStore } from "../nn/params.ts";
import type { Backbone } from "../models/parts.ts";
import { PatchDecoder } from "../models/patch_decoder.ts";
import type { PatchGeometry } from "./occlusion_views.ts";

/**
 * The decoder of a masked-image method: one linear map per feature cell of
 * `backbone` predicting the `stride x stride x C` pixels under the cell.
 *
 * @param name parameter prefix: registers `${name}.linear.weight` and `${name}.linear.bias`.
 * @param geometry the method's {@link PatchGeometry} (its `stride` is the cell size).
 * @param imageChannels C, channels of the images to predict.
 */
export function cellDecoder(
  store: ParamStore,
  name: string,
  backbone: Backbone,
  geometry: PatchGeometry,
  imageChannels: number,
): PatchDecoder {
  return new PatchDecoder(store, name, {
    inChannels: backbone.outChannels,
    cellSize: geometry.stride,
    outChannels: imageChannels,
  });
}

/** Prediction and target of one reconstruction step (see {@link reconstructPatches}). */
export interface PatchReconstruction {
  /** `[M, L, p*p*C]` decoded patches of every masked copy. */
  pred: tf.Tensor3D;
  /** `[N, L, p*p*C]` patches of the unmasked view (per-patch normalised when `normPixLoss`). */
  target: tf.Tensor3D;
}

/**
 * One reconstruction step: target patches of `view`, then the decoder's
 * patches predicted from `fmap`. Intermediate tensors are disposed; call it
 * inside the loss (the gradient tape) so that `pred` carries gradients.
 *
 * @param fmap `[M,h,w,c]` backbone output for the masked copies of `view`.
 * @param view `[N,H,W,C]` the unmasked (normalised) view; p must divide H and W.
 * @param opts `patch`: side p in pixels; `normPixLoss`: normalise each
 *   target patch by its mean and variance (needs p*p*C >= 2).
 */
export function reconstructPatches(
  decoder: PatchDecoder,
  fmap: tf.Tensor4D,
  view: tf.Tensor4D,
  opts: { patch: number; normPixLoss: boolean },
): PatchReconstruction {
  const [target, pred] = tf.tidy(() => {
    const patches = patchify(view, opts.patch);
    return [
      opts.normPixLoss ? normalizePatches(patches) : patches,
      decoder.patches(fmap, opts.patch),
    ];
  });
  return { pred, target };
}
