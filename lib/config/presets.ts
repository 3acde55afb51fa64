/**
 * Named settings used by the command line (`deno task train --neck`,
 * `deno task flops`), the ablations and the notebooks, defined once here:
 *
 * - necks: S-MAG Table 4's Baseline (GAP), SAM, GAM and the full HSAGM, as encoder
 *   part configs for a backbone with `channels` output channels ({@link neckPreset});
 * - the projection head ({@link PROJECTION_HEAD});
 * - the paper's token masks (Fig. 4 and Table 3, given for 224x224 inputs) rescaled to
 *   the image size at equal expected masked-area fraction ({@link smagTokenSpec},
 *   {@link paperTokenSpecs});
 * - the saliency poster's masking geometry (7x7 patch grid, strong blur 31 / 10, high-pass
 *   11 / 5, all for 224x224 inputs) at the paper's values or rescaled to the image size
 *   ({@link saliencyGeometry}).
 *
 * The configs are plain JSON and go into `config.json` (and so into the run's hash);
 * changing a preset changes the runs that use it.
 *
 * @module
 */
import type { PartConfig } from "../models/encoder.ts";
import type { HsagmScorer } from "../models/hsagm.ts";
import {
  type GaussianFilter,
  HIGH_PASS,
  scaleGaussianFilter,
  STRONG_BLUR,
} from "../masking/visual_mask.ts";
import {
  PAPER_IMAGE_SIZE,
  PAPER_TOKEN_SPECS,
  type ScaledTokenSpec,
  scaleTokenSpec,
  type TokenSpec,
} from "../masking/token_masks.ts";

/** Attention width of SAM, GAM and HSAGM's attention in the presets. */
export const ATTENTION_HIDDEN = 128;

/** The neck presets, in the order of S-MAG Table 4 (plus HSAGM). */
export const NECK_PRESETS = ["gap", "sam", "gam", "hsagm"] as const;
/** One of {@link NECK_PRESETS}. */
export type NeckPreset = typeof NECK_PRESETS[number];

/** Sizes of the neck presets (defaults: attention 128, HSAGM widths = `channels`). */
export interface NeckSizes {
  /** Attention width of SAM / GAM (default {@link ATTENTION_HIDDEN}). */
  attnHidden?: number;
  /** HSAGM MLP width (default: the backbone's output channels). */
  mlpDim?: number;
  /** HSAGM GRU state size (default: the backbone's output channels). */
  gruDim?: number;
  /** HSAGM attention width (default: `attnHidden`). */
  attnDim?: number;
  /** HSAGM output features (default: the backbone's output channels). */
  outDim?: number;
  /**
   * HSAGM attention scorer (default: left out of the config, i.e. "relu" = F9 as in the paper;
   * "gated": GAM-style pooling, see `lib/models/hsagm.ts`).
   */
  scorer?: HsagmScorer;
}

/**
 * The neck config of preset `name` for a backbone with `channels` output
 * channels (needed by `hsagm` only). SAM, GAM and HSAGM exclude masked feature cells from their
 * softmax; HSAGM's MLP, GRU and output widths equal `channels`, so its
 * representation has the size of the others'.
 */
export function neckPreset(name: NeckPreset, channels?: number, sizes: NeckSizes = {}): PartConfig {
  const attn = sizes.attnHidden ?? ATTENTION_HIDDEN;
  const sized = (v: number | undefined): number => {
    const out = v ?? channels;
    if (out === undefined) {
      throw new Error(
        `neckPreset: the ${name} neck is sized by the backbone's output channels; pass them ` +
          `(backboneChannels(cfg.encoder.backbone))`,
      );
    }
    return out;
  };
  switch (name) {
    case "gap":
      return { type: "gap" };
    case "sam":
      return { type: "sam", hidden: attn, maskedTokens: "exclude" };
    case "gam":
      return { type: "gam", hidden: attn, maskedTokens: "exclude" };
    case "hsagm":
      return {
        type: "hsagm",
        mlpDim: sized(sizes.mlpDim),
        gruDim: sized(sizes.gruDim),
        attnDim: sizes.attnDim ?? attn,
        outDim: sized(sizes.outDim),
        maskedTokens: "exclude",
        ...(sizes.scorer === undefined ? {} : { scorer: sizes.scorer }),
      };
  }
}

/** Whether `name` is a neck preset (for command-line checks). */
export function isNeckPreset(name: string): name is NeckPreset {
  return (NECK_PRESETS as readonly string[]).includes(name);
}

/** The 2-layer projection head of every contrastive method (hidden 256, output 256). */
export const PROJECTION_HEAD = { type: "projection", hidden: 256, out: 256 } as const;

/**
 * Output channels of a CIFAR ResNet backbone config (width doubles per stage);
 * throws naming the config when it is no such backbone.
 */
export function backboneChannels(backbone: PartConfig, who = "presets"): number {
  const { width, blocks } = backbone;
  if (typeof width !== "number" || !Array.isArray(blocks)) {
    throw new Error(
      `${who}: the backbone config needs numeric "width" and an array "blocks" (a CIFAR ` +
        `ResNet), got ${JSON.stringify(backbone)}`,
    );
  }
  return width * 2 ** (blocks.length - 1);
}

/** The paper's Fig. 4 token setting on 224x224 inputs, S-MAG's `"auto"` default. */
export const SMAG_FIG4_TOKENS: Readonly<TokenSpec> = { tokenSize: 20, tokenCount: 200 };

/**
 * The Fig. 4 token mask rescaled to `imageSize` x `imageSize` at the paper's
 * expected masked-area fraction (3x3 x 171 on 32x32); with `tokenSize` given,
 * only the count is fitted.
 */
export function smagTokenSpec(imageSize: number, tokenSize?: number): ScaledTokenSpec {
  return scaleTokenSpec(
    SMAG_FIG4_TOKENS,
    imageSize,
    tokenSize === undefined ? {} : { tokenSize },
  );
}

/** S-MAG Table 3's four token settings, each with its rescaled form for `imageSize`. */
export function paperTokenSpecs(
  imageSize: number,
): { paper: TokenSpec; scaled: ScaledTokenSpec }[] {
  return PAPER_TOKEN_SPECS.map((paper) => ({ paper, scaled: scaleTokenSpec(paper, imageSize) }));
}

/** The saliency poster's masking geometry, for {@link PAPER_IMAGE_SIZE}-px inputs. */
export const SALIENCY_PAPER_GEOMETRY: Readonly<SaliencyGeometry> = {
  grid: 7,
  blur: { kernel: STRONG_BLUR.kernel, sigma: STRONG_BLUR.sigma },
  highPass: { kernel: HIGH_PASS.kernel, sigma: HIGH_PASS.sigma },
};

/** Patch grid and Gaussian filters of the saliency masking. */
export interface SaliencyGeometry {
  /** Patch grid side (cells per image side). */
  grid: number;
  /** The strong-blur fill. */
  blur: GaussianFilter;
  /** The high-pass filter `x - blur(x)` of the high-pass fill (both views, evaluation). */
  highPass: GaussianFilter;
}

/**
 * The saliency masking geometry for `imageSize`-px images:
 * - `"image"`: the poster's geometry rescaled to the image like token sizes. The 7x7 grid is
 *   relative to the image and stays 7x7 (cells of 32 px at 224, ~4.6 px at 32); the filters'
 *   kernel and sigma scale by `imageSize / 224` (`scaleGaussianFilter`: blur 5 / 1.43 and
 *   high-pass 3 / 0.71 on 32x32). At 32 px the paper's sigma-10 blur is nearly a mean fill
 *   and its sigma-5 high-pass removes object-scale structure; the scaled filters act at the
 *   scale they act at on 224-px images.
 * - `"paper"`: the poster's numbers as they are (grid 7, 31 / 10, 11 / 5), on any image size.
 */
export function saliencyGeometry(imageSize: number, scale: "image" | "paper"): SaliencyGeometry {
  const paper = SALIENCY_PAPER_GEOMETRY;
  if (scale === "paper") {
    return { grid: paper.grid, blur: { ...paper.blur }, highPass: { ...paper.highPass } };
  }
  return {
    grid: Math.min(paper.grid, imageSize),
    blur: scaleGaussianFilter(paper.blur, PAPER_IMAGE_SIZE, imageSize),
    highPass: scaleGaussianFilter(paper.highPass, PAPER_IMAGE_SIZE, imageSize),
  };
}

/**
 * The saliency masking geometry the ablations use, spelled out: the poster's 7x7 grid and
 * filters rescaled to the image (`grid: "auto"`, `filterScale: "image"`, the method's
 * defaults since 2026-12-03). Options left at their defaults are not written into a config,
 * so without this the arms would keep the config hash of runs made with the earlier defaults
 * (grid 4, filters 31 / 10 and 11 / 5) and the runner would return those cached results.
 */
export const SALIENCY_SCALED_GEOMETRY = { grid: "auto", filterScale: "image" } as const;
