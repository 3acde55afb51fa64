/**
 * `smag-tokens`: token size x token number, S-MAG Table 3 (10x10 / 20x20 px
 * tokens x 100 / 200 tokens on 224x224 inputs, ImageNet 1%).
 *
 * The four paper settings are rescaled to 32x32 inputs (CIFAR-10, SVHN, the
 * synthetic set) with `scaleTokenSpec`: the token side scales with the image
 * (10 px -> 1 px, 20 px -> 3 px) and the count is refitted so the *expected
 * masked-area fraction* (overlaps included) equals the paper's: 10/100 ->
 * 1x1 x 203 (18%), 10/200 -> 1x1 x 404 (33%), 20/100 -> 3x3 x 89 (53%),
 * 20/200 -> 3x3 x 171 (76%). The arms therefore hold pixel sizes for 32x32
 * images; other sizes need their own scaling.
 *
 * Everything else as `smag-mask`'s masked arm: S-MAG, GAM neck (width 128,
 * masked cells excluded), zero fill, one view masked. Baseline: 20x20 x 200
 * (the Fig. 4 setting).
 *
 * @module
 */
import { neckPreset, paperTokenSpecs } from "../../config/presets.ts";
import { defineAblation } from "../spec.ts";
import { tinyStridedProfile } from "../profiles.ts";

/** Input side the arms' token sizes are computed for. */
export const TOKEN_ABLATION_IMAGE_SIZE = 32;

const arms = paperTokenSpecs(TOKEN_ABLATION_IMAGE_SIZE).map(({ paper, scaled: s }) => {
  return {
    name: `size${paper.tokenSize}-count${paper.tokenCount}`,
    label: `${paper.tokenSize}x${paper.tokenSize} px x ${paper.tokenCount} @224 -> ` +
      `${s.tokenSize}x${s.tokenSize} px x ${s.tokenCount} @32 (${
        Math.round(s.maskedFraction * 100)
      }% masked)`,
    patch: {
      method: "smag",
      methodOptions: {
        mask: "token",
        tokenSize: s.tokenSize,
        tokenCount: s.tokenCount,
        fill: "zero",
      },
      encoder: { neck: neckPreset("gam") },
    },
  };
});

export default defineAblation({
  name: "smag-tokens",
  title: "S-MAG token size x token number",
  question: "How do the size and the number of masked square tokens (S-MAG Table 3, rescaled " +
    "to 32x32 at equal masked-area fraction) change the linear-probe and kNN accuracy?",
  arms,
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "size20-count200",
  profiles: { tiny: tinyStridedProfile },
});
