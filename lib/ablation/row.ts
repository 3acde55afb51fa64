/**
 * One row per run of an ablation: which arm and seed, under which config
 * hash, on which data and backend, with every metric of its `result.json`.
 *
 * @module
 */
import type { ExperimentResult } from "../experiment/run.ts";

/**
 * The random-init baseline of a run (kNN and linear probe on the untrained encoder, and the
 * same fine-tuning from it when the run fine-tunes), reported beside every ablation's own
 * metrics so a reader sees the gain from self-supervision.
 */
export const RANDOM_INIT_METRICS: readonly string[] = [
  "randomInitLinearTop1",
  "randomInitKnnTop1",
  "randomInitFinetuneTop1",
];

/**
 * How much of the mask a mask-aware neck saw (smag): the percentage of the masked views'
 * feature cells that counted as visible, and of masked views with no visible cell (uniform
 * attention = GAP). In the runs table and, when every row has them, in the summary.
 */
export const MASK_VISIBILITY_METRICS: readonly string[] = ["visibleCellPct", "noVisibleCellPct"];

/**
 * Collapse diagnostics of the frozen encoder's test features (lib/eval/feature_spread.ts), of
 * the trained encoder and at random initialisation: normalised std (about 1 spread out, 0
 * collapsed) and effective rank. Runs finished before they existed lack them, so the summary
 * shows them only when every row has them.
 */
export const FEATURE_SPREAD_METRICS: readonly string[] = [
  "featureStd",
  "featureRank",
  "randomInitFeatureStd",
  "randomInitFeatureRank",
];

/**
 * Metrics summarised per arm: the ablation's own, then the random-init baseline metrics and the
 * feature spread metrics when every row has them, and the mask visibility metrics when any row
 * has them.
 */
export function summaryMetrics(metrics: readonly string[], rows: readonly AblationRow[]): string[] {
  const has = (r: AblationRow, m: string) => typeof r.metrics[m] === "number";
  const extra = [
    ...[...RANDOM_INIT_METRICS, ...FEATURE_SPREAD_METRICS].filter((m) =>
      rows.length > 0 && rows.every((r) => has(r, m))
    ),
    // Arms without a mask have none; their summary rows say "no values".
    ...MASK_VISIBILITY_METRICS.filter((m) => rows.some((r) => has(r, m))),
  ].filter((m) => !metrics.includes(m));
  return [...metrics, ...extra];
}

/** Result fields that are reported as metrics in the runs table when present. */
export const STANDARD_METRICS: readonly string[] = [
  "linearTop1",
  "linearTop5",
  "knnTop1",
  "knnTop5",
  "finetuneTop1",
  "finetuneTop5",
  "finalLoss",
  ...RANDOM_INIT_METRICS,
  ...FEATURE_SPREAD_METRICS,
  ...MASK_VISIBILITY_METRICS,
];

/** One finished run. Accuracies are percentages (as in `ExperimentResult`). */
export interface AblationRow {
  ablation: string;
  profile: string;
  arm: string;
  armLabel: string;
  seed: number;
  configHash: string;
  method: string;
  dataset: string;
  synthetic: boolean;
  backend: string;
  /** Metric name -> value (null when the run did not produce it). */
  metrics: Record<string, number | null>;
  trainSeconds: number;
  evalSeconds: number;
  /** Wall time of the invocation that finished the run. */
  seconds: number;
  runDir: string;
}

/** Identity of a run inside an ablation (what the runner knows before training). */
export interface RunIdentity {
  ablation: string;
  profile: string;
  arm: string;
  armLabel: string;
  seed: number;
  runDir: string;
}

/**
 * Builds a row from a run's result; `metrics` are required (throws naming the
 * run and the fields it has when one is missing), standard metrics are added
 * when present.
 */
export function rowFromResult(
  id: RunIdentity,
  result: ExperimentResult,
  metrics: readonly string[],
): AblationRow {
  const fields = result as unknown as Record<string, unknown>;
  const values: Record<string, number | null> = {};
  for (const m of metrics) {
    const v = fields[m];
    if (typeof v !== "number") {
      const numeric = Object.keys(fields).filter((k) => typeof fields[k] === "number");
      throw new Error(
        `${id.runDir}/result.json has no numeric field "${m}" (declared in the metrics of ` +
          `ablation "${id.ablation}"); its numeric fields are ${numeric.join(", ")}: fix the ` +
          `metric name, or make the config produce it (e.g. finetuneTop1 needs eval.finetuneLabels)`,
      );
    }
    values[m] = v;
  }
  for (const m of STANDARD_METRICS) {
    if (!(m in values) && typeof fields[m] === "number") values[m] = fields[m] as number;
  }
  return {
    ...id,
    configHash: result.configHash,
    method: result.method,
    dataset: result.dataset,
    synthetic: result.synthetic,
    backend: result.backend,
    metrics: values,
    trainSeconds: result.trainSeconds,
    evalSeconds: result.evalSeconds,
    seconds: result.seconds,
  };
}
