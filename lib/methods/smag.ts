/**
 * S-MAG (seed 000): self-supervised encoder with mask-aware gating.
 *
 * Pipeline per step: two augmented views of each image (SimCLR CIFAR recipe,
 * normalised) -> visual mask structure F2 on one or both views,
 * `x * M + (1 - M) * N` -> CNN backbone -> gating neck (from the encoder
 * config: `gap` = Table 4 "Baseline", `sam`, `gam`, `hsagm`) -> projection
 * head -> in-batch InfoNCE F1 in the SimCLR / NT-Xent form (the other view
 * is the positive, the other 2N - 2 views the negatives).
 *
 * The neck sees where the mask is: the pixel mask is reduced to the feature
 * map (`featureCellMask`: a cell is visible when strictly more than half of
 * its pixels are kept) and passed as `tokenMask`; `sam`/`gam`/`hsagm` then
 * exclude masked cells from their softmax or keep them (their own
 * `maskedTokens` flag), `gap` ignores the mask. The unmasked view gets an
 * all-visible mask. Masks are applied after normalisation, so the `zero` fill
 * is the dataset's mean colour.
 *
 * Options (`methodOptions`, defaults in brackets):
 * - `temperature` [0.5]: tau of F1 (the paper gives none; SimCLR CIFAR's value).
 * - `mask` ["token"]: `"none"` (plain SimCLR + neck: the mask-vs-no-mask
 *   ablation), `"token"` (random squares, Fig. 4) or `"grid"` (exact ratio on
 *   a patch grid, MAE form).
 * - `tokenSize`, `tokenCount` ["auto"]: side in pixels and number of random
 *   squares (they may overlap). `"auto"` rescales the paper's Fig. 4 setting
 *   (20x20 tokens, 200 of them on 224x224) to the image size keeping the
 *   expected masked-area fraction (`scaleTokenSpec`): 3x3 x 171 on 32x32,
 *   about 76 % masked. With only `tokenCount` "auto", the count is fitted to
 *   the paper's masked fraction for the given side. Table 3's grid (10/20 px x
 *   100/200 tokens) maps to 1x1/203, 1x1/404, 3x3/89, 3x3/171 on 32x32.
 * - `ratio` [0.5], `grid` [8]: for `mask: "grid"`, the fraction of the
 *   `grid x grid` cells masked (exact per image).
 * - `fill` ["zero"]: N of F2, a name (`zero`, `noise` (std 1), `mean`, `blur`,
 *   `constant` (0), `highpass-noise`) or a fill object, e.g. `{"kind":"noise","std":0.5}`.
 * - `maskViews` ["one"]: mask view 1 only (the clean view is the target, as
 *   in the saliency paper's finding that masking one branch works better) or
 *   `"both"` (independent masks per view).
 * - `lambdaCls` [0]: weight of the supervised term L_cls (softmax
 *   cross-entropy of a linear classifier on the neck output, both views, the
 *   batch labels of `StepInput`). 0 keeps the method purely self-supervised;
 *   any value > 0 makes it **supervised** (every training image's label is
 *   used; the paper's semi-supervised budgets would need the trainer to pass
 *   -1 for unlabelled images, which `softmaxCrossEntropy` ignores). The
 *   classifier (`smag.classifier.*`) is trained with the encoder and is not
 *   part of the evaluated representation.
 *
 * Metrics (only when `lambdaCls > 0`): `ssl` (the InfoNCE term) and `cls`.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { makeViewPair, simclrCifarRecipe, type ViewRecipe } from "../augment/views.ts";
import { ntXent } from "../losses/nt_xent.ts";
import { softmaxCrossEntropy, sslWithClassification } from "../losses/classification.ts";
import { Linear } from "../nn/layers.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import { applyVisualMask, type MaskFill } from "../masking/visual_mask.ts";
import {
  gridMask,
  keptTokenCount,
  randomTokenMask,
  scaleTokenSpec,
  tokenMaskToPixels,
} from "../masking/token_masks.ts";
import type { Rng } from "../rng.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { StepInput, StepLoss } from "./method.ts";
import { SingleStoreMethod } from "./single_store_method.ts";
import { type MethodContext, registerMethod } from "./registry.ts";
import { OptionReader } from "./method_options.ts";
import { featureCellMask } from "./feature_cell_mask.ts";

/** The paper's Fig. 4 token setting on 224x224 inputs, the `"auto"` default. */
export const SMAG_FIG4_TOKENS = { tokenSize: 20, tokenCount: 200 } as const;

/** How S-MAG draws its masks, after option parsing. */
export type SmagMaskSpec =
  | { kind: "none" }
  | { kind: "token"; tokenSize: number; tokenCount: number }
  | { kind: "grid"; ratio: number; grid: number };

/** The S-MAG method (see module docs). */
export class Smag extends SingleStoreMethod {
  readonly name = "smag";
  readonly encoder: Encoder;
  readonly temperature: number;
  readonly mask: SmagMaskSpec;
  readonly fill: MaskFill;
  readonly maskViews: "one" | "both";
  readonly lambdaCls: number;
  /** Linear classifier on the neck output (only when lambdaCls > 0). */
  readonly classifier: Linear | undefined;
  /** Feature-map size for the training images. */
  readonly featureSize: [number, number];
  readonly #recipe: ViewRecipe;

  constructor(cfg: ExperimentConfig, ctx: MethodContext) {
    super(cfg.seed);
    const opt = new OptionReader("smag", cfg.methodOptions);
    const [H, W] = ctx.imageShape;
    this.temperature = opt.number("temperature", { above: 0 });
    this.mask = parseMask(opt, H, W);
    this.fill = opt.fill("fill");
    this.maskViews = opt.choice("maskViews", ["one", "both"] as const);
    this.lambdaCls = opt.number("lambdaCls", { min: 0 });
    if (!cfg.encoder.head) {
      throw new Error(
        "smag: the encoder config has no head; S-MAG needs the projection head " +
          '(encoder.head = { type: "projection", hidden: 256, out: 256 })',
      );
    }
    this.encoder = buildEncoder(this.store, cfg.encoder);
    this.featureSize = this.encoder.backbone.outSize(H, W);
    if (
      this.mask.kind !== "none" && (H % this.featureSize[0] !== 0 ||
        W % this.featureSize[1] !== 0)
    ) {
      throw new Error(
        `smag: the backbone maps ${H}x${W} images to ${this.featureSize.join("x")}, not an ` +
          `integer stride, so the mask cannot be passed to the neck; use mask "none" or another size`,
      );
    }
    this.classifier = this.lambdaCls > 0
      ? new Linear(this.store, "smag.classifier", {
        inFeatures: this.encoder.neck.outFeatures,
        outFeatures: ctx.numClasses,
      })
      : undefined;
    this.#recipe = simclrCifarRecipe(ctx.stats, { cropScale: cfg.views?.cropScale });
  }

  /**
   * Returns `[view1, view2]` for `mask: "none"`, else `[view1, view2, tokenMask]`
   * with tokenMask `[2N, h*w]` (rows 0..N-1 for view 1, 1 = visible cell).
   */
  prepare(input: StepInput): tf.Tensor[] {
    const [v1, v2] = makeViewPair(input.images, this.#recipe, input.rng);
    if (this.mask.kind === "none") return [v1, v2];
    const views = [v1, v2];
    const cells: tf.Tensor2D[] = [];
    const [fh, fw] = this.featureSize;
    for (let i = 0; i < 2; i++) {
      if (i === 1 && this.maskViews === "one") {
        cells.push(tf.ones([v1.shape[0], fh * fw]));
        continue;
      }
      const pixels = this.#pixelMask(views[i], input.rng);
      const masked = applyVisualMask(views[i], pixels, this.fill, input.rng);
      cells.push(featureCellMask(pixels, fh, fw));
      views[i].dispose();
      views[i] = masked;
      pixels.dispose();
    }
    const tokenMask = tf.concat(cells, 0);
    tf.dispose(cells);
    return [views[0], views[1], tokenMask];
  }

  loss(inputs: tf.Tensor[], input: StepInput): StepLoss {
    const [v1, v2, tokenMask] = inputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor2D?];
    const ctx = { training: true };
    const n = v1.shape[0];
    // Both views in one pass: batch-norm statistics cover all 2N views.
    const e = this.encoder.embed(tf.concat([v1, v2], 0), ctx, tokenMask);
    const z = this.encoder.head!.apply(e, ctx);
    const [z1, z2] = tf.split(z, [n, n], 0) as tf.Tensor2D[];
    const ssl = ntXent(z1, z2, this.temperature);
    if (!this.classifier) return { loss: ssl };
    const labels = tf.concat([input.labels, input.labels], 0) as tf.Tensor1D;
    const cls = softmaxCrossEntropy(this.classifier.apply(e), labels);
    return { loss: sslWithClassification(ssl, cls, this.lambdaCls), metrics: { ssl, cls } };
  }

  /** Pixel mask [N,H,W,1] (1 = kept) for a view [N,H,W,C]. */
  #pixelMask(view: tf.Tensor4D, rng: Rng): tf.Tensor4D {
    const [n, H, W] = view.shape;
    const spec = this.mask;
    if (spec.kind === "token") {
      return randomTokenMask({ n, height: H, width: W, ...spec, rng });
    }
    if (spec.kind !== "grid") throw new Error('smag: no mask to draw for mask "none"');
    const g = gridMask({ n, gridH: spec.grid, gridW: spec.grid, ratio: spec.ratio, rng });
    const pixels = tokenMaskToPixels(g.mask, spec.grid, spec.grid, H, W);
    tf.dispose([g.mask, g.idsKeep, g.idsRestore, g.idsShuffle]);
    return pixels;
  }
}

function parseMask(opt: OptionReader, H: number, W: number): SmagMaskSpec {
  const kind = opt.choice("mask", ["none", "token", "grid"] as const);
  if (kind === "none") return { kind };
  if (kind === "grid") {
    const grid = opt.number("grid", { integer: true, min: 1, max: Math.min(H, W) });
    const ratio = opt.number("ratio", { min: 0, below: 1 });
    keptTokenCount(grid * grid, ratio); // throws when no cell would stay visible
    return { kind, ratio, grid };
  }
  const size = opt.numberOrAuto("tokenSize", { integer: true, min: 1, max: Math.min(H, W) });
  const count = opt.numberOrAuto("tokenCount", { integer: true, min: 0 });
  if (size !== "auto" && count !== "auto") return { kind, tokenSize: size, tokenCount: count };
  if (size === "auto" && count !== "auto") {
    throw new Error(
      'smag: option "tokenSize" is "auto" but "tokenCount" is fixed; give both numbers, ' +
        'or set tokenCount to "auto" as well',
    );
  }
  if (H !== W) {
    throw new Error(
      `smag: "auto" token sizes need square images, got ${H}x${W}; set tokenSize and ` +
        `tokenCount explicitly`,
    );
  }
  const scaled = scaleTokenSpec(SMAG_FIG4_TOKENS, H, size === "auto" ? {} : { tokenSize: size });
  return { kind, tokenSize: scaled.tokenSize, tokenCount: scaled.tokenCount };
}

registerMethod({
  name: "smag",
  description:
    "S-MAG: masked views (F2) -> encoder -> mask-aware gating neck -> InfoNCE (F1), optional L_cls",
  defaults: {
    temperature: 0.5,
    mask: "token",
    tokenSize: "auto",
    tokenCount: "auto",
    ratio: 0.5,
    grid: 8,
    fill: "zero",
    maskViews: "one",
    lambdaCls: 0,
  },
  build: (cfg, ctx) => new Smag(cfg, ctx),
});
