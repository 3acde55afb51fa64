/**
 * Masked image modelling in siamese form (Kong & Zhang, CVPR 2023, seed 003):
 * one occlusion, three similarity measures, so that only the similarity
 * changes between runs.
 *
 * Per step: one MAE-style view (crop + flip, normalised) -> one grid mask M
 * per image (`ratio` of the patches masked, exact; patch side `patch`,
 * `"auto"` = backbone stride) -> the masked view `x*M + (1-M)*fill` and its
 * complement `x*(1-M) + M*fill` (the "complementary visible part"). The mask
 * is drawn before any other random draw of the step, so for one seed every
 * similarity sees the same masks.
 *
 * `similarity`:
 * - `"pixel-l2"` (MAE form): masked view -> backbone -> per-cell linear
 *   decoder (`PatchDecoder`) -> predicted patches; MSE against the per-patch
 *   normalised pixels of the masked patches, i.e. the content of the
 *   complementary view. The complement never goes through the encoder.
 * - `"cosine"` (SimSiam form): both views -> encoder (the neck gets each
 *   view's visible cells) -> projection head z -> predictor MLP p
 *   (Linear-BN-ReLU-Linear, bottleneck width D/4). Loss
 *   `(D(p1, sg(z2)) + D(p2, sg(z1))) / 2`, D = 1 - cosine, sg = stop-gradient,
 *   symmetric because the two views play interchangeable roles. Role of the
 *   predictor against collapse: with a stop-gradient target, the predictor
 *   lets the online branch match the target only through a learned map, and
 *   it is this asymmetry (predictor + stop-gradient) that keeps the
 *   constant-output solution from being reached in practice (Chen & He 2021
 *   show that removing either collapses SimSiam); there are no negatives here.
 * - `"infonce"`: both views -> encoder -> projection head; in-batch InfoNCE
 *   between the two views' projections (cosine, tau = `temperature`), both
 *   directions averaged; the other images of the batch are the negatives,
 *   which is what prevents collapse here.
 *
 * The projection head of the encoder config is built only for cosine and
 * infonce (they need one). Options: {@link MIM_SIAMESE_OPTIONS}
 * (`deno task train --method mim-siamese --help`).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { makeView, type ViewRecipe } from "../augment/views.ts";
import { cosineSimilarityLoss, infoNceSimilarity, pixelL2 } from "../losses/similarity.ts";
import { keptTokenCount } from "../masking/token_masks.ts";
import { invertMask } from "../masking/invert_mask.ts";
import type { MaskFill } from "../masking/visual_mask.ts";
import { maskImages } from "../masking/mask_images.ts";
import { stopGradient } from "../nn/stop_gradient.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import type { PatchDecoder } from "../models/patch_decoder.ts";
import { ProjectionHead } from "../models/projection_head.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { StepInput, StepLoss } from "./method.ts";
import { SingleStoreMethod } from "./single_store_method.ts";
import { type MethodContext, registerMethod } from "./registry.ts";
import {
  booleanOption,
  choiceOption,
  defineOptions,
  fillOption,
  numberOption,
  numberOrAutoOption,
  readOptions,
} from "./option_schema.ts";
import { maeViewRecipe, type PatchGeometry, patchGeometry } from "./occlusion_views.ts";
import { cellDecoder, reconstructPatches } from "./patch_reconstruction.ts";

/** The similarity measures compared by the method. */
export const MIM_SIMILARITIES = ["pixel-l2", "cosine", "infonce"] as const;
/** One of {@link MIM_SIMILARITIES}. */
export type MimSimilarity = typeof MIM_SIMILARITIES[number];

/** The options of `mim-siamese`. */
export const MIM_SIAMESE_OPTIONS = defineOptions({
  similarity: choiceOption(MIM_SIMILARITIES, "pixel-l2", "the similarity between the two parts"),
  ratio: numberOption(0.75, "fraction masked in the masked view (the complement shows it)", {
    above: 0,
    below: 1,
  }),
  patch: numberOrAutoOption("auto", "patch side in pixels; auto: the backbone's output stride", {
    integer: true,
    min: 1,
  }),
  fill: fillOption("zero", "what masked patches become (zero = the dataset's mean colour)"),
  normPixLoss: booleanOption(true, "target: per-patch normalised pixels", {
    appliesWhen: 'similarity = "pixel-l2"',
  }),
  temperature: numberOption(0.2, "tau of the InfoNCE similarity", { above: 0 }, {
    appliesWhen: 'similarity = "infonce"',
  }),
});

/** pixel-l2 batch: the view (target), its masked copy and the patch mask `[N,L]` (1 = kept). */
export interface MimPixelBatch {
  kind: "pixel";
  view: tf.Tensor4D;
  masked: tf.Tensor4D;
  patchMask: tf.Tensor2D;
}

/**
 * cosine / infonce batch: the masked view, its complement and the cells each
 * shows `[2N, h*w]` (rows 0..N-1 for the masked view, 1 = visible).
 */
export interface MimPairBatch {
  kind: "pair";
  masked: tf.Tensor4D;
  complement: tf.Tensor4D;
  cells: tf.Tensor2D;
}

/** The batch of one MIM-as-siamese step; its layout depends on `similarity`. */
export type MimBatch = MimPixelBatch | MimPairBatch;

/** The MIM-as-siamese method (see module docs). */
export class MimSiamese extends SingleStoreMethod<MimBatch> {
  readonly name = "mim-siamese";
  readonly encoder: Encoder;
  readonly similarity: MimSimilarity;
  readonly ratio: number;
  readonly geometry: PatchGeometry;
  readonly fill: MaskFill;
  readonly normPixLoss: boolean;
  readonly temperature: number;
  /** Pixel decoder (pixel-l2 only). */
  readonly decoder: PatchDecoder | undefined;
  /** SimSiam predictor (cosine only). */
  readonly predictor: ProjectionHead | undefined;
  readonly #recipe: ViewRecipe;

  constructor(cfg: ExperimentConfig, ctx: MethodContext) {
    super(cfg.seed);
    const opt = readOptions("mim-siamese", MIM_SIAMESE_OPTIONS, cfg.methodOptions);
    this.similarity = opt.similarity;
    this.ratio = opt.ratio;
    const patch = opt.patch;
    this.fill = opt.fill;
    this.normPixLoss = opt.normPixLoss;
    this.temperature = opt.temperature;
    const pixel = this.similarity === "pixel-l2";
    if (!pixel && !cfg.encoder.head) {
      throw new Error(
        `mim-siamese: similarity "${this.similarity}" needs the encoder's projection head; ` +
          'add encoder.head = { type: "projection", hidden: 256, out: 256 }',
      );
    }
    this.encoder = buildEncoder(
      this.store,
      pixel ? { backbone: cfg.encoder.backbone, neck: cfg.encoder.neck } : cfg.encoder,
    );
    this.geometry = patchGeometry("mim-siamese", patch, this.encoder.backbone, ctx.imageShape);
    // Throws when the masked view would keep no patch; ratio > 0 keeps the complement non-empty.
    keptTokenCount(this.geometry.gridH * this.geometry.gridW, this.ratio);
    this.decoder = pixel
      ? cellDecoder(this.store, "decoder", this.encoder.backbone, this.geometry, ctx.imageShape[2])
      : undefined;
    if (this.similarity === "cosine") {
      const d = this.encoder.head!.outFeatures;
      this.predictor = new ProjectionHead(this.store, "predictor", d, {
        type: "projection",
        hidden: Math.max(1, Math.floor(d / 4)),
        out: d,
      });
    }
    this.#recipe = maeViewRecipe(ctx.stats);
  }

  /** One view and one grid mask: the masked view with the view (pixel-l2) or its complement. */
  prepare(input: StepInput): MimBatch {
    const view = makeView(input.images, this.#recipe, input.rng);
    const { gridH, gridW, featH, featW } = this.geometry;
    const pixel = this.similarity === "pixel-l2";
    const featureSize = pixel ? undefined : [featH, featW] as const;
    const a = maskImages({
      images: view,
      spec: { kind: "grid", gridH, gridW, ratio: this.ratio },
      fill: this.fill,
      featureSize,
      rng: input.rng,
    });
    const tokens = a.tokens!;
    if (pixel) return { kind: "pixel", view, masked: a.images, patchMask: tokens };
    const complement = invertMask(tokens);
    const b = maskImages({
      images: view,
      spec: { kind: "given", tokens: complement, gridH, gridW },
      fill: this.fill,
      featureSize,
      rng: input.rng,
    });
    const cells = tf.concat([a.cells!, b.cells!], 0);
    tf.dispose([view, tokens, complement, a.cells!, b.cells!]);
    return { kind: "pair", masked: a.images, complement: b.images, cells };
  }

  loss(batch: MimBatch): StepLoss {
    const ctx = { training: true };
    if (batch.kind === "pixel") {
      const { pred, target } = reconstructPatches(
        this.decoder!,
        this.encoder.featureMap(batch.masked, ctx),
        batch.view,
        { patch: this.geometry.patch, normPixLoss: this.normPixLoss },
      );
      const sim = pixelL2(pred, target, batch.patchMask);
      return { loss: sim };
    }
    const { masked: a, complement: b, cells } = batch;
    const n = a.shape[0];
    const z = this.encoder.project(tf.concat([a, b], 0), ctx, cells);
    const [z1, z2] = tf.split(z, [n, n], 0) as tf.Tensor2D[];
    let sim: tf.Scalar;
    if (this.similarity === "cosine") {
      const p = this.predictor!.apply(z, ctx);
      const [p1, p2] = tf.split(p, [n, n], 0) as tf.Tensor2D[];
      sim = tf.mul(
        tf.add(
          cosineSimilarityLoss(p1, stopGradient(z2)),
          cosineSimilarityLoss(p2, stopGradient(z1)),
        ),
        0.5,
      ) as tf.Scalar;
    } else {
      sim = tf.mul(
        tf.add(
          infoNceSimilarity(z1, z2, this.temperature),
          infoNceSimilarity(z2, z1, this.temperature),
        ),
        0.5,
      ) as tf.Scalar;
    }
    return { loss: sim };
  }
}

registerMethod({
  name: "mim-siamese",
  description:
    "MIM as occlusion-invariant siamese learning: one grid mask, similarity pixel-l2 | cosine | infonce",
  options: MIM_SIAMESE_OPTIONS,
  build: (cfg, ctx) => new MimSiamese(cfg, ctx),
});
