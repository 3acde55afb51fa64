/**
 * KDC-MAE (seed 002) with a ConvNet encoder: several masked copies
 * ("streams") of each image through one shared encoder, trained with
 * `L = L_r + lambda_c L_c + lambda_kd L_kd`.
 *
 * Per step: one MAE-style view (crop + flip, normalised) -> `streams` token
 * masks on a patch grid, complementary (pairwise disjoint visible sets) or
 * overlapping (independent), with the same ratio -> each stream's masked
 * patches filled (`fill`, zero = dataset mean colour) -> encoder backbone
 * (all streams in one pass, so batch norm sees every stream) ->
 * - L_r: a per-cell linear decoder (`PatchDecoder`) predicts every patch;
 *   MSE against per-patch normalised pixels of the view, masked patches only,
 *   averaged over streams;
 * - pooled embedding per stream (`pool`): mean over the feature cells visible
 *   in that stream (the analogue of MAE's mean over the encoder's visible
 *   tokens) or the encoder's own neck;
 * - L_c: in-batch InfoNCE (cosine, tau = `temperature`) between the pooled
 *   embeddings of every ordered pair of streams, averaged (for 2 streams this
 *   is the symmetric form; the paper's audio->video term is one direction);
 * - L_kd: symmetric KL (or Jensen-Shannon, `kd: "js"`, what the authors'
 *   code uses) between the streams' pooled embeddings made into distributions
 *   without softmax (min-shift, divide by the sum), mean over stream pairs.
 *
 * The ConvNet's convolutions see the filled patches too; only the decoder's
 * loss, the pooling and the neck mask distinguish them. With `patch: "auto"`
 * the patch side is the backbone's output stride (8 px for a 4-stage CIFAR
 * ResNet on 32x32: 16 patches = the 4x4 feature cells), so each feature cell
 * is either fully visible or fully masked in a stream. Complementary masks
 * need `ratio >= 1 - 1/streams` (0.5 for 2, 0.667 for 3); the masking module
 * rejects other settings when the method is built.
 *
 * The encoder config's projection head is not used (the paper's L_c and L_kd
 * work on the pooled embeddings) and is not built.
 *
 * Options (defaults in brackets): `streams` [2] (2 or 3), `masks`
 * ["complementary"] | "overlap", `ratio` [0.75], `patch` ["auto"] or pixels,
 * `fill` ["zero"] (see `OptionReader.fill`), `normPixLoss` [true],
 * `temperature` [0.05], `lambdaC` [0.01], `lambdaKd` [10] (ablation 5/10/15),
 * `kd` ["kl"] | "js", `weights` ["static"] | "learned", `pool` ["visible"] | "neck".
 *
 * `weights: "learned"` is the paper's "dynamic weights" variant in the kit's
 * form (`UncertaintyWeighting`, Kendall et al. 2018): `sum_i exp(-s_i) L_i + s_i`
 * with one log-variance per term, initialised to `s = -ln(lambda)` so that the
 * starting weights equal the static ones (1, lambdaC, lambdaKd). The s_i are
 * parameters (`lossWeights.rec|con|kd`) in `params()` and `state()`.
 *
 * Metrics: `rec`, `con`, `kd` (unweighted terms); with learned weights also
 * `w_rec`, `w_con`, `w_kd` (the current exp(-s_i)).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { makeView, type ViewRecipe } from "../augment/views.ts";
import { infoNce } from "../losses/info_nce.ts";
import { type KdKind, multiStreamKd } from "../losses/kd_divergence.ts";
import { UncertaintyWeighting, weightedLossSum } from "../losses/loss_weights.ts";
import { maskedPatchMse } from "../losses/mae_reconstruction.ts";
import { complementaryMasks, disposeGridMasks, overlappingMasks } from "../masking/multi_masks.ts";
import type { MaskFill } from "../masking/visual_mask.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import type { PatchDecoder } from "../models/patch_decoder.ts";
import { Rng } from "../rng.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { StepInput, StepLoss } from "./method.ts";
import { SingleStoreMethod } from "./single_store_method.ts";
import { type MethodContext, registerMethod } from "./registry.ts";
import { OptionReader } from "./method_options.ts";
import {
  maeViewRecipe,
  occludeOnGrid,
  type PatchGeometry,
  patchGeometry,
} from "./occlusion_views.ts";
import { cellDecoder, reconstructPatches } from "./patch_reconstruction.ts";

const TERMS = ["rec", "con", "kd"] as const;

/** The KDC-MAE method (see module docs). */
export class KdcMae extends SingleStoreMethod {
  readonly name = "kdc-mae";
  readonly encoder: Encoder;
  readonly decoder: PatchDecoder;
  readonly streams: number;
  readonly masks: "complementary" | "overlap";
  readonly ratio: number;
  readonly geometry: PatchGeometry;
  readonly fill: MaskFill;
  readonly normPixLoss: boolean;
  readonly temperature: number;
  readonly lambdaC: number;
  readonly lambdaKd: number;
  readonly kd: KdKind;
  readonly pool: "visible" | "neck";
  /** Learned loss weights, when `weights: "learned"`. */
  readonly learnedWeights: UncertaintyWeighting | undefined;
  readonly #recipe: ViewRecipe;

  constructor(cfg: ExperimentConfig, ctx: MethodContext) {
    super(cfg.seed);
    const opt = new OptionReader("kdc-mae", cfg.methodOptions);
    this.streams = opt.choice("streams", [2, 3] as const);
    this.masks = opt.choice("masks", ["complementary", "overlap"] as const);
    this.ratio = opt.number("ratio", { min: 0, below: 1 });
    const patch = opt.numberOrAuto("patch", { integer: true, min: 1 });
    this.fill = opt.fill("fill");
    this.normPixLoss = opt.boolean("normPixLoss");
    this.temperature = opt.number("temperature", { above: 0 });
    this.lambdaC = opt.number("lambdaC", { min: 0 });
    this.lambdaKd = opt.number("lambdaKd", { min: 0 });
    this.kd = opt.choice("kd", ["kl", "js"] as const);
    this.pool = opt.choice("pool", ["visible", "neck"] as const);
    const weights = opt.choice("weights", ["static", "learned"] as const);
    if (weights === "learned" && (this.lambdaC === 0 || this.lambdaKd === 0)) {
      throw new Error(
        `kdc-mae: learned weights start from lambdaC and lambdaKd and need both > 0, got ` +
          `${this.lambdaC} and ${this.lambdaKd}; use weights "static" to switch a term off`,
      );
    }

    this.encoder = buildEncoder(this.store, {
      backbone: cfg.encoder.backbone,
      neck: cfg.encoder.neck,
    });
    this.geometry = patchGeometry("kdc-mae", patch, this.encoder.backbone, ctx.imageShape);
    const L = this.geometry.gridH * this.geometry.gridW;
    // Surface an infeasible ratio (e.g. complementary with ratio < 1 - 1/streams) now.
    disposeGridMasks(this.#drawMasks(1, L, new Rng(0)));
    if (this.normPixLoss && this.geometry.patch * this.geometry.patch * ctx.imageShape[2] < 2) {
      throw new Error("kdc-mae: normPixLoss needs patches of >= 2 values; set normPixLoss=false");
    }
    this.decoder = cellDecoder(
      this.store,
      "decoder",
      this.encoder.backbone,
      this.geometry,
      ctx.imageShape[2],
    );
    if (weights === "learned") {
      this.learnedWeights = new UncertaintyWeighting(this.store, TERMS);
      const init: Record<string, number> = { rec: 1, con: this.lambdaC, kd: this.lambdaKd };
      for (const t of TERMS) {
        const s = this.store.params().get(`lossWeights.${t}`)!;
        tf.tidy(() => s.assign(tf.scalar(-Math.log(init[t]))));
      }
    }
    this.#recipe = maeViewRecipe(ctx.stats);
  }

  /**
   * Returns `[view [N,H,W,C], masked [S*N,H,W,C], patchMask [S*N,L], cells [S*N,h*w]]`,
   * stream-major (rows s*N .. s*N+N-1 are stream s); masks 1 = visible.
   */
  prepare(input: StepInput): tf.Tensor[] {
    const view = makeView(input.images, this.#recipe, input.rng);
    const n = view.shape[0];
    const geo = this.geometry;
    const grids = this.#drawMasks(n, geo.gridH * geo.gridW, input.rng);
    const occluded = grids.map((g) => occludeOnGrid(view, g.mask, geo, this.fill, input.rng));
    const out = [
      view,
      tf.concat(occluded.map((o) => o.image), 0),
      tf.concat(grids.map((g) => g.mask), 0),
      tf.concat(occluded.map((o) => o.cells), 0),
    ];
    disposeGridMasks(grids);
    tf.dispose(occluded.flatMap((o) => [o.image, o.cells]));
    return out;
  }

  loss(inputs: tf.Tensor[]): StepLoss {
    const [view, masked, patchMask, cells] = inputs as [
      tf.Tensor4D,
      tf.Tensor4D,
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    const ctx = { training: true };
    const S = this.streams;
    const fmap = this.encoder.featureMap(masked, ctx);

    const { pred, target } = reconstructPatches(this.decoder, fmap, view, {
      patch: this.geometry.patch,
      normPixLoss: this.normPixLoss,
    });
    const rec = maskedPatchMse(pred, tf.tile(target, [S, 1, 1]), patchMask);

    const pooled = this.pool === "visible"
      ? visibleMean(fmap, cells)
      : this.encoder.neck.apply(fmap, ctx, cells);
    const emb = tf.split(pooled, S, 0) as tf.Tensor2D[];
    const pairs: tf.Scalar[] = [];
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < S; j++) {
        if (i !== j) pairs.push(infoNce(emb[i], emb[j], null, this.temperature));
      }
    }
    const con = tf.mean(tf.stack(pairs)) as tf.Scalar;
    const kd = multiStreamKd(emb, this.kd);

    const terms = { rec, con, kd };
    if (!this.learnedWeights) {
      const loss = weightedLossSum(terms, { rec: 1, con: this.lambdaC, kd: this.lambdaKd });
      return { loss, metrics: terms };
    }
    const metrics: Record<string, tf.Scalar> = { ...terms };
    for (const t of TERMS) {
      const s = this.store.params().get(`lossWeights.${t}`)!;
      metrics[`w_${t}`] = tf.exp(tf.neg(s)) as tf.Scalar;
    }
    return { loss: this.learnedWeights.combine(terms), metrics };
  }

  #drawMasks(n: number, L: number, rng: Rng) {
    const opts = { n, L, ratio: this.ratio, streams: this.streams, rng };
    return this.masks === "complementary" ? complementaryMasks(opts) : overlappingMasks(opts);
  }
}

/**
 * Mean of the feature vectors over visible cells: fmap [M,h,w,c], cells
 * [M,h*w] (1 = visible) -> [M,c]. An image with no visible cell gives zeros.
 */
export function visibleMean(fmap: tf.Tensor4D, cells: tf.Tensor2D): tf.Tensor2D {
  const [m, h, w, c] = fmap.shape;
  return tf.tidy(() => {
    const weights = tf.reshape(cells, [m, h * w, 1]);
    const sum = tf.sum(tf.mul(tf.reshape(fmap, [m, h * w, c]), weights), 1);
    return tf.div(sum, tf.maximum(tf.sum(cells, 1, true), 1)) as tf.Tensor2D;
  });
}

registerMethod({
  name: "kdc-mae",
  description:
    "KDC-MAE: complementary/overlapping masked streams, L_r + lambda_c InfoNCE + lambda_kd symmetric KL",
  defaults: {
    streams: 2,
    masks: "complementary",
    ratio: 0.75,
    patch: "auto",
    fill: "zero",
    normPixLoss: true,
    temperature: 0.05,
    lambdaC: 0.01,
    lambdaKd: 10,
    kd: "kl",
    weights: "static",
    pool: "visible",
  },
  build: (cfg, ctx) => new KdcMae(cfg, ctx),
});
