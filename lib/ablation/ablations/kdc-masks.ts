/**
 * `kdc-masks`: the KDC-MAE ablations of Tables 2-4 in one ablation (one run
 * per configuration, shared by the three tables):
 *
 * | arm               | streams | masks         | lambda_kd | weights | kd  | paper   |
 * | ----------------- | ------- | ------------- | --------- | ------- | --- | ------- |
 * | `dual-overlap`    | 2       | overlap       | 10        | static  | KL  | Table 2 |
 * | `dual-compl`      | 2       | complementary | 10        | static  | KL  | T2-T4 (baseline) |
 * | `dual-compl-kd5`  | 2       | complementary | 5         | static  | KL  | Table 2 |
 * | `dual-compl-kd15` | 2       | complementary | 15        | static  | KL  | Table 2 |
 * | `dual-compl-dw`   | 2       | complementary | 10 (init) | learned | KL  | Table 3 |
 * | `triple-overlap`  | 3       | overlap       | 10        | static  | KL  | Table 4 |
 * | `triple-compl`    | 3       | complementary | 10        | static  | KL  | Table 4 |
 * | `dual-compl-js`   | 2       | complementary | 10        | static  | JS  | extra   |
 * | `dual-compl-kd0`  | 2       | complementary | 0         | static  | -   | T1, T5 (CAV-MAE) |
 *
 * `dual-compl-kd0` switches the distillation term off (L = L_r + lambda_c L_c,
 * the CAV-MAE objective, KDC-MAE section 2.1): the paper's main comparison,
 * CAV-MAE vs KDC-MAE in Tables 1 and 5. It keeps the two complementary streams,
 * so it isolates L_kd (CAV-MAE itself is one stream; its L_c is audio-visual).
 *
 * lambda_kd 10 is the kit's default and this ablation's baseline. Table 2 marks
 * the lambda_kd 5 row "Proposed", but the text under it says "for lambda_kd = 10
 * with complementary masking, we achieve the best result among all our
 * experiments", and Table 1's "Proposed" row (64.23 / 58.73 / 43.43 / 41.03 /
 * 37.62 / 30.95) is exactly Table 2's lambda_kd 10 row, so the numbers the paper
 * reports as its method are lambda_kd 10. The tables do not settle which value is
 * better: lambda_kd 5 (64.01 / 58.84 / 43.51 / 41.62 / 38.42 / 31.25) is ahead of
 * 10 in five of the six columns and behind only in VGGSound FT AV (64.01 vs
 * 64.23), the one column the paper-comparison entry `kdc-t2-kd5` cites.
 *
 * `dual-compl-dw` learns the weights of L_c and L_kd only (`learnedTerms:
 * "con-kd"`, spelled out so that its config hash differs from runs made when
 * the kit also learned the weight of L_r): "dynamic weights replacing lambda_c
 * and lambda_kd" (KDC-MAE, Table 3 discussion).
 *
 * Common: mask ratio 0.75 on the backbone's output-stride patch grid (4x4
 * patches of 8 px for a 4-stage ResNet on 32x32, so 4 visible patches per
 * stream and 3 streams still fit complementarily), lambda_c 0.01, InfoNCE
 * tau 0.05, normalised-pixel reconstruction. `dual-compl-js` is not in the
 * paper: with a ReLU ResNet the min-shifted embeddings have many exact zeros
 * and the KL term at lambda_kd 10 dominates the loss; Jensen-Shannon (what
 * the authors' code uses) stays bounded.
 *
 * Evaluation: KDC-MAE's Tables 1-4 are fine-tuning accuracies ("FT" in every column), so every
 * profile fine-tunes each pre-trained encoder with 4,000 class-balanced CIFAR-10 labels (the
 * kit's fine-tuning protocol, 10 epochs; tiny: 20 labels) and `finetuneTop1` is the first
 * metric, with the same fine-tuning from the untrained encoder (`randomInitFinetuneTop1`)
 * beside it. Until 2026-12-03 the ablation read a linear probe only, under which its baseline
 * was no better than random initialisation (34.06 % vs 35.05 % on 10k-15ep, seed 0); the
 * pilot ablation `kdc-loss-weights` looks at why.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { STRIDED_PROFILES, withFinetuning } from "../profiles.ts";

interface KdcArm {
  name: string;
  label: string;
  streams: 2 | 3;
  masks: "complementary" | "overlap";
  lambdaKd: number;
  weights: "static" | "learned";
  kd: "kl" | "js";
}

const ARMS: KdcArm[] = [
  ["dual-overlap", "dual, overlap, lambda_kd 10", 2, "overlap", 10, "static", "kl"],
  ["dual-compl", "dual, complementary, lambda_kd 10", 2, "complementary", 10, "static", "kl"],
  ["dual-compl-kd5", "dual, complementary, lambda_kd 5", 2, "complementary", 5, "static", "kl"],
  ["dual-compl-kd15", "dual, complementary, lambda_kd 15", 2, "complementary", 15, "static", "kl"],
  [
    "dual-compl-dw",
    "dual, complementary, learned weights",
    2,
    "complementary",
    10,
    "learned",
    "kl",
  ],
  ["triple-overlap", "triple, overlap, lambda_kd 10", 3, "overlap", 10, "static", "kl"],
  ["triple-compl", "triple, complementary, lambda_kd 10", 3, "complementary", 10, "static", "kl"],
  [
    "dual-compl-js",
    "dual, complementary, JS, lambda_kd 10",
    2,
    "complementary",
    10,
    "static",
    "js",
  ],
  [
    "dual-compl-kd0",
    "dual, complementary, lambda_kd 0 (no L_kd: CAV-MAE objective)",
    2,
    "complementary",
    0,
    "static",
    "kl",
  ],
].map(([name, label, streams, masks, lambdaKd, weights, kd]) =>
  ({ name, label, streams, masks, lambdaKd, weights, kd }) as KdcArm
);

export default defineAblation({
  name: "kdc-masks",
  title: "KDC-MAE: streams, overlap vs complementary, lambda_kd, dynamic weights",
  question: "On a ConvNet, do complementary masks beat overlapping ones for two and three " +
    "streams, does the distillation term help at all (lambda_kd 0, the CAV-MAE objective, vs " +
    "10), how much does lambda_kd (5/10/15) matter, and do learned loss weights help " +
    "(KDC-MAE Tables 1-5)?",
  arms: ARMS.map((a) => ({
    name: a.name,
    label: a.label,
    patch: {
      method: "kdc-mae",
      methodOptions: {
        streams: a.streams,
        masks: a.masks,
        ratio: 0.75,
        lambdaC: 0.01,
        lambdaKd: a.lambdaKd,
        weights: a.weights,
        ...(a.weights === "learned" ? { learnedTerms: "con-kd" } : {}),
        kd: a.kd,
      },
    },
  })),
  seeds: 3,
  metrics: ["finetuneTop1", "linearTop1", "knnTop1"],
  baseline: "dual-compl",
  // 18 runs: the strided tiny profile (32 images, 8x8 patch grid) keeps the notebook in seconds.
  profiles: withFinetuning(STRIDED_PROFILES),
});
