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
 *
 * Common: mask ratio 0.75 on the backbone's output-stride patch grid (4x4
 * patches of 8 px for a 4-stage ResNet on 32x32, so 4 visible patches per
 * stream and 3 streams still fit complementarily), lambda_c 0.01, InfoNCE
 * tau 0.05, normalised-pixel reconstruction. `dual-compl-js` is not in the
 * paper: with a ReLU ResNet the min-shifted embeddings have many exact zeros
 * and the KL term at lambda_kd 10 dominates the loss; Jensen-Shannon (what
 * the authors' code uses) stays bounded.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { tinyStridedProfile } from "../profiles.ts";

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
].map(([name, label, streams, masks, lambdaKd, weights, kd]) =>
  ({ name, label, streams, masks, lambdaKd, weights, kd }) as KdcArm
);

export default defineAblation({
  name: "kdc-masks",
  title: "KDC-MAE: streams, overlap vs complementary, lambda_kd, dynamic weights",
  question: "On a ConvNet, do complementary masks beat overlapping ones for two and three " +
    "streams, how much does lambda_kd (5/10/15) matter, and do learned loss weights help " +
    "(KDC-MAE Tables 2-4)?",
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
        kd: a.kd,
      },
    },
  })),
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "dual-compl",
  // 16 runs: the strided tiny profile (32 images, 8x8 patch grid) keeps the notebook in seconds.
  profiles: { tiny: tinyStridedProfile },
});
