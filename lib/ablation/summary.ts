/**
 * Per-arm summary of an ablation: for each arm, dataset and metric, the
 * number of seeds, the mean, the sample standard deviation and the 95%
 * Student-t confidence interval of the mean over seeds.
 *
 * @module
 */
import type { AblationRow } from "./row.ts";
import { meanConfidenceInterval } from "../stats/t_interval.ts";

/** One line of `summary.csv`. `std`/`ci_*` are null with a single seed (see `note`). */
export interface SummaryRow {
  ablation: string;
  profile: string;
  arm: string;
  label: string;
  dataset: string;
  synthetic: boolean;
  metric: string;
  seeds: number;
  mean: number;
  std: number | null;
  ci_low: number | null;
  ci_high: number | null;
  /** Why a field is empty, or "" (e.g. "1 seed: no std or interval"). */
  note: string;
}

const orNull = (v: number) => (Number.isFinite(v) ? v : null);

/**
 * Summarises `rows` for `metrics`, arms in first-appearance order (the spec's
 * order when rows come from the runner), then datasets, then metrics.
 */
export function summarize(
  rows: readonly AblationRow[],
  metrics: readonly string[],
  level = 0.95,
): SummaryRow[] {
  const groups = new Map<string, AblationRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.arm, r.dataset]);
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const out: SummaryRow[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    for (const metric of metrics) {
      const values = group.map((r) => r.metrics[metric]).filter((v): v is number =>
        typeof v === "number" && Number.isFinite(v)
      );
      const ci = meanConfidenceInterval(values, level);
      const missing = group.length - values.length;
      const notes: string[] = [];
      if (values.length === 1) notes.push("1 seed: no std or interval");
      if (values.length === 0) notes.push("no values");
      if (missing > 0) notes.push(`${missing} run(s) without this metric`);
      out.push({
        ablation: first.ablation,
        profile: first.profile,
        arm: first.arm,
        label: first.armLabel,
        dataset: first.dataset,
        synthetic: group.some((r) => r.synthetic),
        metric,
        seeds: values.length,
        mean: ci.mean,
        std: orNull(ci.std),
        ci_low: orNull(ci.low),
        ci_high: orNull(ci.high),
        note: notes.join("; "),
      });
    }
  }
  return out;
}

const num = (v: number | null, digits = 2) =>
  v === null || !Number.isFinite(v) ? "-" : v.toFixed(digits);

/** The summary as an aligned plain-text table (for terminals and COMMAND.md). */
export function formatSummaryTable(summary: readonly SummaryRow[]): string {
  const header = ["arm", "label", "dataset", "metric", "seeds", "mean", "std", "95% CI", "note"];
  const body = summary.map((s) => [
    s.arm,
    s.label,
    s.dataset + (s.synthetic ? " (synthetic)" : ""),
    s.metric,
    String(s.seeds),
    num(s.mean),
    num(s.std),
    s.ci_low === null ? "-" : `[${num(s.ci_low)}, ${num(s.ci_high)}]`,
    s.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
