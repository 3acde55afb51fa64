/**
 * Running declared ablations from a notebook, and showing them:
 *
 * - {@link ablationProgress}: one progress display over the runs of an
 *   ablation, fed by `runAblation`'s callbacks (a run counts as done when its
 *   training ends or when it is read from the cache);
 * - {@link runNotebookAblations}: runs (or reads back) several ablations under
 *   one such display, into {@link ablationOutDir} (tiny runs apart from real
 *   ones);
 * - {@link summaryTableRows} and {@link armBarChart}: the summary as table rows
 *   and a bar chart per ablation (mean ± 95% CI over seeds, one bar group per
 *   arm).
 *
 * ```ts
 * const p = ablationProgress("smag-mask (quick)", spec.arms.length * seeds);
 * const out = await runAblation(spec, { ...opts, log: p.log, runLog: p.runLog, progress: p.progress });
 * await p.finish();
 * ```
 *
 * @module
 */
import { getAblation } from "../ablation/ablations.ts";
import { type AblationOutcome, planAblation, runAblation } from "../ablation/runner.ts";
import type { AblationSpec } from "../ablation/spec.ts";
import { barChart, type Figure } from "../plot/mod.ts";
import { ablationOutDir } from "./ablation_results.ts";
import { progress, type ProgressOptions } from "./progress.ts";
import type { Profile } from "./profile.ts";
import type { TableRow } from "./table.ts";

/**
 * Env var that makes notebooks' ablation runs train nothing and report the
 * runs finished so far, labelled PARTIAL (`deno task notebooks --partial`).
 */
export const PARTIAL_ENV = "KIT_NOTEBOOK_PARTIAL";

/** Whether {@link PARTIAL_ENV} is set to 1 (reading it needs env permission). */
export function partialFromEnv(): boolean {
  return Deno.env.get(PARTIAL_ENV) === "1";
}

/** Axis titles of the standard metrics (all accuracies in %). */
export const METRIC_TITLES: Readonly<Record<string, string>> = {
  linearTop1: "Linear probe top-1",
  linearTop5: "Linear probe top-5",
  knnTop1: "kNN top-1",
  knnTop5: "kNN top-5",
  randomInitLinearTop1: "Linear probe top-1, untrained encoder",
  randomInitKnnTop1: "kNN top-1, untrained encoder",
};

/** `metrics` plus `randomInitLinearTop1` when some run recorded it and it is not listed. */
function withRandomInit(metrics: readonly string[], outcome: AblationOutcome): string[] {
  const extra = "randomInitLinearTop1";
  const has = outcome.rows.some((r) => typeof r.metrics[extra] === "number");
  return has && !metrics.includes(extra) ? [...metrics, extra] : [...metrics];
}

/** The callbacks to hand to `runAblation` and the final display. */
export interface AblationProgress {
  /** Runner lines (`AblationOptions.log`): counts cached runs; lines are kept for {@link lines}. */
  log: (line: string) => void;
  /** Each run's training log (`AblationOptions.runLog`): dropped, the bar shows progress. */
  runLog: (line: string) => void;
  /** Each run's progress lines (`AblationOptions.progress`): a final line counts a run as done. */
  progress: (line: string, final: boolean) => void;
  /** Runs counted as done so far. */
  done: () => number;
  /** The runner lines seen so far. */
  lines: () => readonly string[];
  /** Shows the final count (`done/total runs done`); resolves once it is displayed. */
  finish: () => Promise<void>;
}

const FINISHED_ELSEWHERE = /: (cached|finished by another runner): /;

/** Progress over `totalRuns` runs of one or more ablations (see module docs). */
export function ablationProgress(
  label: string,
  totalRuns: number,
  opts: ProgressOptions = {},
): AblationProgress {
  if (!Number.isInteger(totalRuns) || totalRuns < 1) {
    throw new Error(
      `ablationProgress: totalRuns must be a positive integer (arms x seeds), got ${totalRuns}`,
    );
  }
  const bar = progress(label, totalRuns, opts);
  const seen: string[] = [];
  let done = 0;
  const bump = (note: string) => {
    done = Math.min(totalRuns, done + 1);
    bar.update(done, note);
  };
  return {
    log: (line) => {
      seen.push(line);
      if (FINISHED_ELSEWHERE.test(line)) bump(line);
      else bar.update(done, line);
    },
    runLog: () => {},
    progress: (line, final) => (final ? bump(line) : bar.update(done, line)),
    done: () => done,
    lines: () => seen,
    finish: () => bar.finish(`${done}/${totalRuns} runs done`),
  };
}

/** Options of {@link runNotebookAblations}. */
export interface NotebookAblationOptions {
  /** Seeds per arm (default: each spec's own). */
  seeds?: number;
  /**
   * Shrink the `tiny` profile further (32 train / 20 test images, 1 linear-probe
   * epoch, kNN k 10) so that notebooks with many runs stay fast in CI.
   */
  smallerTiny?: boolean;
  /** Lines of the runner and of each run (default: dropped, the progress display shows them). */
  log?: (line: string) => void;
}

/**
 * Runs (or reads back from the cache) the ablations `names` under `profile`,
 * in order, with one progress display counting runs. Returns spec and outcome
 * of each.
 */
export async function runNotebookAblations(
  names: readonly string[],
  profile: Profile,
  opts: NotebookAblationOptions = {},
): Promise<{ spec: AblationSpec; outcome: AblationOutcome }[]> {
  const specs = (await Promise.all(names.map((n) => getAblation(n))))
    .map((s) => (opts.smallerTiny ? withSmallerTiny(s) : s));
  let total = 0;
  for (const spec of specs) {
    total += (await planAblation(spec, { profile, seeds: opts.seeds })).length;
  }
  const bar = ablationProgress(`ablations (${profile})`, total);
  const results: { spec: AblationSpec; outcome: AblationOutcome }[] = [];
  for (const spec of specs) {
    const outcome = await runAblation(spec, {
      profile,
      seeds: opts.seeds,
      outDir: ablationOutDir(spec.name, profile),
      partial: partialFromEnv(),
      log: (line) => {
        opts.log?.(line);
        bar.log(`${spec.name}: ${line}`);
      },
      runLog: opts.log ?? bar.runLog,
      progress: (line, final) => bar.progress(`${spec.name}: ${line.slice(0, 100)}`, final),
    });
    results.push({ spec, outcome });
  }
  await bar.finish();
  return results;
}

/** `spec` with its `tiny` profile shrunk (see {@link NotebookAblationOptions.smallerTiny}). */
export function withSmallerTiny(spec: AblationSpec): AblationSpec {
  const tiny = spec.profiles.tiny;
  return {
    ...spec,
    profiles: {
      ...spec.profiles,
      tiny: (cfg, dataset) => {
        const c = tiny(cfg, dataset);
        c.data = { ...c.data, trainSize: 32, testSize: 20 };
        c.eval = { ...c.eval, linearMaxIter: 10, knnK: 10 };
        return c;
      },
    },
  };
}

/** The summary of an outcome as table rows (mean, std, 95% CI, n per arm and metric). */
export function summaryTableRows(outcome: AblationOutcome): TableRow[] {
  return outcome.summary.map((s) => ({
    ablation: s.ablation,
    arm: s.label,
    metric: s.metric,
    "mean (%)": s.mean,
    "std (%)": s.std,
    "95% CI low": s.ci_low,
    "95% CI high": s.ci_high,
    n: s.seeds,
    data: `${s.dataset}${s.synthetic ? " [synthetic]" : ""}`,
  }));
}

/**
 * Bar chart of an outcome: one category per arm (spec order), one series per
 * metric, bars at the mean over seeds with 95% t-interval error bars. By
 * default the spec's metrics and, where the runs have it, the linear probe of
 * the same encoder untrained, so every arm's number stands beside its
 * random-init baseline.
 */
export function armBarChart(
  spec: AblationSpec,
  outcome: AblationOutcome,
  metrics: readonly string[] = withRandomInit(spec.metrics, outcome),
): Figure {
  const arms = spec.arms.filter((a) => outcome.rows.some((r) => r.arm === a.name));
  return barChart(
    arms.map((a) => a.label),
    metrics.map((m) => ({
      name: METRIC_TITLES[m] ?? m,
      samples: arms.map((a) =>
        outcome.rows.filter((r) => r.arm === a.name)
          .map((r) => r.metrics[m])
          .filter((v): v is number => typeof v === "number" && Number.isFinite(v))
      ),
    })),
    {
      // The seed count and what the error bars are go in the note barChart adds.
      title: `${spec.title} (${outcome.profile})`,
      size: arms.length > 4 ? "page" : "column",
      x: { title: "Configuration", unit: null },
      y: { title: "Top-1 accuracy", unit: "%" },
    },
  );
}
