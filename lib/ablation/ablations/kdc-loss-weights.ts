/**
 * `kdc-loss-weights`: does KDC-MAE's encoder learn at this scale, and which loss term decides
 * it? A diagnosis ablation run before `kdc-masks`, whose baseline (the paper's weights,
 * lambda_c 0.01, lambda_kd 10) reached 34.1 % linear top-1 on the 10k-15ep profile against
 * 35.1 % at random initialisation, while its InfoNCE term rose from 4.91 towards ln(256) =
 * 5.55 (pooled embeddings of different images becoming indistinguishable) and its
 * distillation term fell 20-fold (0.79 -> 0.04): the signature of a collapsed embedding, which
 * makes L_kd (a divergence between the two streams' embeddings) zero at no cost (run record
 * `results/kdc-masks/runs/dual-compl-s0-ab205ac6bb7e/` at commit 0425e67, before `kdc-masks`
 * moved to fine-tuning).
 *
 * Arms: two complementary streams, mask ratio 0.75 on the 4x4 patch grid, InfoNCE tau 0.05,
 * KL distillation, static weights (`kdc-masks`' `dual-compl`), varying only the two weights:
 *
 * | arm           | lambda_c | lambda_kd | what it tests                                       |
 * | ------------- | -------- | --------- | --------------------------------------------------- |
 * | `lc0.01-kd10` | 0.01     | 10        | the paper's weights (the baseline)                  |
 * | `lc0.01-kd0`  | 0.01     | 0         | CAV-MAE's objective: is L_kd what collapses it?     |
 * | `lc0.1-kd10`  | 0.1      | 10        | a contrastive term 10x stronger                     |
 * | `lc1-kd10`    | 1        | 10        | contrastive and reconstruction at equal weight      |
 * | `lc1-kd0`     | 1        | 0         | the same without distillation                       |
 *
 * Every run reports the collapse diagnostics of its features (`featureStd`, `featureRank`,
 * lib/eval/feature_spread.ts) beside the accuracies and their random-init values, and logs the
 * kNN monitor every epoch. Meant for the `10k-5ep` pilot profile (5 epochs, about 7 min a run).
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { STRIDED_PROFILES, withEpochKnnMonitor } from "../profiles.ts";

/** `[arm, lambda_c, lambda_kd]`. */
const WEIGHTS: [string, number, number][] = [
  ["lc0.01-kd10", 0.01, 10],
  ["lc0.01-kd0", 0.01, 0],
  ["lc0.1-kd10", 0.1, 10],
  ["lc1-kd10", 1, 10],
  ["lc1-kd0", 1, 0],
];

export default defineAblation({
  name: "kdc-loss-weights",
  title: "KDC-MAE: which loss weights let the ConvNet encoder learn",
  question: "Does KDC-MAE (two complementary streams) learn linearly separable features at " +
    "this scale with the paper's weights (lambda_c 0.01, lambda_kd 10), and if its embedding " +
    "collapses, is the distillation term the cause and does a stronger contrastive term stop it?",
  arms: WEIGHTS.map(([name, lambdaC, lambdaKd]) => ({
    name,
    label: `lambda_c ${lambdaC}, lambda_kd ${lambdaKd}` +
      (name === "lc0.01-kd10" ? " (paper)" : lambdaKd === 0 ? " (no L_kd)" : ""),
    patch: {
      method: "kdc-mae",
      methodOptions: {
        streams: 2,
        masks: "complementary",
        ratio: 0.75,
        lambdaC,
        lambdaKd,
        weights: "static",
        kd: "kl",
      },
    },
  })),
  seeds: 1,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "lc0.01-kd10",
  profiles: withEpochKnnMonitor(STRIDED_PROFILES),
});
