/**
 * Ablation figures in the kit's one plotting path (`lib/plot`): per metric
 * and dataset, a bar per arm at the mean over seeds with the 95% Student-t
 * interval as error bar, saved as figure JSON under `figures/`. `deno task
 * figures` renders them to SVG, PDF and
 * PNG. Bars are labelled with the arms' labels (wrapped by `barChart`); the
 * title names the dataset by its readable name (synthetic data marked), the
 * note under it what bars and error bars are; `title` (the ablation's) is kept
 * in the figure's metadata as `layout.meta.ablation`.
 *
 * @module
 */
import { join } from "node:path";
import { barChart } from "../plot/bar_chart.ts";
import { saveFigure } from "../plot/save.ts";
import type { AxisSpec } from "../plot/figure.ts";
import type { AblationRow } from "./row.ts";
import type { SummaryRow } from "./summary.ts";

/** Readable names of the kit's datasets for figure titles (other names are shown as they are). */
export const DATASET_LABELS: Readonly<Record<string, string>> = {
  "cifar10-jpeg": "CIFAR-10 (JPEG copy)",
  cifar10: "CIFAR-10",
  svhn: "SVHN",
  synthetic: "Synthetic shapes",
};

/** Axis title and unit of the kit's result metrics (accuracies are percentages). */
export function metricAxis(metric: string): AxisSpec {
  const known: Record<string, string> = {
    linearTop1: "Linear probe top-1 accuracy",
    linearTop5: "Linear probe top-5 accuracy",
    knnTop1: "kNN top-1 accuracy",
    knnTop5: "kNN top-5 accuracy",
    finetuneTop1: "Fine-tuning top-1 accuracy",
    finetuneTop5: "Fine-tuning top-5 accuracy",
    randomInitLinearTop1: "Linear probe top-1 at random init",
    randomInitKnnTop1: "kNN top-1 at random init",
    randomInitFinetuneTop1: "Fine-tuning top-1 from random init",
    visibleCellPct: "Feature cells visible to the neck",
    noVisibleCellPct: "Masked views without a visible cell",
  };
  const unitless: Record<string, string> = {
    featureStd: "Normalised feature std (1 spread, 0 collapsed)",
    featureRank: "Effective rank of the features",
    randomInitFeatureStd: "Normalised feature std at random init",
    randomInitFeatureRank: "Effective rank at random init",
  };
  if (metric in known) return { title: known[metric], unit: "%" };
  if (metric in unitless) return { title: unitless[metric], unit: null };
  if (/seconds$/i.test(metric)) return { title: metric, unit: "s" };
  return { title: metric, unit: null };
}

/**
 * Saves `figures/<metric>[-<dataset>].json` under `dir` for every metric of
 * `summary` (bars: mean over seeds; error bars: 95% interval) and returns the paths.
 */
export async function writeAblationFigures(
  dir: string,
  title: string,
  summary: readonly SummaryRow[],
  rows: readonly AblationRow[],
): Promise<string[]> {
  const figDir = join(dir, "figures");
  const datasets = [...new Set(summary.map((s) => s.dataset))];
  const metrics = [...new Set(summary.map((s) => s.metric))];
  const paths: string[] = [];
  for (const dataset of datasets) {
    for (const metric of metrics) {
      const armSamples = (arm: string) =>
        rows.filter((r) => r.arm === arm && r.dataset === dataset)
          .map((r) => r.metrics[metric])
          .filter((v): v is number => typeof v === "number");
      // Arms without values for this metric (e.g. no mask: no visible-cell fraction) are left out.
      const lines = summary.filter((s) =>
        s.dataset === dataset && s.metric === metric && armSamples(s.arm).length > 0
      );
      if (lines.length === 0) continue;
      const samples = lines.map((s) => armSamples(s.arm));
      const synthetic = lines.some((s) => s.synthetic) ? " [SYNTHETIC DATA]" : "";
      const fig = barChart(lines.map((s) => s.label), [{ name: metric, samples }], {
        title: `${DATASET_LABELS[dataset] ?? dataset}${synthetic}`,
        size: lines.length > 4 ? "page" : "column",
        x: { title: "Configuration", unit: null },
        y: metricAxis(metric),
        error: "ci",
      });
      fig.layout.meta = { ablation: title, metric, dataset };
      const name = datasets.length > 1 ? `${metric}-${dataset}` : metric;
      paths.push(await saveFigure(fig, figDir, name.replace(/[^A-Za-z0-9._-]/g, "_")));
    }
  }
  return paths;
}
