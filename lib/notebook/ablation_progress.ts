/**
 * A progress display for `runAblation` in notebooks: one bar over the runs of
 * the ablation (a run counts as done when its training ends or when it is
 * read from the cache), whose note is the latest training line of the run
 * in progress.
 *
 * ```ts
 * const p = ablationProgress("smag-mask (quick)", spec.arms.length * seeds);
 * const out = await runAblation(spec, { ...opts, log: p.log, runLog: p.runLog, progress: p.progress });
 * await p.finish();
 * ```
 *
 * @module
 */
import { progress, type ProgressOptions } from "./progress.ts";

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
  finish: () => Promise<void>;
}

const FINISHED_ELSEWHERE = /: (cached|finished by another runner): /;

/** Progress over `totalRuns` runs of one ablation (see module docs). */
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
