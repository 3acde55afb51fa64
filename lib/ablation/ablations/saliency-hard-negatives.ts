/**
 * `saliency-hard-negatives`: do the poster's hard negatives help? Saliency-
 * guided MoCo v2 (high-pass + noise, query branch masked) with and without
 * the extra negative: a copy of the key view with r ~ U[0.4, 0.7] of its
 * foreground cells masked, entering the logits as `alpha * q.h / T`, alpha 2.
 * The poster reports no separate number for this switch.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { SALIENCY_SCALED_GEOMETRY } from "../../config/presets.ts";

export default defineAblation({
  name: "saliency-hard-negatives",
  title: "Saliency MoCo v2 with and without hard negatives",
  question: "Does adding the foreground-masked key view as a hard negative (alpha = 2) " +
    "change linear-probe and kNN accuracy of saliency-guided MoCo v2?",
  arms: [
    {
      name: "without",
      label: "no hard negatives",
      patch: {
        method: "saliency-moco",
        methodOptions: { ...SALIENCY_SCALED_GEOMETRY, hardNegatives: false },
      },
    },
    {
      name: "with",
      label: "hard negatives (alpha 2)",
      patch: {
        method: "saliency-moco",
        methodOptions: { ...SALIENCY_SCALED_GEOMETRY, hardNegatives: true, alpha: 2 },
      },
    },
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "without",
});
