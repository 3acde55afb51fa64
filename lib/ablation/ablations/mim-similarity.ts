/**
 * `mim-similarity`: MIM as occlusion-invariant learning (Kong & Zhang, CVPR
 * 2023, seed 003). One occlusion (a grid mask with 75% of the patches masked,
 * drawn first in every step, so each seed sees the same masks in every arm)
 * and three similarity measures: pixel L2 through a decoder (MAE form),
 * cosine with a predictor and stop-gradient (SimSiam form), and InfoNCE.
 * The paper's claim: the similarity matters little, the occlusion does.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";

export default defineAblation({
  name: "mim-similarity",
  title: "MIM as occlusion invariance: pixel L2 vs cosine vs InfoNCE",
  question: "With the same masks (75% of the patches), does the similarity measure " +
    "(pixel L2 via a decoder, cosine, InfoNCE) change the learned representation?",
  arms: (["pixel-l2", "cosine", "infonce"] as const).map((s) => ({
    name: s,
    label: s === "pixel-l2"
      ? "pixel L2 (decoder)"
      : s === "cosine"
      ? "cosine (SimSiam)"
      : "InfoNCE",
    patch: { method: "mim-siamese", methodOptions: { similarity: s, ratio: 0.75 } },
  })),
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "pixel-l2",
});
