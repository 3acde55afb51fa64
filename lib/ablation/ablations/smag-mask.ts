/**
 * `smag-mask`: S-MAG with and without its visual mask structure (F2), the
 * ablation of S-MAG Fig. 3 ("w/ and w/o mask strategies": accuracy against
 * training progress on CIFAR-10 and SVHN; masks about +3 points at the end).
 *
 * Arms (everything else equal: S-MAG pipeline, GAM neck of width 128 that
 * excludes masked feature cells, NT-Xent with tau 0.5):
 * - `no-mask`: `mask: "none"` (the baseline);
 * - `token-mask`: random square tokens at the paper's Fig. 4 setting (20x20
 *   px x 200 tokens on 224x224, about 79% of the area masked) rescaled to the
 *   input size keeping the expected masked-area fraction (`"auto"` =
 *   `scaleTokenSpec`: 3x3 px x 171 tokens, about 76%, on 32x32), zero fill
 *   (the dataset mean colour), one view masked.
 *
 * Every profile turns the kNN monitor on (`eval.monitorEvery`: every epoch
 * on tiny/quick/10k-15ep, every 10 epochs on paper), so each run's `metrics.jsonl`
 * has `knnMonitorTop1` per monitored epoch for the Fig. 3 curve.
 *
 * @module
 */
import { defineAblation, type Profile } from "../spec.ts";
import { neckPreset } from "../../config/presets.ts";
import { quickProfile, STRIDED_PROFILES, withEpochKnnMonitor } from "../profiles.ts";

/** The GAM preset (lib/config/presets.ts). */
const GAM_NECK = neckPreset("gam");

/**
 * `quick` with 5 epochs over 3,000 images instead of 3 over 5,000: the same
 * 15,000 training images (same cost), but five points on the
 * accuracy-vs-progress curve.
 */
const quickFiveEpochs: Profile = (cfg, dataset) => {
  const out = quickProfile(cfg, dataset);
  out.data = { ...out.data, trainSize: 3000 };
  out.optim = { ...out.optim, epochs: 5 };
  return out;
};

export default defineAblation({
  name: "smag-mask",
  title: "S-MAG with vs without masks",
  question:
    "Does training S-MAG on masked views (random square tokens at the paper's masked-area " +
    "fraction) give higher kNN and linear-probe accuracy, during training and at the end, " +
    "than the same pipeline without masks (S-MAG Fig. 3)?",
  arms: [
    {
      name: "no-mask",
      label: "without mask",
      patch: { method: "smag", methodOptions: { mask: "none" }, encoder: { neck: GAM_NECK } },
    },
    {
      name: "token-mask",
      label: "with token mask (Fig. 4 setting, area-scaled)",
      patch: {
        method: "smag",
        methodOptions: { mask: "token", tokenSize: "auto", tokenCount: "auto", fill: "zero" },
        encoder: { neck: GAM_NECK },
      },
    },
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "no-mask",
  profiles: withEpochKnnMonitor({ ...STRIDED_PROFILES, quick: quickFiveEpochs }),
});
