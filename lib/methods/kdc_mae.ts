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
 * Options: {@link KDC_MAE_OPTIONS} (`deno task train --method kdc-mae --help`).
 *
 * lambda_kd defaults to 10: Table 1's "Proposed" row (64.23 / 58.73 / 43.43 / 41.03 /
 * 37.62 / 30.95) is Table 2's lambda_kd 10 row and the text under Table 2 calls lambda_kd 10
 * with complementary masks its best result, although Table 2 prints "Proposed" on the
 * lambda_kd 5 row, which is ahead of 10 in five of its six columns (behind only in VGGSound
 * FT AV, 64.01 vs 64.23). `lambdaKd: 0` is the CAV-MAE objective `L_r + lambda_c L_c`.
 *
 * `weights: "learned"` is the paper's "dynamic weights" variant in the kit's
 * form (`UncertaintyWeighting`, Kendall et al. 2018): `exp(-s_i) L_i + s_i`
 * with one log-variance per learned term, initialised to `s = -ln(lambda)` so
 * that the starting weights equal the static ones. Which terms are learned is
 * `learnedTerms`: `"con-kd"` (default) learns only the weights of L_c and
 * L_kd and keeps L_r at weight 1, `L = L_r + sum_{c,kd} exp(-s_i) L_i + s_i`,
 * as KDC-MAE section 3 (Table 3 discussion) says: "dynamic weights replacing
 * lambda_c and lambda_kd"; the paper's loss has no weight on L_r at all
 * (`L_total = L_r + lambda_c L_c`, section 2.1). `"all"` also learns the
 * weight of L_r: that was the kit's only form before 2026-12-03 and stays
 * reachable for comparison. The s_i are parameters (`lossWeights.con|kd`,
 * plus `lossWeights.rec` under "all") in `params()` and `state()`.
 *
 * Metrics: `rec`, `con`, `kd` (unweighted terms); with learned weights also
 * `w_con`, `w_kd` (and `w_rec` under "all"): the current exp(-s_i).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { makeView, type ViewRecipe } from "../augment/views.ts";
import { infoNce } from "../losses/info_nce.ts";
import { type KdKind, multiStreamKd } from "../losses/kd_divergence.ts";
import { UncertaintyWeighting, weightedLossSum } from "../losses/loss_weights.ts";
import { maskedPatchMse } from "../losses/mae_reconstruction.ts";
import { complementaryTokenMasks, overlappingTokenMasks } from "../masking/multi_masks.ts";
import type { MaskFill } from "../masking/visual_mask.ts";
import { maskImages } from "../masking/mask_images.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import type { PatchDecoder } from "../models/patch_decoder.ts";
import { Rng } from "../rng.ts";
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

const TERMS = ["rec", "con", "kd"] as const;

/** The options of `kdc-mae`. */
export const KDC_MAE_OPTIONS = defineOptions({
  streams: choiceOption([2, 3] as const, 2, "number of masked streams per image"),
  masks: choiceOption(
    ["complementary", "overlap"] as const,
    "complementary",
    "pairwise disjoint visible sets (needs ratio >= 1 - 1/streams) or independent masks",
  ),
  ratio: numberOption(0.75, "fraction of the patches masked in every stream", {
    min: 0,
    below: 1,
  }),
  patch: numberOrAutoOption("auto", "patch side in pixels; auto: the backbone's output stride", {
    integer: true,
    min: 1,
  }),
  fill: fillOption("zero", "what masked patches become (zero = the dataset's mean colour)"),
  normPixLoss: booleanOption(true, "L_r against per-patch normalised pixels"),
  temperature: numberOption(0.05, "tau of the InfoNCE term L_c", { above: 0 }),
  lambdaC: numberOption(0.01, "weight lambda_c of L_c", { min: 0 }),
  lambdaKd: numberOption(
    10,
    "weight lambda_kd of L_kd (10: the value behind the paper's Table 1 numbers; ablation 0 / 5 " +
      "/ 10 / 15)",
    { min: 0 },
  ),
  kd: choiceOption(["kl", "js"] as const, "kl", "L_kd: symmetric KL or Jensen-Shannon"),
  weights: choiceOption(
    ["static", "learned"] as const,
    "static",
    "static lambdas or learned uncertainty weights starting from them",
  ),
  learnedTerms: choiceOption(
    ["con-kd", "all"] as const,
    "con-kd",
    "terms whose weights are learned: L_c and L_kd (the paper's dynamic weights; L_r stays 1) " +
      "or all three (the kit's form before 2026-12-03)",
    { appliesWhen: 'weights = "learned"' },
  ),
  pool: choiceOption(
    ["visible", "neck"] as const,
    "visible",
    "pooled embedding: mean over visible cells or the encoder's neck",
  ),
});

/**
 * The batch of one KDC-MAE step, stream-major (rows s*N .. s*N+N-1 are stream
 * s); masks 1 = visible.
 */
export interface KdcBatch {
  /** `[N,H,W,C]` the un-masked view (reconstruction target). */
  view: tf.Tensor4D;
  /** `[S*N,H,W,C]` the masked streams. */
  masked: tf.Tensor4D;
  /** `[S*N,L]` patch masks of the streams. */
  patchMask: tf.Tensor2D;
  /** `[S*N,h*w]` feature cells visible in each stream. */
  cells: tf.Tensor2D;
}

/** The KDC-MAE method (see module docs). */
export class KdcMae extends SingleStoreMethod<KdcBatch> {
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
  /** Terms whose weights are learned (empty with static weights). */
  readonly learnedTerms: readonly (typeof TERMS)[number][];
  readonly #recipe: ViewRecipe;

  constructor(cfg: ExperimentConfig, ctx: MethodContext) {
    super(cfg.seed);
    const opt = readOptions("kdc-mae", KDC_MAE_OPTIONS, cfg.methodOptions);
    this.streams = opt.streams;
    this.masks = opt.masks;
    this.ratio = opt.ratio;
    const patch = opt.patch;
    this.fill = opt.fill;
    this.normPixLoss = opt.normPixLoss;
    this.temperature = opt.temperature;
    this.lambdaC = opt.lambdaC;
    this.lambdaKd = opt.lambdaKd;
    this.kd = opt.kd;
    this.pool = opt.pool;
    const weights = opt.weights;
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
    tf.dispose(this.#drawMasks(1, L, new Rng(0)));
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
    this.learnedTerms = weights === "learned"
      ? (opt.learnedTerms === "all" ? TERMS : ["con", "kd"])
      : [];
    if (weights === "learned") {
      this.learnedWeights = new UncertaintyWeighting(this.store, this.learnedTerms);
      const init: Record<string, number> = { rec: 1, con: this.lambdaC, kd: this.lambdaKd };
      for (const t of this.learnedTerms) {
        const s = this.store.params().get(`lossWeights.${t}`)!;
        tf.tidy(() => s.assign(tf.scalar(-Math.log(init[t]))));
      }
    }
    this.#recipe = maeViewRecipe(ctx.stats);
  }

  /** One view, its `streams` masked copies and their patch and cell masks. */
  prepare(input: StepInput): KdcBatch {
    const view = makeView(input.images, this.#recipe, input.rng);
    const n = view.shape[0];
    const { gridH, gridW, featH, featW } = this.geometry;
    const tokens = this.#drawMasks(n, gridH * gridW, input.rng);
    const occluded = tokens.map((t) =>
      maskImages({
        images: view,
        spec: { kind: "given", tokens: t, gridH, gridW },
        fill: this.fill,
        featureSize: [featH, featW],
        rng: input.rng,
      })
    );
    const batch: KdcBatch = {
      view,
      masked: tf.concat(occluded.map((o) => o.images), 0),
      patchMask: tf.concat(tokens, 0),
      cells: tf.concat(occluded.map((o) => o.cells!), 0),
    };
    tf.dispose(tokens);
    tf.dispose(occluded.flatMap((o) => [o.images, o.cells!]));
    return batch;
  }

  loss({ view, masked, patchMask, cells }: KdcBatch): StepLoss {
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
    const learned: Record<string, tf.Scalar> = {};
    for (const t of this.learnedTerms) {
      const s = this.store.params().get(`lossWeights.${t}`)!;
      metrics[`w_${t}`] = tf.exp(tf.neg(s)) as tf.Scalar;
      learned[t] = terms[t];
    }
    const combined = this.learnedWeights.combine(learned);
    // Terms left out of the learned weighting keep weight 1 (L_r under "con-kd").
    const fixed = TERMS.filter((t) => !this.learnedTerms.includes(t)).map((t) => terms[t]);
    const loss = fixed.length === 0 ? combined : tf.addN([combined, ...fixed]) as tf.Scalar;
    return { loss, metrics };
  }

  #drawMasks(n: number, L: number, rng: Rng): tf.Tensor2D[] {
    const opts = { n, L, ratio: this.ratio, streams: this.streams, rng };
    return this.masks === "complementary"
      ? complementaryTokenMasks(opts)
      : overlappingTokenMasks(opts);
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
  options: KDC_MAE_OPTIONS,
  build: (cfg, ctx) => new KdcMae(cfg, ctx),
});
