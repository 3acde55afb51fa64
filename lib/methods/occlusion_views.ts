/**
 * What the masked-modelling methods (KDC-MAE, MIM-as-siamese) share: the
 * MAE-style view (only crop and flip, then normalisation) and the patch grid
 * derived from the backbone's output stride. The occlusion itself is
 * `maskImages` (`lib/masking/mask_images.ts`).
 *
 * Masks are applied to the *normalised* view, so the "zero" fill puts the
 * dataset's mean colour in the masked patches (MAE's convention).
 *
 * @module
 */
import type { ChannelStats } from "../augment/normalize.ts";
import type { ViewRecipe } from "../augment/views.ts";
import type { Backbone } from "../models/parts.ts";

/** MAE's pre-training augmentation: crop area (0.2, 1), flip 0.5, no colour changes. */
export function maeViewRecipe(stats: ChannelStats): ViewRecipe {
  return {
    crop: { scale: [0.2, 1], ratio: [3 / 4, 4 / 3] },
    flipProb: 0.5,
    colorJitter: null,
    grayscaleProb: 0,
    blur: null,
    normalize: { mean: [...stats.mean], std: [...stats.std] },
  };
}

/** Patch grid and feature-map geometry of one method instance. */
export interface PatchGeometry {
  /** Patch side p in pixels. */
  patch: number;
  /** Patch grid rows H/p and columns W/p. */
  gridH: number;
  gridW: number;
  /** Feature map rows and columns (backbone output for H x W). */
  featH: number;
  featW: number;
  /** Backbone output stride s = H / featH. */
  stride: number;
}

/**
 * Resolves the patch size: `"auto"` takes the backbone's output stride, so
 * that patch k is exactly feature cell k (8 for a 4-stage CIFAR ResNet on
 * 32x32, whose map is 4x4). A given size must divide H and W.
 *
 * @param who method name for error messages.
 */
export function patchGeometry(
  who: string,
  patch: number | "auto",
  backbone: Backbone,
  imageShape: readonly [number, number, number],
): PatchGeometry {
  const [H, W] = imageShape;
  const [featH, featW] = backbone.outSize(H, W);
  const stride = H / featH;
  if (!Number.isInteger(stride) || stride * featW !== W) {
    throw new Error(
      `${who}: the backbone maps ${H}x${W} images to ${featH}x${featW}, which is no integer ` +
        `stride; use an image size that is a multiple of the backbone's stride`,
    );
  }
  const p = patch === "auto" ? stride : patch;
  if (H % p !== 0 || W % p !== 0) {
    throw new Error(
      `${who}: patch ${p} does not divide the ${H}x${W} images; pick a divisor such as ` +
        `${stride} (the backbone stride) or "auto"`,
    );
  }
  return { patch: p, gridH: H / p, gridW: W / p, featH, featW, stride };
}
