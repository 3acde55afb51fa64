/**
 * `saliency-geometry`: the saliency poster's masking geometry is given for
 * 224-px images (7x7 grid, strong blur kernel 31 / sigma 10, high-pass 11 / 5).
 * On 32-px images the kit rescales it like token sizes (`saliencyGeometry` in
 * `lib/config/presets.ts`): the grid stays 7x7, the filters become 5 / 1.43
 * and 3 / 0.71. This ablation measures what the rescaling changes, on the
 * full method (saliency MoCo v2, high-pass + noise, query branch, hard
 * negatives):
 *
 * - `scaled` (baseline): grid 7, filters rescaled to the image (the default);
 * - `paper-filters`: grid 7, the 224-px filters as they are;
 * - `grid4-paper-filters`: the kit's geometry before 2026-12-03 (grid 4, 224-px
 *   filters; hard negatives with the current noise and cap).
 *
 * @module
 */
import { defineAblation } from "../spec.ts";

export default defineAblation({
  name: "saliency-geometry",
  title: "Saliency masking geometry: rescaled to 32 px vs the poster's 224-px values",
  question: "Does rescaling the poster's grid and filters to 32-px images (7x7 grid, blur " +
    "5 / 1.43, high-pass 3 / 0.71) change saliency MoCo v2 against the 224-px values " +
    "(blur 31 / 10, high-pass 11 / 5) and the kit's earlier 4x4 grid?",
  arms: [
    {
      name: "scaled",
      label: "7x7 grid, filters rescaled to the image",
      patch: { method: "saliency-moco", methodOptions: { grid: "auto", filterScale: "image" } },
    },
    {
      name: "paper-filters",
      label: "7x7 grid, 224-px filters",
      patch: { method: "saliency-moco", methodOptions: { grid: "auto", filterScale: "paper" } },
    },
    {
      name: "grid4-paper-filters",
      label: "4x4 grid, 224-px filters (kit before 2026-12-03)",
      patch: { method: "saliency-moco", methodOptions: { grid: 4, filterScale: "paper" } },
    },
  ],
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "scaled",
});
