/**
 * What one Slurm array task does: trains exactly one run of the ablation
 * through the runner (`runOneRun`: lock, checkpoint, resume) and records the
 * attempt under `<out>/slurm/tasks/<run id>.json` (job, host, pid, state), so
 * that `--status` can tell a failed or preempted task from a running one
 * without `sacct`, and a requeued task can take over the lock its killed
 * predecessor left on another node.
 *
 * @module
 */
import type { AblationSpec } from "./spec.ts";
import { type AblationOptions, type OneRunOutcome, resolveOutDir, runOneRun } from "./runner.ts";
import {
  currentSlurmTask,
  isSlurmLockStale,
  recordTaskAttempt,
  type TaskAttempt,
} from "./slurm.ts";

/**
 * Runs `runId` as the current array task (also outside Slurm, e.g. to debug
 * a task by hand: then the attempt is recorded as job "local").
 */
export async function runSlurmTask(
  spec: AblationSpec,
  runId: string,
  opts: AblationOptions = {},
): Promise<OneRunOutcome> {
  const outDir = resolveOutDir(spec, opts);
  const me = currentSlurmTask();
  const attempt: TaskAttempt = {
    jobId: me?.jobId ?? "local",
    task: me?.task ?? "local",
    restarts: me?.restarts ?? 0,
    host: Deno.hostname(),
    pid: Deno.pid,
    startedAt: new Date().toISOString(),
    state: "running",
  };
  await recordTaskAttempt(outDir, runId, attempt);
  try {
    const out = await runOneRun(spec, runId, {
      ...opts,
      isLockStale: (run, holder) => isSlurmLockStale(outDir, run.id, holder, me),
    });
    await recordTaskAttempt(outDir, runId, {
      ...attempt,
      state: "done",
      how: out.how,
      endedAt: new Date().toISOString(),
    });
    return out;
  } catch (err) {
    const e = err as Error;
    const stopped = e.name === "TrainingInterruptedError" || e.name === "AblationStoppedError";
    await recordTaskAttempt(outDir, runId, {
      ...attempt,
      state: stopped ? "stopped" : "failed",
      error: e.message,
      endedAt: new Date().toISOString(),
    });
    throw e;
  }
}
