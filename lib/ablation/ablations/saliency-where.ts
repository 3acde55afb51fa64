/**
 * `saliency-where`: does saliency tell you where to mask? Saliency-guided
 * masking (relaxed SCDA foreground, seed 001) against uniformly random cells
 * (the MSCN-style baseline), both on MoCo v2 with the poster's default fill
 * (high-pass + noise), masking the query branch only and the same ratio
 * r ~ U[0.05, 0.25] of a 4x4 grid. Hard negatives are off in both arms so
 * that only the location of the query mask differs (with them on, the hard
 * negative's cells would also move from foreground-only to anywhere).
 * Poster (ImageNet-100, linear top-1): MoCo v2 + MSCN 70.28 vs + saliency
 * 73.80; SimCLR 77.18 vs 77.90 (those rows also differ in hard negatives).
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { SALIENCY_SCALED_GEOMETRY } from "../../config/presets.ts";

export default defineAblation({
  name: "saliency-where",
  title: "Saliency-guided vs random masking (MoCo v2, high-pass fill)",
  question: "With the same fill (high-pass + noise), ratio and branch, does drawing the " +
    "masked cells from the saliency foreground beat drawing them uniformly at random?",
  arms: [
    {
      name: "random",
      label: "random cells",
      patch: {
        method: "saliency-moco",
        methodOptions: { ...SALIENCY_SCALED_GEOMETRY, where: "random", hardNegatives: false },
      },
    },
    {
      name: "saliency",
      label: "saliency-guided cells",
      patch: {
        method: "saliency-moco",
        methodOptions: { ...SALIENCY_SCALED_GEOMETRY, where: "saliency", hardNegatives: false },
      },
    },
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "random",
});
