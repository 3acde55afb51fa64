/**
 * Two arms of an ablation compared on one metric: the difference of means
 * with its confidence interval, for the computed conclusions of notebooks
 * ("tau 0.2 beats tau 0.5 by 1.3 points, 95% CI [0.4, 2.2]").
 *
 * - paired t (default when both arms ran the same seeds, at least 2): the
 *   per-seed differences a_s - b_s, mean ± t_{n-1} * sd / sqrt(n). Seeds fix
 *   initialisation and data order, so pairing removes that shared noise.
 * - Welch t otherwise: (mean_a - mean_b) ± t_df * sqrt(va/na + vb/nb), df by
 *   Welch-Satterthwaite.
 *
 * What the interval can tell is {@link ArmComparison.evidence}, the one
 * definition that tables and verdicts read:
 * - `excludes-zero`: the interval lies strictly on one side of zero;
 * - `includes-zero`: it contains zero (no detectable difference);
 * - `no-spread`: the spread the interval is built from is zero (every seed
 *   gave the same difference, or every value of each arm ties, as on the
 *   tiny profile), so the interval has zero width: that is not evidence of a
 *   difference, whatever the sign of the mean;
 * - `too-few-seeds`: no interval at all (fewer than 2 seeds per arm).
 *
 * Beside every interval stands the minimal detectable difference
 * {@link ArmComparison.mde} (`lib/stats/power.ts`): the smallest true
 * difference these seeds detect with 80% power at the two-sided level of the
 * interval, from the spread observed: paired
 * `(t_{1-a/2, n-1} + t_{0.8, n-1}) * sd_diff / sqrt(n)`, Welch the same with
 * the Welch df and standard error. An interval that includes zero then reads
 * "no difference larger than MDE points detectable", not "no effect". It is
 * NaN (undefined) with fewer than 2 seeds and with no spread.
 *
 * @module
 */
import type { AblationRow } from "./row.ts";
import { mean, sampleStd, studentTQuantile } from "../stats/t_interval.ts";
import { mdeMultiplier } from "../stats/power.ts";

/** How {@link compareArms} pairs the runs. */
export type Pairing = "auto" | "paired" | "welch";

/** What a comparison's interval can tell (see the module docs). */
export type ComparisonEvidence = "excludes-zero" | "includes-zero" | "no-spread" | "too-few-seeds";

/**
 * Spread below this fraction of the largest |value| counts as none: the
 * rounding of subtracting equal accuracies is about 1e-16 of them, real seed
 * noise is many orders larger.
 */
const NO_SPREAD_RELATIVE = 1e-9;

/** The comparison of arm `a` with arm `b` (difference = a - b). */
export interface ArmComparison {
  metric: string;
  a: string;
  b: string;
  meanA: number;
  meanB: number;
  nA: number;
  nB: number;
  /** mean(a) - mean(b) (paired: mean of per-seed differences, the same number). */
  diff: number;
  low: number;
  high: number;
  /** Degrees of freedom of the t quantile (NaN when the interval cannot be computed). */
  df: number;
  level: number;
  method: "paired" | "welch";
  /** What the interval can tell; the single definition for tables and verdicts. */
  evidence: ComparisonEvidence;
  /** `evidence === "excludes-zero"`: a zero-width interval (no spread) never excludes zero. */
  excludesZero: boolean;
  /**
   * Minimal detectable difference (same units as the metric): the smallest true |a - b| these
   * seeds detect with {@link ArmComparison.power} at the interval's two-sided level, from the
   * observed spread (see module docs). NaN with fewer than 2 seeds or no spread (undefined).
   */
  mde: number;
  /** Power the {@link ArmComparison.mde} is computed for (0.8). */
  power: number;
  /** One sentence for reports. */
  text: string;
}

/** Options of {@link compareArms}. */
export interface CompareOptions {
  level?: number;
  pairing?: Pairing;
  /** Power of the minimal detectable difference (default 0.8). */
  power?: number;
}

/** The finite values of `metric` of arm `arm`, by seed. */
export function valuesBySeed(
  rows: readonly AblationRow[],
  arm: string,
  metric: string,
): Map<number, number> {
  const bySeed = new Map<number, number>();
  for (const r of rows) {
    if (r.arm !== arm) continue;
    const v = r.metrics[metric];
    if (typeof v === "number" && Number.isFinite(v)) bySeed.set(r.seed, v);
  }
  return bySeed;
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.round(v * 100) / 100).toString() : "n/a");

/** Compares arms `a` and `b` on `metric` (see module docs); diff = mean(a) - mean(b). */
export function compareArms(
  rows: readonly AblationRow[],
  a: string,
  b: string,
  metric: string,
  opts: CompareOptions = {},
): ArmComparison {
  const level = opts.level ?? 0.95;
  const pairing = opts.pairing ?? "auto";
  const power = opts.power ?? 0.8;
  const va = valuesBySeed(rows, a, metric);
  const vb = valuesBySeed(rows, b, metric);
  const arms = [...new Set(rows.map((r) => r.arm))];
  for (const [name, m] of [[a, va], [b, vb]] as const) {
    if (m.size === 0) {
      throw new Error(
        `compareArms: arm "${name}" has no values of "${metric}"; arms with rows: ` +
          `${arms.join(", ")} (check the arm and metric names)`,
      );
    }
  }
  const xa = [...va.values()];
  const xb = [...vb.values()];
  const sameSeeds = va.size === vb.size && [...va.keys()].every((s) => vb.has(s));
  if (pairing === "paired" && !sameSeeds) {
    throw new Error(
      `compareArms: paired comparison needs the same seeds in both arms; "${a}" has ` +
        `[${[...va.keys()]}], "${b}" has [${[
          ...vb.keys(),
        ]}] (use pairing "welch" or run the missing seeds)`,
    );
  }
  const paired = pairing === "paired" || (pairing === "auto" && sameSeeds && va.size >= 2);
  const q = (
    df: number,
  ) => (df > 0 && Number.isFinite(df) ? studentTQuantile((1 + level) / 2, df) : NaN);
  // Spread at or below the rounding noise of the values counts as none.
  const noSpreadBelow = NO_SPREAD_RELATIVE * Math.max(...[...xa, ...xb].map(Math.abs), 1);
  let diff: number;
  let spread: number;
  let half: number;
  let df: number;
  /** Standard error of the difference (what the interval's half-width multiplies). */
  let se: number;
  if (paired) {
    const d = [...va.keys()].map((s) => va.get(s)! - vb.get(s)!);
    diff = mean(d);
    df = d.length - 1;
    spread = sampleStd(d);
    se = spread / Math.sqrt(d.length);
    half = q(df) * se;
  } else {
    diff = mean(xa) - mean(xb);
    const sa = xa.length > 1 ? sampleStd(xa) ** 2 / xa.length : NaN;
    const sb = xb.length > 1 ? sampleStd(xb) ** 2 / xb.length : NaN;
    const se2 = sa + sb;
    spread = Math.sqrt(se2);
    df = se2 === 0
      ? xa.length + xb.length - 2
      : se2 * se2 / (sa * sa / (xa.length - 1) + sb * sb / (xb.length - 1));
    se = spread;
    half = q(df) * spread;
  }
  const evidence: ComparisonEvidence = !Number.isFinite(spread)
    ? "too-few-seeds"
    : spread <= noSpreadBelow
    ? "no-spread"
    : !Number.isFinite(half)
    ? "too-few-seeds"
    : diff - half > 0 || diff + half < 0
    ? "excludes-zero"
    : "includes-zero";
  if (evidence === "no-spread") half = 0;
  const mde = evidence === "excludes-zero" || evidence === "includes-zero"
    ? mdeMultiplier(df, 1 - level, power) * se
    : NaN;
  const low = diff - half;
  const high = diff + half;
  const pct = Math.round(level * 100);
  const how = paired
    ? `paired t over ${va.size} seeds`
    : `Welch t, ${xa.length} vs ${xb.length} seeds`;
  const verdict = {
    "too-few-seeds": "too few seeds for an interval (need at least 2 per arm)",
    "no-spread": `no spread, cannot tell: ${
      paired ? "every seed gave the same difference" : "each arm gave one value on every seed"
    }, so the interval has zero width and is no evidence either way`,
    "excludes-zero": `the interval excludes zero: ${a} is ${
      diff > 0 ? "higher" : "lower"
    } than ${b} at this level`,
    "includes-zero":
      `the interval includes zero: no difference larger than ${fmt(mde)} points detectable with ${
        va.size === vb.size ? va.size : `${xa.length} vs ${xb.length}`
      } ` +
      `seeds (MDE, ${Math.round(power * 100)}% power)`,
  }[evidence];
  const mdeText = evidence === "excludes-zero"
    ? `; MDE ${fmt(mde)} at ${Math.round(power * 100)}% power`
    : evidence === "includes-zero"
    ? ""
    : "; MDE undefined";
  return {
    metric,
    a,
    b,
    meanA: mean(xa),
    meanB: mean(xb),
    nA: xa.length,
    nB: xb.length,
    diff,
    low,
    high,
    df,
    level,
    method: paired ? "paired" : "welch",
    evidence,
    excludesZero: evidence === "excludes-zero",
    mde,
    power,
    text:
      `${a} - ${b} on ${metric}: ${diff >= 0 ? "+" : ""}${fmt(diff)} (${pct}% CI [${fmt(low)}, ` +
      `${fmt(high)}], ${how}); ${verdict}${mdeText}`,
  };
}
