/**
 * # lib/masking: where and how to mask images
 *
 * Everything needed to build masked views for self-supervised training, one
 * concept per file; each function is usable on its own (import it into a
 * notebook), takes its randomness from an explicit {@link Rng}, and returns
 * new tensors that the caller disposes.
 *
 * ## Conventions
 *
 * - Images x: `[N,H,W,C]` float32 (NHWC).
 * - Pixel masks M: `[N,H,W,1]` float32, **1 = kept (visible), 0 = masked**
 *   (S-MAG F2: `x * M + (1 - M) * N`). Soft values in [0,1] are allowed.
 * - Token masks on a `gridH x gridW` grid: `[N,L]` float32, `L = gridH*gridW`,
 *   row-major, **1 = kept**. Expand with `tokenMaskToPixels`.
 * - Index tensors (`idsKeep`, `idsShuffle`, `idsRestore`): int32, MAE layout.
 * - Foreground maps: `[N,h,w]` or `[N,L]` float32, 1 = foreground.
 * - The imputation part of S-MAG (F10-F12) and MAE's own `mask` use the
 *   opposite convention (1 = missing): convert with `invertMask`.
 *
 * ## Contents
 *
 * | file | what |
 * |---|---|
 * | `mask_images.ts` | **`maskImages`**: the one pipeline the methods call (token / grid / saliency / given / learned mask -> pixels -> fill -> feature-cell mask) |
 * | `feature_cell_mask.ts` | `featureCellMask`: pixel mask -> the cells of the backbone's feature map a neck reads; `cellMaskToPixels` back (differentiable) |
 * | `saliency_masker.ts` | `SaliencyMasker` / `ViewVariants`: saliency maps from an encoder, light masks and hard negatives per view |
 * | `visual_mask.ts` | F2 `applyVisualMask` with fills noise / zero / mean / blur / constant / highpass-noise; `highPass`, `maskFillImage` |
 * | `token_masks.ts` | S-MAG random square tokens (`randomTokenMask`, Fig. 4), `scaleTokenSpec` (224 -> 32 keeping the expected masked area), MAE `gridMask` with exact ratio, `tokenMaskToPixels` |
 * | `multi_masks.ts` | KDC-MAE `complementaryMasks` (disjoint visible sets) and `overlappingMasks` |
 * | `saliency.ts` | relaxed / strict SCDA foreground, `resizeGridMask`, `saliencyGuidedMask`, `hardNegativeMask` (seed 001) |
 * | `learned_masks.ts` | F3 `AttentionMaskMlp`, F4 `ConvMaskGenerator` over a `ParamStore`, `reverseGradient` (smag `mask: "learned"`) |
 * | `mask_grid.ts` | `tileColumns` (tensor columns -> one RGB image; `lib/plot` has the figure `imageGrid`), Fig. 4 style `maskGrid` (original / mask / masked), `encodePng` |
 * | `invert_mask.ts` | `invertMask` between the two conventions |
 *
 * ## Example (S-MAG Fig. 4 on CIFAR-sized images)
 *
 * ```ts
 * import { Rng } from "../rng.ts";
 * import { applyVisualMask, encodePng, maskGrid, randomTokenMask, scaleTokenSpec } from "./mod.ts";
 * // images: [8,32,32,3] float32 in [0,1]
 * const rng = new Rng(0);
 * const spec = scaleTokenSpec({ tokenSize: 20, tokenCount: 200 }, 32); // 3x3 x 171
 * const masks = randomTokenMask({ n: 8, height: 32, width: 32, ...spec, rng });
 * const masked = applyVisualMask(images, masks, { kind: "noise", std: 0.5 }, rng);
 * await Deno.writeFile("fig4.png", encodePng(maskGrid({ images, masks, masked })));
 * ```
 *
 * @module
 */
export * from "./visual_mask.ts";
export * from "./token_masks.ts";
export * from "./multi_masks.ts";
export * from "./saliency.ts";
export * from "./learned_masks.ts";
export * from "./mask_grid.ts";
export * from "./invert_mask.ts";
export * from "./feature_cell_mask.ts";
export * from "./mask_images.ts";
export * from "./saliency_masker.ts";
