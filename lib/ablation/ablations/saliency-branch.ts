/**
 * `saliency-branch`: which branch of the siamese pair should be masked?
 * Saliency-guided MoCo v2 (high-pass + noise fill, no hard negatives, so that
 * only the branch differs) masking the query view, the key view, or both.
 * Poster, "manipulating variance" (linear top-1, their small setting): MoCo v2
 * 56.00; high-pass key 52.25 vs query 58.19; blur 51.06 vs 58.28; mean 47.53
 * vs 58.34. Masking only the query branch is their choice.
 *
 * The unmasked MoCo v2 arm (`mocov2`, the baseline) is what the poster's
 * numbers are read against: masking the key falls below the baseline (52.25 <
 * 56.00) while masking the query rises above it (58.19). Each masked arm's row
 * in `comparisons.csv` is its difference from unmasked MoCo v2; query vs key is
 * `compareArms(rows, "query", "key", ...)`.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { SALIENCY_SCALED_GEOMETRY } from "../../config/presets.ts";

export default defineAblation({
  name: "saliency-branch",
  title: "Which branch to mask: query, key or both (saliency MoCo v2)",
  question: "Does masking only the query branch beat masking the key branch or both, and " +
    "does masking the key fall below unmasked MoCo v2, as the poster's variance-manipulation " +
    "table reports?",
  arms: [
    { name: "mocov2", label: "MoCo v2 (no mask)", patch: { method: "moco-v2" } },
    ...(["query", "key", "both"] as const).map((b) => ({
      name: b,
      label: `mask ${b}`,
      patch: {
        method: "saliency-moco",
        methodOptions: { ...SALIENCY_SCALED_GEOMETRY, maskBranch: b, hardNegatives: false },
      },
    })),
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "mocov2",
});
