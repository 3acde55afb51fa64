/**
 * Saliency-guided masks and hard negatives for the views of a batch (Chin et
 * al., WACV 2024; seed 001), on top of {@link maskImages}: the saliency map
 * comes from a feature extractor in eval mode (relaxed SCDA, resized to the
 * patch grid), the masks are drawn on that grid and filled.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import {
  type GaussianFilter,
  HIGH_PASS,
  highPass,
  type MaskFill,
  STRONG_BLUR,
} from "./visual_mask.ts";
import { relaxedScdaMap, resizeGridMask, strictScdaMap } from "./saliency.ts";
import { maskImages } from "./mask_images.ts";

/** How masked cells are filled. */
export type SaliencyFill = "highpass-noise" | "blur" | "mean";
/** Where masked cells are drawn. */
export type MaskWhere = "saliency" | "random";
/** Which branch gets the masked views. */
export type MaskBranch = "query" | "key" | "both";

/** The masking settings of the saliency methods (validated by their option schema). */
export interface SaliencyMaskingOptions {
  fill: SaliencyFill;
  where: MaskWhere;
  maskBranch: MaskBranch;
  /** Patch grid side. */
  grid: number;
  /** Range of the light masking ratio r. */
  ratio: [number, number];
  hardNegatives: boolean;
  /** Range of the hard-negative ratio (of foreground cells). */
  hardRatio: [number, number];
  /** Scale of the hard-negative similarity. */
  alpha: number;
  /** Relaxed-SCDA threshold `mean - saliencyAlpha * std`. */
  saliencyAlpha: number;
  /**
   * The saliency map: `relaxed` SCDA (threshold above, on the device) or the
   * original `strict` SCDA (largest connected component of `A > mean(A)`, read
   * back to the host). Absent: relaxed.
   */
  saliencyMap?: "relaxed" | "strict";
  evalHighPass: boolean;
  /**
   * Noise std of the hard negatives' masked cells with the high-pass fill (absent: the light
   * mask's 0.18; the authors' code: 0.14).
   */
  hardNoiseStd?: number;
  /** Cap on the hard negative's masked fraction of all cells (absent: none; authors: 0.55). */
  hardMaxFraction?: number;
  /** How `blur` / `highPass` were chosen: the poster's filters rescaled to the image, or as is. */
  filterScale?: "image" | "paper";
  /** The strong-blur fill's filter (absent: the poster's 31 / 10, `STRONG_BLUR`). */
  blur?: GaussianFilter;
  /** The high-pass filter (absent: the poster's 11 / 5, `HIGH_PASS`). */
  highPass?: GaussianFilter;
}

/** Anything with a feature map (an encoder): `[N,H,W,C] -> [N,h,w,c]`. */
export interface FeatureSource {
  featureMap(x: tf.Tensor4D, ctx: { training: boolean }): tf.Tensor4D;
}

/**
 * Draws saliency-guided masks and hard negatives for views of a batch.
 * The saliency maps come from `saliencyEncoder`'s feature map in eval mode.
 */
export class SaliencyMasker {
  /**
   * @param options the masking settings.
   * @param saliencyEncoder where the saliency maps come from (the encoder being trained).
   */
  constructor(readonly options: SaliencyMaskingOptions, readonly saliencyEncoder: FeatureSource) {}

  /** The high-pass filter (the options' or the poster's 11 / 5). */
  get highPassFilter(): GaussianFilter {
    return this.options.highPass ?? { kernel: HIGH_PASS.kernel, sigma: HIGH_PASS.sigma };
  }

  /** The strong-blur filter (the options' or the poster's 31 / 10). */
  get blurFilter(): GaussianFilter {
    return this.options.blur ?? { kernel: STRONG_BLUR.kernel, sigma: STRONG_BLUR.sigma };
  }

  /** The fill of the masked cells for the `fill` option (with its filter). */
  get maskFill(): MaskFill {
    const fill = this.options.fill;
    if (fill === "highpass-noise") return { kind: "highpass-noise", ...this.highPassFilter };
    if (fill === "blur") return { kind: "blur", ...this.blurFilter };
    return { kind: "mean" };
  }

  /** The fill of the hard negatives' masked cells (high-pass: noise of `hardNoiseStd`). */
  get hardFill(): MaskFill {
    const fill = this.maskFill;
    return fill.kind === "highpass-noise" && this.options.hardNoiseStd !== undefined
      ? { ...fill, std: this.options.hardNoiseStd }
      : fill;
  }

  /**
   * What the encoder sees of an un-masked view: `highPass(x)` for the
   * high-pass fill, otherwise a copy of x. x: [N,H,W,C] -> new [N,H,W,C].
   */
  plain(x: tf.Tensor4D): tf.Tensor4D {
    const f = this.highPassFilter;
    return this.options.fill === "highpass-noise" ? highPass(x, f.kernel, f.sigma) : x.clone();
  }

  /**
   * Foreground cells of un-masked encoder inputs `p` ([N,H,W,C], e.g. from
   * {@link plain}): relaxed (or strict) SCDA on the eval-mode feature map,
   * resized to the grid. Returns [N, grid*grid] float32, 1 = foreground, row-major.
   */
  foreground(p: tf.Tensor4D): tf.Tensor2D {
    const map = tf.tidy(() => {
      const fmap = this.saliencyEncoder.featureMap(p, { training: false });
      return this.options.saliencyMap === "strict"
        ? strictScdaMap(fmap)
        : relaxedScdaMap(fmap, this.options.saliencyAlpha);
    });
    try {
      return resizeGridMask(map, this.options.grid, this.options.grid);
    } finally {
      map.dispose();
    }
  }

  /**
   * Masks view x on the grid: the light mask (r ~ U[ratio]) or, with `hard`,
   * the hard negative (r ~ U[hardRatio] of the foreground `fg`). Returns the
   * masked view and the drawn token mask `[N, grid*grid]` (1 = kept).
   * `plain`, when given, is {@link plain}`(x)`: the high-pass fill then keeps its pixels
   * instead of filtering x again (the same values and random draws, one blur less).
   */
  mask(
    x: tf.Tensor4D,
    fg: tf.Tensor2D,
    hard: boolean,
    rng: Rng,
    plain?: tf.Tensor4D,
  ): { images: tf.Tensor4D; tokens: tf.Tensor2D } {
    const g = this.options.grid;
    const fill = hard ? this.hardFill : this.maskFill;
    // Already high-passed: only the noise of the masked cells is left to add.
    const noise: MaskFill | null = plain !== undefined && fill.kind === "highpass-noise"
      ? { kind: "noise", std: fill.std ?? HIGH_PASS.std }
      : null;
    const out = maskImages({
      images: noise !== null && plain !== undefined ? plain : x,
      spec: {
        kind: "saliency",
        fg,
        gridH: g,
        gridW: g,
        ratioRange: hard ? this.options.hardRatio : this.options.ratio,
        hard,
        ...(hard && this.options.hardMaxFraction !== undefined
          ? { maxFraction: this.options.hardMaxFraction }
          : {}),
      },
      fill: noise ?? fill,
      rng,
    });
    return { images: out.images, tokens: out.tokens! };
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

  /** Forks the two mask streams from `rng` (light mask first, then hard negative). */
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
    if (!this.#masked) {
      const out = this.#maskWith(false);
      this.maskTokens = out.tokens;
      this.#masked = out.images;
    }
    return this.#masked;
  }

  /** The hard negative: r ~ U[hardRatio] of the foreground cells masked (any cells if random). */
  hard(): tf.Tensor4D {
    if (!this.#hard) {
      const out = this.#maskWith(true);
      this.hardTokens = out.tokens;
      this.#hard = out.images;
    }
    return this.#hard;
  }

  /**
   * The masker's output for the masked view (`hard` false) or the hard negative (true), each
   * from its own random stream. With `where: "random"` the saliency is replaced by a constant
   * map: all background for the masked view (floor(r L) cells drawn uniformly over the grid),
   * all foreground for the hard negative (any cell counts as foreground).
   */
  #maskWith(hard: boolean): { images: tf.Tensor4D; tokens: tf.Tensor2D } {
    const { where, grid } = this.#masker.options;
    const n = this.#view.shape[0];
    const uniform = where === "random"
      ? tf.fill([n, grid * grid], hard ? 1 : 0) as tf.Tensor2D
      : null;
    try {
      const rng = hard ? this.#hardRng : this.#maskRng;
      const plain = this.#masker.options.fill === "highpass-noise" ? this.plain() : undefined;
      return this.#masker.mask(this.#view, uniform ?? this.foreground(), hard, rng, plain);
    } finally {
      uniform?.dispose();
    }
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
