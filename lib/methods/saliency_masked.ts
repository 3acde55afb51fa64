/**
 * Saliency-guided masking for contrastive learning with ConvNets (Chin et al.,
 * WACV 2024, "Masking improves contrastive self-supervised learning for
 * ConvNets, and saliency tells you where"; seed 001), on two bases:
 * `saliency-moco` (MoCo v2, composed from {@link MocoV2}) and
 * `saliency-simclr` (SimCLR, composed from {@link SimClr}).
 *
 * Per step, after the usual two augmented (normalised) views:
 *
 * 1. **Saliency** (where to mask): the view the encoder would see un-masked goes
 *    through the backbone of the encoder being trained, in eval mode (running BN
 *    statistics, no state change), outside the tape; relaxed SCDA marks cells with
 *    `sum_c F >= mean - saliencyAlpha * std` as foreground; the map is resized to a
 *    `grid x grid` patch grid (area fraction >= 0.5). The paper takes the map from a
 *    frozen *supervised* network; a self-supervised kit has none, so the encoder being
 *    trained is used (early in training its maps are close to arbitrary).
 * 2. **Mask**: ratio r ~ U[`ratio`], `floor(r L)` cells of which about a share
 *    `|fg| / L` from the foreground (`saliencyGuidedMask`). `where: "random"` draws the
 *    same count uniformly over the grid (no saliency pass: the MSCN-style baseline).
 * 3. **Fill** (how to mask): `highpass-noise` (both views become
 *    `x - GaussianBlur(x, 11, 5)`, masked cells Gaussian noise of std 0.18), `blur`
 *    (cells from a strongly blurred copy, kernel 31 / sigma 10) or `mean` (per-image,
 *    per-channel mean).
 * 4. **Branch**: `maskBranch` "query" (default; the paper's choice: masking only the
 *    query branch beat masking the key), "key" or "both". For SimCLR, view 1 plays
 *    the query and view 2 the key.
 * 5. **Hard negatives** (`hardNegatives`): a copy of the key-branch view with a higher
 *    ratio r ~ U[`hardRatio`] of its *foreground* cells masked (`round(r |fg|)`; with
 *    `where: "random"`, `round(r L)` cells anywhere) enters the logits as one extra
 *    negative per query, `alpha * cos(q, h) / T`.
 *
 * Losses. saliency-moco: `[q.k+, q.queue, alpha q.h] / T`, the hard negatives encoded
 * by the momentum encoder outside the tape, like the keys. saliency-simclr without hard
 * negatives: NT-Xent (so it reduces to SimCLR); with hard negatives: NT-Xent has no
 * hard-negative column, so the loss becomes the symmetric in-batch InfoNCE
 * `(L(z1 -> z2) + L(z2 -> z1)) / 2`, each with the other view's keys as negatives plus
 * `alpha cos(anchor, h) / T` (h = embedding of the hard view, through the same encoder,
 * in its own training-mode pass inside the tape). Note that this form has N-1 negatives
 * per anchor, NT-Xent 2N-2.
 *
 * Evaluation. The paper also high-passes the inputs at linear evaluation when the
 * high-pass fill is used; with `evalHighPass` (default true) the method's `encoder`
 * (what kNN / the linear probe call) does so, sharing the trained weights. Fine-tuning
 * rebuilds a plain encoder from the config and does not.
 *
 * Options (`methodOptions`), in addition to those of the base (`moco-v2`: temperature
 * 0.1, momentum 0.99, queueSize 4096, symmetric false; `simclr`: temperature 0.5):
 * - `fill` ("highpass-noise"): "highpass-noise" | "blur" | "mean".
 * - `where` ("saliency"): "saliency" | "random".
 * - `maskBranch` ("query"): "query" | "key" | "both".
 * - `grid` (4): patch grid side; 4 gives 8-pixel cells on 32x32 inputs (the paper: 7
 *   for 224).
 * - `ratio` ([0.05, 0.25]): range of the masking ratio r.
 * - `hardNegatives` (true): add the hard negatives.
 * - `hardRatio` ([0.4, 0.7]): range of the hard-negative ratio (of foreground cells).
 * - `alpha` (2): scale of the hard-negative similarity.
 * - `saliencyAlpha` (0.6): relaxed-SCDA threshold `mean - saliencyAlpha * std`.
 * - `evalHighPass` (true): high-pass the evaluation inputs when `fill` is "highpass-noise".
 *
 * Cost per step on top of the base: one eval-mode backbone pass per view that is
 * masked (saliency), one key-encoder (MoCo) or encoder (SimCLR) pass over the hard
 * negatives, and a synchronous read of the foreground maps (small; a stall on GPUs).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { Encoder } from "../models/encoder.ts";
import type { ForwardContext } from "../nn/layers.ts";
import {
  applyVisualMask,
  hardNegativeMask,
  HIGH_PASS,
  highPass,
  type MaskFill,
  relaxedScdaMap,
  resizeGridMask,
  saliencyGuidedMask,
  tokenMaskToPixels,
} from "../masking/mod.ts";
import { infoNce } from "../losses/info_nce.ts";
import type { Method, StepInput, StepLoss } from "./method.ts";
import { type MethodContext, registerMethod } from "./registry.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import { MOCO_V2_DEFAULTS, type MocoStepViews, MocoV2 } from "./moco_v2.ts";
import { SimClr } from "./simclr.ts";

/** How masked cells are filled. */
export type SaliencyFill = "highpass-noise" | "blur" | "mean";
/** Where masked cells are drawn. */
export type MaskWhere = "saliency" | "random";
/** Which branch gets the masked views. */
export type MaskBranch = "query" | "key" | "both";

const FILLS: readonly SaliencyFill[] = ["highpass-noise", "blur", "mean"];
const WHERES: readonly MaskWhere[] = ["saliency", "random"];
const BRANCHES: readonly MaskBranch[] = ["query", "key", "both"];

/** Default masking options (see the module doc). */
export const SALIENCY_MASKING_DEFAULTS = {
  fill: "highpass-noise",
  where: "saliency",
  maskBranch: "query",
  grid: 4,
  ratio: [0.05, 0.25],
  hardNegatives: true,
  hardRatio: [0.4, 0.7],
  alpha: 2,
  saliencyAlpha: 0.6,
  evalHighPass: true,
} as const;

/** Validated masking options. */
export interface SaliencyMaskingOptions {
  fill: SaliencyFill;
  where: MaskWhere;
  maskBranch: MaskBranch;
  grid: number;
  ratio: [number, number];
  hardNegatives: boolean;
  hardRatio: [number, number];
  alpha: number;
  saliencyAlpha: number;
  evalHighPass: boolean;
}

function oneOf<T extends string>(who: string, key: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== "string" || !allowed.includes(v as T)) {
    throw new Error(
      `${who}: unknown ${key} ${JSON.stringify(v)}; use one of ${allowed.join(", ")} ` +
        `(e.g. --option ${key}=${allowed[0]})`,
    );
  }
  return v as T;
}

function range(who: string, key: string, v: unknown): [number, number] {
  const ok = Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number") &&
    0 <= v[0] && v[0] <= v[1] && v[1] <= 1;
  if (!ok) {
    throw new Error(
      `${who}: ${key} must be [lo, hi] with 0 <= lo <= hi <= 1, got ${JSON.stringify(v)}; ` +
        `e.g. --option ${key}=[0.05,0.25]`,
    );
  }
  return [v[0], v[1]];
}

function bool(who: string, key: string, v: unknown): boolean {
  if (typeof v !== "boolean") {
    throw new Error(
      `${who}: ${key} must be true or false, got ${JSON.stringify(v)}; e.g. --option ${key}=true`,
    );
  }
  return v;
}

function finite(who: string, key: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new Error(
      `${who}: ${key} must be a finite number >= ${min}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * Reads and validates the masking options of `methodOptions` (missing ones
 * take {@link SALIENCY_MASKING_DEFAULTS}). `imageShape` `[H,W,C]` bounds the grid.
 */
export function parseSaliencyMaskingOptions(
  options: Record<string, unknown>,
  imageShape: readonly [number, number, number],
  who: string,
): SaliencyMaskingOptions {
  const o: Record<string, unknown> = { ...SALIENCY_MASKING_DEFAULTS, ...options };
  const [h, w] = imageShape;
  const grid = o.grid;
  if (typeof grid !== "number" || !Number.isInteger(grid) || grid < 1 || grid > Math.min(h, w)) {
    throw new Error(
      `${who}: grid must be an integer in [1, ${Math.min(h, w)}] (cells per side of the ` +
        `${h}x${w} images), got ${JSON.stringify(grid)}; e.g. --option grid=4`,
    );
  }
  return {
    fill: oneOf(who, "fill", o.fill, FILLS),
    where: oneOf(who, "where", o.where, WHERES),
    maskBranch: oneOf(who, "maskBranch", o.maskBranch, BRANCHES),
    grid,
    ratio: range(who, "ratio", o.ratio),
    hardNegatives: bool(who, "hardNegatives", o.hardNegatives),
    hardRatio: range(who, "hardRatio", o.hardRatio),
    alpha: finite(who, "alpha", o.alpha, -Infinity),
    saliencyAlpha: finite(who, "saliencyAlpha", o.saliencyAlpha, 0),
    evalHighPass: bool(who, "evalHighPass", o.evalHighPass),
  };
}

/**
 * An encoder that high-pass filters its input (`x - GaussianBlur(x, 11, 5)`)
 * before the backbone, sharing every part (and parameter) of `inner`. The
 * poster evaluates high-pass-trained encoders on high-passed inputs.
 */
export class HighPassInputEncoder extends Encoder {
  constructor(inner: Encoder) {
    super(inner.store, inner.backbone, inner.neck, inner.head, inner.config);
  }

  /** Feature map of `highPass(x)`: x [N,H,W,C] -> [N,h,w,c]. */
  override featureMap(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.tidy(() => super.featureMap(highPass(x), ctx));
  }

  /** Embedding of `highPass(x)`: x [N,H,W,C] -> [N,D]. */
  override embed(x: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => super.embed(highPass(x), ctx, tokenMask));
  }
}

/**
 * Draws saliency-guided masks and hard negatives for views of a batch.
 * The saliency maps come from `saliencyEncoder`'s feature map in eval mode.
 */
export class SaliencyMasker {
  constructor(readonly options: SaliencyMaskingOptions, readonly saliencyEncoder: Encoder) {}

  /** The fill of `applyVisualMask` for the `fill` option. */
  get maskFill(): MaskFill {
    return { kind: this.options.fill };
  }

  /**
   * What the encoder sees of an un-masked view: `highPass(x)` for the
   * high-pass fill, otherwise a copy of x. x: [N,H,W,C] -> new [N,H,W,C].
   */
  plain(x: tf.Tensor4D): tf.Tensor4D {
    return this.options.fill === "highpass-noise"
      ? highPass(x, HIGH_PASS.kernel, HIGH_PASS.sigma)
      : x.clone();
  }

  /**
   * Foreground cells of un-masked encoder inputs `p` ([N,H,W,C], e.g. from
   * {@link plain}): relaxed SCDA on the eval-mode feature map, resized to the
   * grid. Returns [N, grid*grid] float32, 1 = foreground, row-major.
   */
  foreground(p: tf.Tensor4D): tf.Tensor2D {
    const map = tf.tidy(() =>
      relaxedScdaMap(
        this.saliencyEncoder.featureMap(p, { training: false }),
        this.options.saliencyAlpha,
      )
    );
    try {
      return resizeGridMask(map, this.options.grid, this.options.grid);
    } finally {
      map.dispose();
    }
  }

  /** Applies a `[N, grid*grid]` token mask (1 = kept) to view x with the configured fill. */
  applyTokenMask(x: tf.Tensor4D, tokens: tf.Tensor2D, rng: Rng): tf.Tensor4D {
    const [, h, w] = x.shape;
    const g = this.options.grid;
    return tf.tidy(() =>
      applyVisualMask(x, tokenMaskToPixels(tokens, g, g, h, w), this.maskFill, rng)
    );
  }

  /** Lazily computed variants (plain, masked, hard negative) of one view. */
  variants(view: tf.Tensor4D, rng: Rng): ViewVariants {
    return new ViewVariants(this, view, rng);
  }
}

/**
 * The encoder inputs derived from one view `[N,H,W,C]`: plain, lightly
 * masked, hard negative. Each is computed on first use and owned by this
 * object (free them with {@link dispose}; clone what must outlive it). The
 * randomness of the two masks comes from two streams forked at construction,
 * so results do not depend on the order of the calls.
 */
export class ViewVariants {
  readonly #masker: SaliencyMasker;
  readonly #view: tf.Tensor4D;
  readonly #maskRng: Rng;
  readonly #hardRng: Rng;
  #plain?: tf.Tensor4D;
  #fg?: tf.Tensor2D;
  #masked?: tf.Tensor4D;
  #hard?: tf.Tensor4D;
  /** Token mask `[N, L]` of {@link masked} (1 = kept), once drawn. */
  maskTokens?: tf.Tensor2D;
  /** Token mask `[N, L]` of {@link hard} (1 = kept), once drawn. */
  hardTokens?: tf.Tensor2D;

  constructor(masker: SaliencyMasker, view: tf.Tensor4D, rng: Rng) {
    this.#masker = masker;
    this.#view = view;
    this.#maskRng = rng.fork();
    this.#hardRng = rng.fork();
  }

  /** The un-masked encoder input (high-passed for the high-pass fill). */
  plain(): tf.Tensor4D {
    return this.#plain ??= this.#masker.plain(this.#view);
  }

  /** Foreground cells `[N, L]` (saliency), computed once. */
  foreground(): tf.Tensor2D {
    return this.#fg ??= this.#masker.foreground(this.plain());
  }

  /** The view with r ~ U[ratio] of its cells masked, saliency-guided or uniform. */
  masked(): tf.Tensor4D {
    if (this.#masked) return this.#masked;
    const { where, ratio, grid } = this.#masker.options;
    const n = this.#view.shape[0];
    const uniform = where === "random" ? tf.zeros([n, grid * grid]) as tf.Tensor2D : null;
    // All-background fg: floor(r L) cells drawn uniformly over the grid.
    const drawn = saliencyGuidedMask({
      fg: uniform ?? this.foreground(),
      rng: this.#maskRng,
      ratioRange: ratio,
    });
    uniform?.dispose();
    this.maskTokens = drawn.mask;
    return this.#masked = this.#masker.applyTokenMask(this.#view, drawn.mask, this.#maskRng);
  }

  /** The hard negative: r ~ U[hardRatio] of the foreground cells masked (any cells if random). */
  hard(): tf.Tensor4D {
    if (this.#hard) return this.#hard;
    const { where, hardRatio, grid } = this.#masker.options;
    const n = this.#view.shape[0];
    const uniform = where === "random" ? tf.ones([n, grid * grid]) as tf.Tensor2D : null;
    const drawn = hardNegativeMask({
      fg: uniform ?? this.foreground(),
      rng: this.#hardRng,
      ratioRange: hardRatio,
    });
    uniform?.dispose();
    this.hardTokens = drawn.mask;
    return this.#hard = this.#masker.applyTokenMask(this.#view, drawn.mask, this.#hardRng);
  }

  /** The input of `branch`: masked when `maskBranch` covers it, plain otherwise. */
  forBranch(branch: "query" | "key"): tf.Tensor4D {
    const b = this.#masker.options.maskBranch;
    return b === branch || b === "both" ? this.masked() : this.plain();
  }

  /** Frees everything computed (not the view itself). */
  dispose(): void {
    tf.dispose([this.#plain, this.#fg, this.#masked, this.#hard, this.maskTokens, this.hardTokens]);
  }
}

function evalEncoder(base: Encoder, masking: SaliencyMaskingOptions): Encoder {
  return masking.fill === "highpass-noise" && masking.evalHighPass
    ? new HighPassInputEncoder(base)
    : base;
}

function concatOrClone(parts: tf.Tensor4D[]): tf.Tensor4D {
  return parts.length === 1 ? parts[0].clone() : tf.concat(parts, 0);
}

/** Saliency-guided masking on MoCo v2 (see module docs). */
export class SaliencyMoco implements Method {
  readonly name = "saliency-moco";
  /** The evaluated encoder (the query encoder, high-pass wrapped when configured). */
  readonly encoder: Encoder;
  /** The MoCo v2 machinery (query/key encoders, queue, loss, momentum update). */
  readonly moco: MocoV2;
  readonly masker: SaliencyMasker;

  constructor(cfg: ExperimentConfig, ctx: MethodContext) {
    const masking = parseSaliencyMaskingOptions(cfg.methodOptions, ctx.imageShape, this.name);
    this.moco = new MocoV2(cfg, ctx, this.name, masking.alpha);
    this.masker = new SaliencyMasker(masking, this.moco.encoder);
    this.encoder = evalEncoder(this.moco.encoder, masking);
  }

  params(): Map<string, tf.Variable> {
    return this.moco.params();
  }

  state(): Map<string, tf.Variable> {
    return this.moco.state();
  }

  /**
   * The images of one step (caller disposes): query-branch and key-branch
   * inputs row-aligned as in MoCo (`[v1; v2]` / `[v2; v1]` when symmetric),
   * and the hard negatives made from the key-branch views.
   */
  stepViews(input: StepInput): MocoStepViews {
    const [v1, v2] = this.moco.makeViews(input.images, input.rng);
    const a = this.masker.variants(v1, input.rng);
    const b = this.masker.variants(v2, input.rng);
    try {
      const pairs: [ViewVariants, ViewVariants][] = this.moco.options.symmetric
        ? [[a, b], [b, a]]
        : [[a, b]];
      return {
        query: concatOrClone(pairs.map(([q]) => q.forBranch("query"))),
        key: concatOrClone(pairs.map(([, k]) => k.forBranch("key"))),
        hard: this.masker.options.hardNegatives
          ? concatOrClone(pairs.map(([, k]) => k.hard()))
          : null,
      };
    } finally {
      a.dispose();
      b.dispose();
      tf.dispose([v1, v2]);
    }
  }

  /** `[query images, keys, hard keys?]`; keys and hard keys from the momentum encoder. */
  prepare(input: StepInput): tf.Tensor[] {
    const views = this.stepViews(input);
    try {
      return this.moco.encodeStep(views);
    } finally {
      tf.dispose([views.query, views.key, ...(views.hard ? [views.hard] : [])]);
    }
  }

  loss(inputs: tf.Tensor[]): StepLoss {
    return this.moco.loss(inputs);
  }

  afterStep(inputs: tf.Tensor[], input: StepInput): void {
    this.moco.afterStep(inputs, input);
  }

  dispose(): void {
    this.moco.dispose();
  }
}

/** Default options of saliency-simclr's base (SimCLR CIFAR temperature). */
const SIMCLR_DEFAULTS = { temperature: 0.5 } as const;

/** Saliency-guided masking on SimCLR (see module docs). */
export class SaliencySimclr implements Method {
  readonly name = "saliency-simclr";
  /** The evaluated encoder (high-pass wrapped when configured). */
  readonly encoder: Encoder;
  /** The SimCLR machinery (encoder, views, NT-Xent). */
  readonly simclr: SimClr;
  readonly masker: SaliencyMasker;

  constructor(cfg: ExperimentConfig, ctx: MethodContext) {
    const masking = parseSaliencyMaskingOptions(cfg.methodOptions, ctx.imageShape, this.name);
    this.simclr = new SimClr(
      { ...cfg, methodOptions: { ...SIMCLR_DEFAULTS, ...cfg.methodOptions } },
      ctx,
    );
    this.masker = new SaliencyMasker(masking, this.simclr.encoder);
    this.encoder = evalEncoder(this.simclr.encoder, masking);
  }

  params(): Map<string, tf.Variable> {
    return this.simclr.params();
  }

  state(): Map<string, tf.Variable> {
    return this.simclr.state();
  }

  /**
   * The images of one step (caller disposes): view 1 as the query branch,
   * view 2 as the key branch, and the hard negatives of view 2.
   */
  stepViews(input: StepInput): MocoStepViews {
    const [v1, v2] = this.simclr.prepare(input) as [tf.Tensor4D, tf.Tensor4D];
    const a = this.masker.variants(v1, input.rng);
    const b = this.masker.variants(v2, input.rng);
    try {
      return {
        query: a.forBranch("query").clone(),
        key: b.forBranch("key").clone(),
        hard: this.masker.options.hardNegatives ? b.hard().clone() : null,
      };
    } finally {
      a.dispose();
      b.dispose();
      tf.dispose([v1, v2]);
    }
  }

  /** `[view 1, view 2, hard negatives?]` images. */
  prepare(input: StepInput): tf.Tensor[] {
    const { query, key, hard } = this.stepViews(input);
    return hard ? [query, key, hard] : [query, key];
  }

  loss(inputs: tf.Tensor[]): StepLoss {
    const [x1, x2, xh] = inputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D | undefined];
    if (!xh) return this.simclr.loss([x1, x2]);
    const enc = this.simclr.encoder;
    const z = enc.project(tf.concat([x1, x2], 0), { training: true });
    const n = x1.shape[0];
    const [z1, z2] = tf.split(z, [n, n], 0) as tf.Tensor2D[];
    const h = enc.project(xh, { training: true });
    const opts = { hardNegatives: h, alpha: this.masker.options.alpha };
    const tau = this.simclr.temperature;
    const loss = tf.mul(
      tf.add(infoNce(z1, z2, null, tau, opts), infoNce(z2, z1, null, tau, opts)),
      0.5,
    ) as tf.Scalar;
    return { loss };
  }

  dispose(): void {
    this.simclr.dispose();
  }
}

registerMethod({
  name: "saliency-moco",
  description: "Saliency-guided masking + hard negatives on MoCo v2 (Chin et al., WACV 2024)",
  defaults: { ...MOCO_V2_DEFAULTS, ...SALIENCY_MASKING_DEFAULTS },
  build: (cfg, ctx) => new SaliencyMoco(cfg, ctx),
});

registerMethod({
  name: "saliency-simclr",
  description: "Saliency-guided masking + hard negatives on SimCLR (Chin et al., WACV 2024)",
  defaults: { ...SIMCLR_DEFAULTS, ...SALIENCY_MASKING_DEFAULTS },
  build: (cfg, ctx) => new SaliencySimclr(cfg, ctx),
});
