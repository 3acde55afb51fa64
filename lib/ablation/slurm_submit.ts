/**
 * Submits the runs of an ablation that are missing or failed as one Slurm
 * job array (`sbatch --array`): runs that are done, or whose task is still
 * pending or running, are left alone, so rerunning the same command resubmits
 * exactly what is left (a preempted or timed-out run resumes from its
 * checkpoint, through the runner).
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { AblationOptions, PlannedRun } from "./runner.ts";
import { resolveOutDir } from "./runner.ts";
import { type AblationSpec, EVIDENCE_PROFILE } from "./spec.ts";
import { type AblationStatus, ablationStatus } from "./status.ts";
import {
  appendSubmission,
  batchScript,
  kitDir,
  slurmDir,
  SlurmError,
  type SlurmOptions,
  submitArray,
} from "./slurm.ts";

/** What the array tasks run and who submitted them. */
export interface SubmitTask {
  /** `cli/ablate.ts` flags that select the plan (profile, seeds, dataset, `--out` absolute...). */
  args: string[];
  /** The submitting command line (for the script's header). */
  submitCommand: string;
  /** Deno binary for the tasks (default this process's). */
  deno?: string;
  /** Write the script, do not call sbatch. */
  dryRun?: boolean;
}

/** What {@link submitAblation} did. */
export interface SubmitOutcome {
  /** The array job id (absent when nothing was submitted). */
  jobId?: string;
  /** Runs submitted (or, on a dry run, that would be). */
  submitted: PlannedRun[];
  /** Plan indices of the submitted runs (= array task ids). */
  indices: number[];
  /** The batch script (absent when nothing was left to submit). */
  script?: string;
  /** The status before submitting. */
  status: AblationStatus;
}

/** Submits the missing and failed runs (see module docs). */
export async function submitAblation(
  spec: AblationSpec,
  opts: AblationOptions,
  slurm: SlurmOptions,
  task: SubmitTask,
): Promise<SubmitOutcome> {
  const status = await ablationStatus(spec, opts);
  if (!status.schedulerAvailable) {
    throw new SlurmError(
      `cannot tell which tasks of job(s) ${status.jobs.join(", ")} still run: ` +
        `${status.notes.join("; ")}; check \`sinfo\` and submit again once squeue answers`,
    );
  }
  const indices: number[] = [];
  const submitted: PlannedRun[] = [];
  status.rows.forEach((r, i) => {
    if (r.status === "failed" || r.status === "not started") {
      indices.push(i);
      submitted.push(r.run);
    }
  });
  if (indices.length === 0) return { submitted, indices, status };
  const dir = resolve(slurmDir(resolveOutDir(spec, opts)));
  const logDir = join(dir, "logs");
  await Deno.mkdir(logDir, { recursive: true });
  const script = join(dir, `${spec.name}.sbatch`);
  const text = batchScript({
    ablation: spec.name,
    runs: status.rows.map((r) => r.run),
    command: { deno: task.deno ?? Deno.execPath(), kitDir: kitDir(), args: task.args },
    logDir,
    slurm,
    submitCommand: task.submitCommand,
  });
  await Deno.writeTextFile(script, text, { mode: 0o755 });
  if (task.dryRun) return { submitted, indices, script, status };
  const jobId = await submitArray(script, indices, slurm.maxParallel);
  await appendSubmission(resolveOutDir(spec, opts), {
    jobId,
    submittedAt: new Date().toISOString(),
    ablation: spec.name,
    profile: opts.profile ?? EVIDENCE_PROFILE,
    script,
    runs: indices.map((index) => ({ index, id: status.rows[index].run.id })),
  });
  return { jobId, submitted, indices, script, status };
}
