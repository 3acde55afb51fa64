/**
 * `smag-gating`: the gating-module ablation of S-MAG Table 4 (Baseline =
 * global average pooling, + SAM, + GAM; CIFAR-10 linear probe 90.1 / 92.8 /
 * 95.1 with 2.6G / 15.3G / 17.5G FLOPs), plus the full HSAGM neck
 * (MLP + GRU + the ReLU attention scorer of F9, F5-F9). HSAGM's attention is
 * F9 as the paper writes it, `Softmax(W_a ReLU(W_b F'' + b_b) + b_a)`
 * (section 3.3); the paper gives GAM no formula and no place inside HSAGM, so
 * the arm is not labelled "+ GAM" (it was, before 2026-12-03, while the code
 * already used F9). The GAM-style reading of the method reference (tanh x
 * sigmoid pooling on the GRU states) is `neckPreset("hsagm", c, { scorer:
 * "gated" })`, not an arm here.
 *
 * All arms train S-MAG with its default token mask (Fig. 4 setting rescaled to
 * the input size, see `smag-mask`); only `encoder.neck` changes. SAM and GAM
 * use an attention width of 128; HSAGM's MLP, GRU and output widths equal the
 * backbone's output channels (so its representation has the same size as the
 * others'), attention width 128. Masked feature cells are excluded from the
 * attention softmax. The necks are the presets of `lib/config/presets.ts`. Params and FLOPs per image come from the encoder
 * (`Encoder.flops`), see the notebook.
 *
 * @module
 */
import type { ExperimentConfig } from "../../config/experiment.ts";
import { backboneChannels, type NeckPreset, neckPreset } from "../../config/presets.ts";
import { defineAblation } from "../spec.ts";
import { tinyStridedProfile } from "../profiles.ts";

/** Arm patch: S-MAG (default token mask) with the neck built from the profile's backbone. */
function withNeck(neck: NeckPreset) {
  return (cfg: ExperimentConfig): ExperimentConfig => {
    cfg.method = "smag";
    cfg.methodOptions = { ...cfg.methodOptions, mask: "token" };
    cfg.encoder.neck = neckPreset(neck, backboneChannels(cfg.encoder.backbone, "smag-gating"));
    return cfg;
  };
}

export default defineAblation({
  name: "smag-gating",
  title: "S-MAG gating module: Baseline vs SAM vs GAM vs HSAGM",
  question: "Do attention-based necks (SAM, gated GAM, the full HSAGM) improve the linear-probe " +
    "and kNN accuracy of S-MAG over global average pooling, and at what cost in FLOPs " +
    "(S-MAG Table 4)?",
  arms: [
    { name: "gap", label: "Baseline (GAP)", patch: withNeck("gap") },
    { name: "sam", label: "Baseline + SAM", patch: withNeck("sam") },
    { name: "gam", label: "Baseline + GAM", patch: withNeck("gam") },
    { name: "hsagm", label: "HSAGM (MLP + GRU + F9 attention)", patch: withNeck("hsagm") },
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "gap",
  profiles: { tiny: tinyStridedProfile },
});
