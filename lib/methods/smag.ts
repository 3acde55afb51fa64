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
 * map (`featureCellMask`: a cell is visible when strictly more than a fraction
 * `cellVisibleAbove` of its pixels are kept, default 0.5, the majority rule)
 * and passed as `tokenMask`; `sam`/`gam`/`hsagm` then
 * exclude masked cells from their softmax or keep them (their own
 * `maskedTokens` flag), `gap` ignores the mask. The unmasked view gets an
 * all-visible mask. Masks are applied after normalisation, so the `zero` fill
 * is the dataset's mean colour.
 *
 * Options: {@link SMAG_OPTIONS} (`deno task train --method smag --help`). Notes:
 * - `mask` "none" is plain SimCLR + neck (the mask-vs-no-mask ablation), "token" random
 *   squares (Fig. 4), "grid" an exact ratio on a patch grid (MAE form).
 * - `tokenSize`, `tokenCount` "auto" rescale the paper's Fig. 4 setting (20x20 tokens, 200
 *   of them on 224x224) to the image size keeping the expected masked-area fraction
 *   (`scaleTokenSpec`, presets in `lib/config/presets.ts`): 3x3 x 171 on 32x32, about 76 %
 *   masked. With only `tokenCount` "auto", the count is fitted to the paper's masked
 *   fraction for the given side. Table 3's grid (10/20 px x 100/200 tokens) maps to
 *   1x1/203, 1x1/404, 3x3/89, 3x3/171 on 32x32.
 * - `fill` is N of F2, a name (`zero`, `noise` (std 1), `mean`, `blur`, `constant` (0),
 *   `highpass-noise`) or a fill object, e.g. `{"kind":"noise","std":0.5}`.
 * - `maskViews` "one" masks view 1 only (the clean view is the target, as in the saliency
 *   paper's finding that masking one branch works better), "both" draws independent masks.
 * - `lambdaCls` > 0 adds the supervised term L_cls (softmax cross-entropy of a linear
 *   classifier on the neck output, both views, the batch labels of `StepInput`) and makes
 *   the method **supervised** (every training image's label is used; the paper's
 *   semi-supervised budgets would need the trainer to pass -1 for unlabelled images, which
 *   `softmaxCrossEntropy` ignores). The classifier (`smag.classifier.*`) is trained with the
 *   encoder and is not part of the evaluated representation.
 *
 * Metrics: with a mask, `visibleCells` (mean fraction of the masked views' feature cells the
 * neck sees as visible) and `noVisibleCell` (fraction of masked views with no visible cell:
 * their attention is uniform, i.e. GAP), so that `metrics.jsonl`, `result.json` and the
 * ablation tables show whether the gating saw the masks at all; with `lambdaCls > 0` also
 * `ssl` (the InfoNCE term) and `cls`; with `mask: "learned"` also `budget` (the generator's
 * budget term) and `maskedFraction`.
 *
 * Visibility rule (`cellVisibleAbove`, added 2026-12-03; the paper does not say how a pixel
 * mask reaches HSAGM's tokens, section 3.3): with the default 0.5 the area-scaled Fig. 4 mask
 * (3x3 px x 171 on 32x32, 8-px cells) leaves ~3 % of the cells visible and ~63 % of the
 * masked views with none, while 1x1 tokens leave nearly all visible, so token size also
 * decides whether the gating sees the mask. 0 makes a cell visible when any of its pixels is
 * kept. The default is the kit's earlier rule, so earlier runs keep their meaning.
 *
 * Learned masks (`mask: "learned"`, S-MAG F3 / F4 from `lib/masking/learned_masks.ts`): a
 * generator (`generator` "conv": F4 on the clean view's feature map; "mlp": F3 on the neck's
 * attention map) gives a soft mask over the feature cells of view 1 inside the gradient tape;
 * it is trained adversarially (gradient reversal: it ascends the InfoNCE loss the encoder
 * descends, as in ADIOS) under the budget `lambdaMask (mean masked fraction - ratio)^2`. The
 * generator's parameters (`smag.maskGenerator.*`) are trained and checkpointed with the
 * encoder and are not part of the evaluated representation. View 2 stays clean.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { simclrCifarRecipe, stepViewPair, type ViewRecipe } from "../augment/views.ts";
import { ntXent } from "../losses/nt_xent.ts";
import { softmaxCrossEntropy, sslWithClassification } from "../losses/classification.ts";
import { Linear } from "../nn/layers.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import type { MaskFill } from "../masking/visual_mask.ts";
import { keptTokenCount } from "../masking/token_masks.ts";
import { allVisibleCells, maskImages, type MaskSpec } from "../masking/mask_images.ts";
import { AttentionMaskMlp, ConvMaskGenerator, reverseGradient } from "../masking/learned_masks.ts";
import { visibleCellStats } from "../masking/feature_cell_mask.ts";
import type { ForwardContext } from "../nn/layers.ts";
import { smagTokenSpec } from "../config/presets.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { StepInput, StepLoss } from "./method.ts";
import { SingleStoreMethod } from "./single_store_method.ts";
import { type MethodContext, registerMethod } from "./registry.ts";
import {
  choiceOption,
  defineOptions,
  fillOption,
  numberOption,
  numberOrAutoOption,
  optionError,
  type OptionValues,
  readOptions,
} from "./option_schema.ts";

/** The options of `smag`. */
export const SMAG_OPTIONS = defineOptions({
  temperature: numberOption(0.5, "tau of F1 (the paper gives none; SimCLR CIFAR's value)", {
    above: 0,
  }),
  mask: choiceOption(
    ["none", "token", "grid", "learned"] as const,
    "token",
    "no mask, random square tokens (Fig. 4), an exact ratio of grid cells (MAE form) or a " +
      "learned mask (F3 / F4, trained adversarially)",
  ),
  tokenSize: numberOrAutoOption("auto", "token side in pixels; auto: the paper's scaled", {
    integer: true,
    min: 1,
  }, { appliesWhen: 'mask = "token"' }),
  tokenCount: numberOrAutoOption("auto", "number of random squares (may overlap); auto: scaled", {
    integer: true,
    min: 0,
  }, { appliesWhen: 'mask = "token"' }),
  ratio: numberOption(
    0.5,
    "fraction of the grid cells masked (exact per image; learned: the target of the budget)",
    { min: 0, below: 1 },
    { appliesWhen: 'mask = "grid" or "learned"' },
  ),
  grid: numberOption(8, "grid side (cells per image side)", { integer: true, min: 1 }, {
    appliesWhen: 'mask = "grid"',
  }),
  generator: choiceOption(
    ["conv", "mlp"] as const,
    "conv",
    "learned mask generator: F4 conv stack on the feature map, or F3 MLP on the neck's " +
      "attention map (needs a sam / gam / hsagm neck)",
    { appliesWhen: 'mask = "learned"' },
  ),
  lambdaMask: numberOption(
    1,
    "weight of the generator's budget (mean masked fraction - ratio)^2",
    { min: 0 },
    { appliesWhen: 'mask = "learned"' },
  ),
  fill: fillOption("zero", "N of F2: what masked pixels become (after normalisation)"),
  maskViews: choiceOption(
    ["one", "both"] as const,
    "one",
    "mask view 1 only (view 2 is the clean target) or both views independently",
  ),
  lambdaCls: numberOption(0, "weight of the supervised term L_cls (> 0: supervised)", {
    min: 0,
  }),
  cellVisibleAbove: numberOption(
    0.5,
    "a feature cell is visible to the neck when more than this fraction of its pixels are " +
      "kept (0.5: majority; 0: any kept pixel)",
    { min: 0, below: 1 },
    { appliesWhen: 'mask != "none"' },
  ),
});

/** Read `smag` options. */
export type SmagOptions = OptionValues<typeof SMAG_OPTIONS>;

/** How S-MAG draws its masks, after option parsing. */
export type SmagMaskSpec =
  | { kind: "none" }
  | { kind: "token"; tokenSize: number; tokenCount: number }
  | { kind: "grid"; ratio: number; grid: number }
  | { kind: "learned"; generator: "conv" | "mlp"; ratio: number; lambdaMask: number };

/** The batch of one S-MAG step. */
export interface SmagBatch {
  /** `[N,H,W,C]` view 1 (masked unless `mask` is "none"). */
  v1: tf.Tensor4D;
  /** `[N,H,W,C]` view 2 (masked only with `maskViews` "both"). */
  v2: tf.Tensor4D;
  /**
   * `[2N, h*w]` feature cells visible to the neck, rows 0..N-1 for view 1
   * (1 = visible); absent for `mask` "none" and "learned" (drawn in `loss`).
   */
  tokenMask?: tf.Tensor2D;
  /**
   * `mask: "learned"` only: the generator's input for view 1 (feature map or
   * attention, computed outside the tape) and the neck's cells `[2N, h*w]`.
   */
  learned?: { input: tf.Tensor; tokenMask: tf.Tensor2D };
}

/** What a learned-mask generator is: F4 on the feature map, or F3 on the neck's attention. */
type MaskGenerator =
  | { kind: "conv"; net: ConvMaskGenerator }
  | { kind: "mlp"; net: AttentionMaskMlp; attention: AttentionNeck["attention"] };

/** A neck with an attention map over the feature cells (SAM, GAM, HSAGM). */
interface AttentionNeck {
  attention(fmap: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D;
}

/** The S-MAG method (see module docs). */
export class Smag extends SingleStoreMethod<SmagBatch> {
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
  /** The mask generator (`smag.maskGenerator.*`), only for `mask: "learned"`. */
  readonly generator: MaskGenerator | undefined;
  /** Visibility rule of the feature cells (see `featureCellMask`). */
  readonly cellVisibleAbove: number;
  readonly #recipe: ViewRecipe;

  constructor(cfg: ExperimentConfig, ctx: MethodContext) {
    super(cfg.seed);
    const opt = readOptions("smag", SMAG_OPTIONS, cfg.methodOptions);
    const [H, W] = ctx.imageShape;
    this.temperature = opt.temperature;
    this.mask = smagMaskSpec(opt, H, W);
    this.fill = opt.fill;
    this.maskViews = opt.maskViews;
    this.lambdaCls = opt.lambdaCls;
    this.cellVisibleAbove = opt.cellVisibleAbove;
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
    this.generator = this.mask.kind === "learned"
      ? this.#buildGenerator(this.mask.generator)
      : undefined;
    this.#recipe = simclrCifarRecipe(ctx.stats, { cropScale: cfg.views?.cropScale });
  }

  #buildGenerator(kind: "conv" | "mlp"): MaskGenerator {
    const name = "smag.maskGenerator";
    if (kind === "conv") {
      const net = new ConvMaskGenerator(this.store, name, {
        inChannels: this.encoder.backbone.outChannels,
      });
      return { kind, net };
    }
    const neck = this.encoder.neck as Partial<AttentionNeck>;
    if (typeof neck.attention !== "function") {
      throw optionError(
        "smag",
        "generator",
        kind,
        '"conv", or "mlp" with a neck that has an attention map (--neck sam, gam or hsagm)',
      );
    }
    const [fh, fw] = this.featureSize;
    const net = new AttentionMaskMlp(this.store, name, { tokens: fh * fw, range: "unit" });
    return { kind, net, attention: neck.attention.bind(neck) };
  }

  /** Two views, view 1 (and view 2 with `maskViews` "both") masked, and their cell masks. */
  prepare(input: StepInput): SmagBatch {
    const [v1, v2] = stepViewPair(input, this.#recipe);
    const spec = this.#maskSpec();
    if (this.generator) return { v1, v2, learned: this.#prepareLearned(v1, this.generator) };
    if (!spec) return { v1, v2 };
    const views = [v1, v2];
    const cells: tf.Tensor2D[] = [];
    for (let i = 0; i < 2; i++) {
      if (i === 1 && this.maskViews === "one") {
        cells.push(allVisibleCells(v1.shape[0], this.featureSize));
        continue;
      }
      const out = maskImages({
        images: views[i],
        spec,
        fill: this.fill,
        featureSize: this.featureSize,
        visibleAbove: this.cellVisibleAbove,
        rng: input.rng,
      });
      cells.push(out.cells!);
      out.tokens?.dispose();
      views[i].dispose();
      views[i] = out.images;
    }
    const tokenMask = tf.concat(cells, 0);
    tf.dispose(cells);
    return { v1: views[0], v2: views[1], tokenMask };
  }

  loss(batch: SmagBatch, input: StepInput): StepLoss {
    if (this.generator) return this.#learnedMaskLoss(batch, input, this.generator);
    return this.#contrastiveLoss(batch, input);
  }

  /** InfoNCE F1 of the two views through encoder, neck and head (+ L_cls when configured). */
  #contrastiveLoss({ v1, v2, tokenMask }: SmagBatch, input: StepInput): StepLoss {
    const ctx = { training: true };
    const n = v1.shape[0];
    // Both views in one pass: batch-norm statistics cover all 2N views.
    const e = this.encoder.embed(tf.concat([v1, v2], 0), ctx, tokenMask);
    const z = this.encoder.head!.apply(e, ctx);
    const [z1, z2] = tf.split(z, [n, n], 0) as tf.Tensor2D[];
    const ssl = ntXent(z1, z2, this.temperature);
    const visible = tokenMask ? this.#visibleStats(tokenMask, n) : {};
    if (!this.classifier) {
      return { loss: ssl, ...(tokenMask ? { metrics: { ...visible } } : {}) };
    }
    const labels = tf.concat([input.labels, input.labels], 0) as tf.Tensor1D;
    const cls = softmaxCrossEntropy(this.classifier.apply(e), labels);
    return {
      loss: sslWithClassification(ssl, cls, this.lambdaCls),
      metrics: { ssl, cls, ...visible },
    };
  }

  /**
   * `visibleCells` and `noVisibleCell` of the masked views' rows of `tokenMask` `[2N, h*w]`
   * (view 1; both views with `maskViews` "both" and a random mask).
   */
  #visibleStats(tokenMask: tf.Tensor2D, n: number): Record<string, tf.Scalar> {
    const bothMasked = this.maskViews === "both" && !this.generator;
    const rows = bothMasked ? tokenMask : tf.slice(tokenMask, [0, 0], [n, -1]);
    const stats = visibleCellStats(rows);
    if (rows !== tokenMask) rows.dispose();
    return { visibleCells: stats.visibleCells, noVisibleCell: stats.noVisibleCell };
  }

  /**
   * The generator's input for clean view 1 (outside the tape, eval mode): the
   * feature map (conv) or the neck's attention over it (mlp), and the cells
   * the neck sees as visible (soft mask > `cellVisibleAbove`; view 2 all visible).
   */
  #prepareLearned(v1: tf.Tensor4D, generator: MaskGenerator): SmagBatch["learned"] {
    return tf.tidy(() => {
      const n = v1.shape[0];
      const fmap = this.encoder.featureMap(v1, { training: false });
      const input = generator.kind === "conv"
        ? fmap
        : generator.attention(fmap, { training: false });
      const soft = this.#softMask(input, generator);
      const visible = tf.cast(tf.greater(soft, this.cellVisibleAbove), "float32") as tf.Tensor2D;
      const tokenMask = tf.concat([visible, allVisibleCells(n, this.featureSize)], 0);
      return { input, tokenMask };
    });
  }

  /** Soft cell mask `[N, h*w]` (1 = kept) of the generator for its input. */
  #softMask(input: tf.Tensor, generator: MaskGenerator): tf.Tensor2D {
    const [fh, fw] = this.featureSize;
    return generator.kind === "conv"
      ? tf.reshape(generator.net.apply(input as tf.Tensor4D), [input.shape[0], fh * fw])
      : generator.net.apply(input as tf.Tensor2D);
  }

  /**
   * The loss with a learned mask on view 1: the generator's soft cell mask m
   * (from the input {@link prepare} computed) is expanded to pixels through a
   * gradient reversal and view 1 becomes `x * M + (1 - M) * N`, so the
   * generator ascends the InfoNCE loss the encoder descends; the neck sees the
   * cells with m > `cellVisibleAbove` as visible. The generator's budget term
   * `lambdaMask (mean(1 - m) - ratio)^2` keeps it from masking everything.
   * Metrics: `ssl`, `budget` and `maskedFraction` (mean of 1 - m).
   */
  #learnedMaskLoss(batch: SmagBatch, input: StepInput, generator: MaskGenerator): StepLoss {
    const spec = this.mask as Extract<SmagMaskSpec, { kind: "learned" }>;
    const { v1, v2, learned } = batch;
    const [fh, fw] = this.featureSize;
    const soft = this.#softMask(learned!.input, generator);
    const masked = maskImages({
      images: v1,
      spec: { kind: "learned", cells: reverseGradient(soft), h: fh, w: fw },
      fill: this.fill,
      rng: input.rng,
    }).images;
    const core = this.#contrastiveLoss({ v1: masked, v2, tokenMask: learned!.tokenMask }, input);
    const maskedFraction = tf.mean(tf.sub(1, soft)) as tf.Scalar;
    const budget = tf.mul(
      tf.square(tf.sub(maskedFraction, spec.ratio)),
      spec.lambdaMask,
    ) as tf.Scalar;
    return {
      loss: tf.add(core.loss, budget) as tf.Scalar,
      metrics: { ssl: core.loss, ...core.metrics, budget, maskedFraction },
    };
  }

  /** The mask spec of {@link maskImages} for this method's `mask` (undefined: none or learned). */
  #maskSpec(): MaskSpec | undefined {
    const m = this.mask;
    if (m.kind === "none" || m.kind === "learned") return undefined;
    if (m.kind === "token") {
      return { kind: "token", tokenSize: m.tokenSize, tokenCount: m.tokenCount };
    }
    return { kind: "grid", gridH: m.grid, gridW: m.grid, ratio: m.ratio };
  }
}

/** The mask of read `smag` options for `H x W` images ("auto" token settings resolved). */
export function smagMaskSpec(opt: SmagOptions, H: number, W: number): SmagMaskSpec {
  const kind = opt.mask;
  if (kind === "none") return { kind };
  if (kind === "learned") {
    return { kind, generator: opt.generator, ratio: opt.ratio, lambdaMask: opt.lambdaMask };
  }
  const side = Math.min(H, W);
  if (kind === "grid") {
    if (opt.grid > side) {
      throw optionError("smag", "grid", opt.grid, `an integer >= 1 <= ${side}`);
    }
    keptTokenCount(opt.grid * opt.grid, opt.ratio); // throws when no cell would stay visible
    return { kind, ratio: opt.ratio, grid: opt.grid };
  }
  const size = opt.tokenSize;
  const count = opt.tokenCount;
  if (size !== "auto" && size > side) {
    throw optionError("smag", "tokenSize", size, `"auto" or an integer >= 1 <= ${side}`);
  }
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
  const scaled = smagTokenSpec(H, size === "auto" ? undefined : size);
  return { kind, tokenSize: scaled.tokenSize, tokenCount: scaled.tokenCount };
}

registerMethod({
  name: "smag",
  description:
    "S-MAG: masked views (F2) -> encoder -> mask-aware gating neck -> InfoNCE (F1), optional L_cls",
  options: SMAG_OPTIONS,
  build: (cfg, ctx) => new Smag(cfg, ctx),
});
