/**
 * `smag-gating`: the gating-module ablation of S-MAG Table 4 (Baseline =
 * global average pooling, + SAM, + GAM; CIFAR-10 linear probe 90.1 / 92.8 /
 * 95.1 with 2.6G / 15.3G / 17.5G FLOPs), plus the full HSAGM neck
 * (MLP + GRU + gated attention, F5-F9).
 *
 * All arms train S-MAG with its default token mask (Fig. 4 setting rescaled to
 * the input size, see `smag-mask`); only `encoder.neck` changes. SAM and GAM
 * use an attention width of 128; HSAGM's MLP, GRU and output widths equal the
 * backbone's output channels (so its representation has the same size as the
 * others'), attention width 128. Masked feature cells are excluded from the
 * attention softmax. Params and FLOPs per image come from the encoder
 * (`Encoder.flops`), see the notebook.
 *
 * @module
 */
import type { ExperimentConfig } from "../../config/experiment.ts";
import { defineAblation } from "../spec.ts";
import { tinyStridedProfile } from "../profiles.ts";

/** Output channels of the CIFAR ResNet in `cfg` (width doubles per stage). */
function backboneChannels(cfg: ExperimentConfig): number {
  const { width, blocks } = cfg.encoder.backbone;
  if (typeof width !== "number" || !Array.isArray(blocks)) {
    throw new Error(
      `smag-gating: the backbone config needs numeric "width" and an array "blocks" (a CIFAR ` +
        `ResNet), got ${JSON.stringify(cfg.encoder.backbone)}`,
    );
  }
  return width * 2 ** (blocks.length - 1);
}

/** Arm patch: S-MAG (default token mask) with the neck built from the profile's backbone. */
function withNeck(neck: (channels: number) => ExperimentConfig["encoder"]["neck"]) {
  return (cfg: ExperimentConfig): ExperimentConfig => {
    cfg.method = "smag";
    cfg.methodOptions = { ...cfg.methodOptions, mask: "token" };
    cfg.encoder.neck = neck(backboneChannels(cfg));
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
    { name: "gap", label: "Baseline (GAP)", patch: withNeck(() => ({ type: "gap" })) },
    {
      name: "sam",
      label: "Baseline + SAM",
      patch: withNeck(() => ({ type: "sam", hidden: 128, maskedTokens: "exclude" })),
    },
    {
      name: "gam",
      label: "Baseline + GAM",
      patch: withNeck(() => ({ type: "gam", hidden: 128, maskedTokens: "exclude" })),
    },
    {
      name: "hsagm",
      label: "HSAGM (MLP + GRU + GAM)",
      patch: withNeck((c) => ({
        type: "hsagm",
        mlpDim: c,
        gruDim: c,
        attnDim: 128,
        outDim: c,
        maskedTokens: "exclude",
      })),
    },
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "gap",
  profiles: { tiny: tinyStridedProfile },
});
