/**
 * What the kit's result metrics are called in tables and on figure axes: one dictionary for
 * both, so a metric reads the same in a notebook's table and in its figure.
 *
 * @module
 */

/** A metric's readable name (sentence case, no unit) and unit. */
export interface MetricLabel {
  /** E.g. "linear probe top-1 accuracy". */
  name: string;
  /** "%" for accuracies and fractions, "s" for times, null for unitless numbers. */
  unit: "%" | "s" | null;
}

/** Labels of the metrics runs report (`lib/ablation/row.ts` STANDARD_METRICS and more). */
export const METRIC_LABELS: Readonly<Record<string, MetricLabel>> = {
  linearTop1: { name: "linear probe top-1 accuracy", unit: "%" },
  linearTop5: { name: "linear probe top-5 accuracy", unit: "%" },
  knnTop1: { name: "kNN top-1 accuracy", unit: "%" },
  knnTop5: { name: "kNN top-5 accuracy", unit: "%" },
  finetuneTop1: { name: "fine-tuning top-1 accuracy", unit: "%" },
  finetuneTop5: { name: "fine-tuning top-5 accuracy", unit: "%" },
  finalLoss: { name: "training loss at the last step", unit: null },
  randomInitLinearTop1: { name: "linear probe top-1 at random init", unit: "%" },
  randomInitKnnTop1: { name: "kNN top-1 at random init", unit: "%" },
  randomInitFinetuneTop1: { name: "fine-tuning top-1 from random init", unit: "%" },
  visibleCellPct: { name: "feature cells visible to the neck", unit: "%" },
  noVisibleCellPct: { name: "masked views without a visible cell", unit: "%" },
  featureStd: { name: "normalised feature std (1 spread, 0 collapsed)", unit: null },
  featureRank: { name: "effective rank of the features", unit: null },
  randomInitFeatureStd: { name: "normalised feature std at random init", unit: null },
  randomInitFeatureRank: { name: "effective rank at random init", unit: null },
};

/**
 * The label of `metric`: from {@link METRIC_LABELS}, else the metric's own name (in seconds when
 * it ends in "seconds", unitless otherwise).
 */
export function metricLabel(metric: string): MetricLabel {
  return METRIC_LABELS[metric] ??
    { name: metric, unit: /seconds$/i.test(metric) ? "s" : null };
}

/** "linear probe top-1 accuracy (%)": a table header's name of `metric`, with its unit. */
export function metricHeading(metric: string): string {
  const { name, unit } = metricLabel(metric);
  return unit ? `${name} (${unit})` : name;
}
