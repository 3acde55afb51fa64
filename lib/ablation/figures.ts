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
import { metricLabel } from "./metric_labels.ts";

/** Readable names of the kit's datasets for figure titles (other names are shown as they are). */
export const DATASET_LABELS: Readonly<Record<string, string>> = {
  "cifar10-jpeg": "CIFAR-10 (JPEG copy)",
  cifar10: "CIFAR-10",
  svhn: "SVHN",
  synthetic: "Synthetic shapes",
};

/** Axis title and unit of a result metric (its {@link metricLabel}, capitalised). */
export function metricAxis(metric: string): AxisSpec {
  const { name, unit } = metricLabel(metric);
  const title = name.startsWith("kNN") ? name : name[0].toUpperCase() + name.slice(1);
  return { title, unit };
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
