/**
 * `saliency-eval-input`: the saliency arms with the high-pass fill also high-pass
 * the inputs of their evaluation (kNN and linear probe), as the poster does
 * (`evalHighPass`, default true; lib/methods/saliency_masked.ts). In
 * `saliency-branch` and `saliency-how` those arms read several points under
 * unmasked MoCo v2, whose evaluation sees plain images, and their random-init
 * probes read lower too (26-29 % against 34-35 %). This ablation separates
 * the two effects: one training recipe (saliency MoCo v2, query branch,
 * high-pass + noise, no hard negatives), evaluated on high-passed inputs
 * (`highpass-eval`, the baseline; the same config as `saliency-branch`'s
 * `query` arm, so its runs are copied from there) or on plain inputs
 * (`plain-eval`).
 *
 * `evalHighPass` is read only when the evaluated encoder is built, so both arms train the same
 * recipe from the same seeds; the runs are still separate trainings (the `highpass-eval` runs
 * were trained earlier, on another host and commit, and oneDNN's kernels round differently per
 * CPU, so the two runs of a seed are not bit-identical: their `finalLoss` differs in the third
 * decimal). The per-seed difference is therefore the evaluation transform's effect plus
 * seed-level training noise. Compare `plain-eval` with `saliency-branch`'s `mocov2` row to read
 * the masking's training effect on the same evaluation.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { SALIENCY_SCALED_GEOMETRY } from "../../config/presets.ts";

const QUERY_MASKING = { ...SALIENCY_SCALED_GEOMETRY, maskBranch: "query", hardNegatives: false };

export default defineAblation({
  name: "saliency-eval-input",
  title: "Saliency MoCo v2 evaluated on high-passed vs plain inputs",
  question: "How much of the high-pass saliency arm's gap to MoCo v2 comes from high-passing " +
    "the evaluation inputs rather than from training with masks?",
  arms: [
    {
      name: "highpass-eval",
      label: "high-passed eval inputs (poster)",
      patch: { method: "saliency-moco", methodOptions: { ...QUERY_MASKING } },
    },
    {
      name: "plain-eval",
      label: "plain eval inputs",
      patch: { method: "saliency-moco", methodOptions: { ...QUERY_MASKING, evalHighPass: false } },
    },
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "highpass-eval",
});
