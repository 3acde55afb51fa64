/**
 * `saliency-branch`: which branch of the siamese pair should be masked?
 * Saliency-guided MoCo v2 (high-pass + noise fill, no hard negatives, so that
 * only the branch differs) masking the query view, the key view, or both.
 * Poster, "manipulating variance" (linear top-1, their small setting): MoCo v2
 * 56.00; high-pass key 52.25 vs query 58.19; blur 51.06 vs 58.28; mean 47.53
 * vs 58.34. Masking only the query branch is their choice.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";

export default defineAblation({
  name: "saliency-branch",
  title: "Which branch to mask: query, key or both (saliency MoCo v2)",
  question: "Does masking only the query branch beat masking the key branch or both, " +
    "as the poster's variance-manipulation table reports?",
  arms: (["query", "key", "both"] as const).map((b) => ({
    name: b,
    label: `mask ${b}`,
    patch: { method: "saliency-moco", methodOptions: { maskBranch: b, hardNegatives: false } },
  })),
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "query",
});
