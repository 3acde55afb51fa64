/**
 * The seed budget of ablations, from their first seeds: how large a difference
 * the seeds run so far can detect, how many seeds a target resolution needs,
 * and what the missing runs cost in hours. This is the arithmetic behind the
 * choice of a profile (README, "Ablation budget"):
 *
 * - per comparison (each arm against the baseline, paired by seed): the
 *   standard deviation of the per-seed differences `sd_diff` and the minimal
 *   detectable difference at the seeds run (`lib/stats/power.ts`);
 * - per ablation: the seeds that bring the MDE of its noisiest comparison to
 *   the target (`seedsForDifference`); where an ablation has fewer than 2
 *   paired seeds yet, the pooled `sd_diff` of the ablations measured so far;
 * - cost: measured minutes per run of each arm (its runs' `seconds`), else the
 *   mean of measured runs of the same method (any of the ablations given),
 *   times the runs still missing; runs of a method never run are counted apart.
 *
 * ```ts
 * const b = ablationBudget([{ spec, rows }], { metric: "linearTop1", target: 1.5 });
 * b.ablations[0].seedsNeeded; // e.g. 4
 * ```
 *
 * @module
 */
import type { AblationRow } from "./row.ts";
import { type AblationSpec, EVIDENCE_PROFILE, type ProfileName } from "./spec.ts";
import { armConfig } from "./runner.ts";
import { valuesBySeed } from "./compare.ts";
import { mean, sampleStd } from "../stats/t_interval.ts";
import { minimalDetectableDifference, seedsForDifference } from "../stats/power.ts";

/** One ablation's spec with the rows of the runs done so far (any seeds). */
export interface BudgetInput {
  spec: AblationSpec;
  rows: readonly AblationRow[];
}

/** Options of {@link ablationBudget}. */
export interface BudgetOptions {
  /** Metric the differences are taken on (e.g. `linearTop1`, in points). */
  metric: string;
  /** Difference (same units) every comparison should resolve at 80 % power, two-sided 95 %. */
  target: number;
  /** Seeds never planned below this (default 3). */
  minSeeds?: number;
  /** Profile whose configs name each arm's method (default {@link EVIDENCE_PROFILE}). */
  profile?: ProfileName;
}

/** One arm against the baseline. */
export interface BudgetComparison {
  arm: string;
  /** Seeds both arms ran. */
  pairedSeeds: number;
  /** Standard deviation of the per-seed differences (NaN below 2 paired seeds). */
  sdDiff: number;
  /** Minimal detectable difference at `pairedSeeds` (NaN below 2 or with no spread). */
  mde: number;
}

/** The budget of one ablation. */
export interface AblationBudget {
  name: string;
  arms: number;
  /** Runs done (rows), and the largest seed count any arm has. */
  runsDone: number;
  seedsDone: number;
  comparisons: BudgetComparison[];
  /** `sd_diff` the plan uses: the largest measured here, else the pooled one. */
  sdDiffUsed: number;
  /** Where {@link sdDiffUsed} comes from. */
  sdSource: "measured" | "pooled" | "none";
  /** Seeds for an MDE <= target (at least `minSeeds`; Infinity when out of reach). */
  seedsNeeded: number;
  /** Minutes per run of each arm (measured, or the same method's mean; NaN when unknown). */
  minutesPerRun: Record<string, number>;
  /** Runs still to do for `seedsNeeded` seeds of every arm, and the hours of those with known minutes. */
  runsLeft: number;
  hoursLeft: number;
  /** Runs left whose minutes are unknown (no run of their method yet; not in `hoursLeft`). */
  runsLeftUnknown: number;
}

/** The whole budget: per ablation, the pooled spread, the total hours left. */
export interface Budget {
  metric: string;
  target: number;
  pooledSdDiff: number;
  ablations: AblationBudget[];
  /** Hours of the runs left with known minutes. */
  hoursLeft: number;
  /** Runs left whose minutes are unknown. */
  runsLeftUnknown: number;
}

function compare(rows: readonly AblationRow[], arm: string, base: string, metric: string) {
  const a = valuesBySeed(rows, arm, metric);
  const b = valuesBySeed(rows, base, metric);
  const diffs = [...a.keys()].filter((s) => b.has(s)).map((s) => a.get(s)! - b.get(s)!);
  const sdDiff = diffs.length >= 2 ? sampleStd(diffs) : NaN;
  const mde = sdDiff > 0 ? minimalDetectableDifference(sdDiff, diffs.length) : NaN;
  return { arm, pairedSeeds: diffs.length, sdDiff, mde };
}

/**
 * The budget of `inputs` (see module docs). An ablation without a baseline
 * compares every arm with its first one.
 */
export function ablationBudget(inputs: readonly BudgetInput[], opts: BudgetOptions): Budget {
  if (!(opts.target > 0)) throw new Error(`ablationBudget: target must be > 0, got ${opts.target}`);
  const minSeeds = opts.minSeeds ?? 3;
  const compared = inputs.map(({ spec, rows }) => {
    const base = spec.baseline ?? spec.arms[0].name;
    const comparisons = spec.arms.filter((a) => a.name !== base).map((a) =>
      compare(rows, a.name, base, opts.metric)
    );
    return { spec, rows, comparisons };
  });
  // Pooled variance of the differences, weighted by degrees of freedom.
  let ss = 0, df = 0;
  for (const c of compared.flatMap((x) => x.comparisons)) {
    if (Number.isFinite(c.sdDiff)) {
      ss += c.sdDiff ** 2 * (c.pairedSeeds - 1);
      df += c.pairedSeeds - 1;
    }
  }
  const pooledSdDiff = df > 0 ? Math.sqrt(ss / df) : NaN;
  const byMethod = new Map<string, number[]>();
  for (const { rows } of compared) {
    for (const r of rows) {
      if (Number.isFinite(r.seconds)) {
        byMethod.set(r.method, [...(byMethod.get(r.method) ?? []), r.seconds / 60]);
      }
    }
  }
  const ablations = compared.map(({ spec, rows, comparisons }) => {
    const measured = comparisons.map((c) => c.sdDiff).filter(Number.isFinite);
    const sdDiffUsed = measured.length ? Math.max(...measured) : pooledSdDiff;
    const sdSource = measured.length
      ? "measured"
      : Number.isFinite(pooledSdDiff)
      ? "pooled"
      : "none";
    const seedsNeeded = Number.isFinite(sdDiffUsed)
      ? Math.max(minSeeds, seedsForDifference(opts.target, sdDiffUsed, { maxSeeds: 50 }))
      : minSeeds;
    const minutesPerRun: Record<string, number> = {};
    let runsLeft = 0, hoursLeft = 0, runsLeftUnknown = 0;
    for (const arm of spec.arms) {
      const own = rows.filter((r) => r.arm === arm.name && Number.isFinite(r.seconds));
      const method = armConfig(spec, arm.name, 0, opts.profile ?? EVIDENCE_PROFILE).method;
      const minutes = own.length
        ? mean(own.map((r) => r.seconds / 60))
        : byMethod.has(method)
        ? mean(byMethod.get(method)!)
        : NaN;
      minutesPerRun[arm.name] = minutes;
      const done = new Set(rows.filter((r) => r.arm === arm.name).map((r) => r.seed)).size;
      const left = Number.isFinite(seedsNeeded) ? Math.max(0, seedsNeeded - done) : NaN;
      runsLeft += left;
      if (Number.isFinite(minutes)) hoursLeft += (left * minutes) / 60;
      else runsLeftUnknown += left;
    }
    return {
      name: spec.name,
      arms: spec.arms.length,
      runsDone: rows.length,
      seedsDone: Math.max(0, ...spec.arms.map((a) => valuesBySeed(rows, a.name, opts.metric).size)),
      comparisons,
      sdDiffUsed,
      sdSource,
      seedsNeeded,
      minutesPerRun,
      runsLeft,
      hoursLeft,
      runsLeftUnknown,
    } satisfies AblationBudget;
  });
  return {
    metric: opts.metric,
    target: opts.target,
    pooledSdDiff,
    ablations,
    hoursLeft: ablations.reduce((acc, a) => acc + a.hoursLeft, 0),
    runsLeftUnknown: ablations.reduce((acc, a) => acc + a.runsLeftUnknown, 0),
  };
}
