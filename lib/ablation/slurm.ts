/**
 * An ablation as a Slurm job array: one batch script per ablation, one array
 * task per run (task id = the run's index in the plan), each task training
 * exactly one run through the same runner (lock, checkpoint, resume; see
 * `runOneRun` and `slurm_task.ts`).
 *
 * Files under `<out>/slurm/`:
 *
 * ```
 * <name>.sbatch            the batch script of the last submission
 * submissions.jsonl        one line per `sbatch`: job id, time, {index, run id}
 * logs/<job>_<task>.out    each task's stdout + stderr
 * tasks/<run id>.json      each attempt at a run: Slurm job, host, pid, state, exit
 * ```
 *
 * The scheduler is asked with `sbatch`, `squeue` and (when accounting is
 * enabled) `sacct`; nothing here imitates it.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readJsonIfExists, writeJsonAtomic } from "../train/run_record.ts";
import type { LockOwner } from "./run_lock.ts";
import type { PlannedRun } from "./runner.ts";

/** Resources and extra flags of the job array (`deno task ablate --executor slurm`). */
export interface SlurmOptions {
  /** `--partition` (default: the cluster's default partition). */
  partition?: string;
  /** `--gres`, e.g. `gpu:1`. */
  gres?: string;
  /** `--time` per task, `[D-]HH:MM:SS` or minutes. */
  time?: string;
  /** `--cpus-per-task` (default 1). */
  cpus?: number;
  /** Extra `sbatch` flags, each written as one `#SBATCH` line (e.g. `--mem=16G`). */
  sbatchArgs?: string[];
  /** At most this many tasks at once (`--array=...%N`). */
  maxParallel?: number;
  /** Seconds before the time limit at which the task gets SIGTERM to checkpoint (default 120). */
  signalSeconds?: number;
}

/** How an array task calls the kit (absolute paths: tasks run on other nodes). */
export interface TaskCommand {
  /** The Deno binary (default: this process's, i.e. the shared checkout's). */
  deno: string;
  /** The kit's checkout (the task's working directory). */
  kitDir: string;
  /** `cli/ablate.ts` flags that select the plan: profile, dataset, seeds, out, backend... */
  args: string[];
}

/** One `sbatch` of an ablation (a line of `submissions.jsonl`). */
export interface SubmissionRecord {
  jobId: string;
  submittedAt: string;
  ablation: string;
  profile: string;
  script: string;
  /** Array task index (= plan index) -> run id. */
  runs: { index: number; id: string }[];
}

/** One attempt of an array task at a run (see {@link recordTaskAttempt}). */
export interface TaskAttempt {
  /** `SLURM_JOB_ID` (unique per array task). */
  jobId: string;
  /** `<array job>_<task>`, as squeue shows it. */
  task: string;
  /** `SLURM_RESTART_COUNT` (requeues after preemption). */
  restarts: number;
  host: string;
  pid: number;
  startedAt: string;
  endedAt?: string;
  state: "running" | "done" | "failed" | "stopped";
  /** trained / cached / byOther, once done. */
  how?: string;
  error?: string;
}

/** A task's state as the scheduler reports it. */
export interface SchedulerTask {
  /** `<array job>_<task>`. */
  task: string;
  /** Slurm state name: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, PREEMPTED, ... */
  state: string;
  /** squeue's reason or sacct's exit code. */
  detail: string;
  source: "squeue" | "sacct";
}

/** What the scheduler said about some jobs (see {@link querySlurm}). */
export interface SchedulerView {
  /** Whether squeue answered. */
  available: boolean;
  /** By `<array job>_<task>`; squeue wins over sacct for active tasks. */
  tasks: Map<string, SchedulerTask>;
  /** Lines for the status output (e.g. "sacct: accounting storage is disabled"). */
  notes: string[];
}

/** Slurm states of a task that is queued (will run). */
export const PENDING_STATES: readonly string[] = [
  "PENDING",
  "CONFIGURING",
  "REQUEUED",
  "REQUEUE_HOLD",
  "REQUEUE_FED",
  "RESV_DEL_HOLD",
  "SUSPENDED",
  "RESIZING",
];
/** Slurm states of a task that runs. */
export const RUNNING_STATES: readonly string[] = [
  "RUNNING",
  "COMPLETING",
  "STAGE_OUT",
  "SIGNALING",
];

/** The kit's checkout (two folders above this file). */
export function kitDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** The `slurm/` folder of an ablation's output folder. */
export function slurmDir(outDir: string): string {
  return join(outDir, "slurm");
}

/** Thrown when a Slurm command is missing or fails; the message names the fix. */
export class SlurmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SlurmError";
  }
}

const INSTALL_HINT = "--executor slurm must run where Slurm's client commands work (a login node " +
  "of a Slurm cluster); on a Debian machine you administer, `./kit slurm-local start` installs " +
  "munge, slurmctld, slurmd and slurm-client and starts a single-node cluster";

/** Output of a command; a missing binary becomes a {@link SlurmError} naming the fix. */
export async function slurmCommand(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new SlurmError(`${cmd} not found on PATH: ${INSTALL_HINT}`);
    }
    throw err;
  }
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr).trim() };
}

/** Checks a `--time` value (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`). */
export function checkTime(value: string): string {
  if (!/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(value)) {
    throw new SlurmError(
      `--time "${value}" is not a Slurm time limit; use HH:MM:SS (e.g. 04:00:00) or D-HH:MM:SS`,
    );
  }
  return value;
}

/** `--array` value for plan indices: ranges compressed (`0-2,5`), `%N` when throttled. */
export function arraySpec(indices: readonly number[], maxParallel?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error("arraySpec: no task indices");
  const parts: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (const i of [...sorted.slice(1), Number.NaN]) {
    if (i === prev + 1) {
      prev = i;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = i;
  }
  return parts.join(",") + (maxParallel ? `%${maxParallel}` : "");
}

/** Single-quotes a word for bash (the batch script). */
export function bashQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** The `#SBATCH` lines of the job array (without `--array`, given to sbatch). */
export function sbatchDirectives(
  ablation: string,
  logDir: string,
  kit: string,
  opts: SlurmOptions,
): string[] {
  const lines = [
    `--job-name=ablate-${ablation}`,
    `--output=${join(logDir, "%A_%a.out")}`,
    `--chdir=${kit}`,
    `--cpus-per-task=${opts.cpus ?? 1}`,
    "--ntasks=1",
    "--open-mode=append",
    "--requeue",
    `--signal=B:TERM@${opts.signalSeconds ?? 120}`,
  ];
  if (opts.partition) lines.push(`--partition=${opts.partition}`);
  if (opts.gres) lines.push(`--gres=${opts.gres}`);
  if (opts.time) lines.push(`--time=${checkTime(opts.time)}`);
  for (const a of opts.sbatchArgs ?? []) {
    if (!a.startsWith("-")) {
      throw new SlurmError(
        `--sbatch-arg "${a}" is not an sbatch flag; give e.g. --sbatch-arg=--mem=16G`,
      );
    }
    if (/^--?(a|array)\b/.test(a)) {
      throw new SlurmError(`--sbatch-arg "${a}": the kit sets --array itself (use --max-parallel)`);
    }
    lines.push(a);
  }
  return lines.map((l) => `#SBATCH ${l}`);
}

/**
 * The batch script of an ablation: `#SBATCH` directives, the plan's run ids
 * indexed by array task id, and one `exec deno run ... cli/ablate.ts <name>
 * ... --run <id>` (exec: Slurm's SIGTERM reaches Deno, which checkpoints).
 */
export function batchScript(p: {
  ablation: string;
  runs: readonly PlannedRun[];
  command: TaskCommand;
  logDir: string;
  slurm: SlurmOptions;
  /** The submitting command, for the header. */
  submitCommand: string;
}): string {
  const directives = sbatchDirectives(p.ablation, p.logDir, p.command.kitDir, p.slurm);
  const cmd = [p.command.deno, "run", "-A", join(p.command.kitDir, "cli", "ablate.ts"), p.ablation]
    .concat(p.command.args)
    .map(bashQuote)
    .join(" ");
  return [
    "#!/bin/bash",
    `# Ablation "${p.ablation}" as a Slurm job array: array task i trains run i of the plan`,
    "# (one cached run through the kit's runner: lock, checkpoint, resume). Written by:",
    `#   ${p.submitCommand}`,
    "# Rerun that command to submit the missing or failed runs again; see --status.",
    ...directives,
    "set -euo pipefail",
    "RUNS=(",
    ...p.runs.map((r, i) => `  ${bashQuote(r.id)} # ${i}`),
    ")",
    'RUN="${RUNS[$SLURM_ARRAY_TASK_ID]}"',
    "# CPU threads = the task's CPUs, not the node's (unless KIT_THREADS or --threads says).",
    'export KIT_THREADS="${KIT_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"',
    'echo "[slurm] task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} (restart ' +
    '${SLURM_RESTART_COUNT:-0}) on $(hostname) at $(date -Is): run $RUN" >&2',
    `exec ${cmd} --run "$RUN"`,
    "",
  ].join("\n");
}

/** Submits `script` as an array of `indices`; returns the job id. */
export async function submitArray(
  script: string,
  indices: readonly number[],
  maxParallel?: number,
): Promise<string> {
  const res = await slurmCommand("sbatch", [
    "--parsable",
    `--array=${arraySpec(indices, maxParallel)}`,
    script,
  ]);
  if (res.code !== 0) {
    throw new SlurmError(
      `sbatch failed (exit ${res.code}): ${res.stderr || res.stdout}; check the partition, ` +
        `--gres and --time against \`sinfo\` (the script is ${script})`,
    );
  }
  const jobId = res.stdout.trim().split(";")[0];
  if (!/^\d+$/.test(jobId)) throw new SlurmError(`sbatch printed no job id: "${res.stdout}"`);
  return jobId;
}

/** Parses `squeue -h -r -o "%i|%T|%r"` lines into tasks `<job>_<task>`. */
export function parseSqueue(text: string): SchedulerTask[] {
  const out: SchedulerTask[] = [];
  for (const line of text.split("\n")) {
    const [task, state, reason] = line.trim().split("|");
    if (!task || !state || !/^\d+_\d+$/.test(task)) continue;
    out.push({ task, state, detail: reason ?? "", source: "squeue" });
  }
  return out;
}

/** Parses `sacct -n -P -X -o JobID,State,ExitCode` lines (array tasks only). */
export function parseSacct(text: string): SchedulerTask[] {
  const out: SchedulerTask[] = [];
  for (const line of text.split("\n")) {
    const [task, state, exit] = line.trim().split("|");
    if (!task || !state || !/^\d+_\d+$/.test(task)) continue;
    // "CANCELLED by 0" -> CANCELLED
    out.push({ task, state: state.split(" ")[0], detail: `exit ${exit ?? "?"}`, source: "sacct" });
  }
  return out;
}

/**
 * Asks squeue (active tasks) and sacct (finished ones, when accounting is
 * enabled) about the array jobs `jobIds`.
 */
export async function querySlurm(jobIds: readonly string[]): Promise<SchedulerView> {
  const view: SchedulerView = { available: true, tasks: new Map(), notes: [] };
  if (jobIds.length === 0) return view;
  const list = jobIds.join(",");
  const acct = await slurmCommand("sacct", [
    "-n",
    "-P",
    "-X",
    "-j",
    list,
    "-o",
    "JobID,State,ExitCode",
  ])
    .catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
  if (acct.code === 0) {
    for (const t of parseSacct(acct.stdout)) view.tasks.set(t.task, t);
  } else {
    view.notes.push(
      `sacct: ${acct.stderr.split("\n")[0] || `exit ${acct.code}`} (failures are told from the ` +
        `task records instead)`,
    );
  }
  const q = await slurmCommand("squeue", ["-h", "-r", "-j", list, "-o", "%i|%T|%r"]);
  if (q.code !== 0 && !/Invalid job id/i.test(q.stderr)) {
    view.available = false;
    view.notes.push(`squeue failed (exit ${q.code}): ${q.stderr}`);
    return view;
  }
  for (const t of parseSqueue(q.stdout)) view.tasks.set(t.task, t);
  return view;
}

/** Reads `submissions.jsonl` (empty when there is none). */
export async function readSubmissions(outDir: string): Promise<SubmissionRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(slurmDir(outDir), "submissions.jsonl"));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as SubmissionRecord);
}

/** Appends one submission to `submissions.jsonl`. */
export async function appendSubmission(outDir: string, rec: SubmissionRecord): Promise<void> {
  await Deno.mkdir(slurmDir(outDir), { recursive: true });
  await Deno.writeTextFile(
    join(slurmDir(outDir), "submissions.jsonl"),
    JSON.stringify(rec) + "\n",
    { append: true },
  );
}

/** The latest submission of each run id: `{jobId, index}`, the task being `<jobId>_<index>`. */
export function latestSubmission(
  subs: readonly SubmissionRecord[],
): Map<string, { jobId: string; index: number; task: string }> {
  const m = new Map<string, { jobId: string; index: number; task: string }>();
  for (const s of subs) {
    for (const r of s.runs) {
      m.set(r.id, { jobId: s.jobId, index: r.index, task: `${s.jobId}_${r.index}` });
    }
  }
  return m;
}

/** Path of the attempts record of a run. */
export function taskRecordPath(outDir: string, runId: string): string {
  return join(slurmDir(outDir), "tasks", `${runId}.json`);
}

/** Every attempt at a run by an array task, oldest first. */
export async function readTaskAttempts(outDir: string, runId: string): Promise<TaskAttempt[]> {
  return (await readJsonIfExists<{ attempts: TaskAttempt[] }>(taskRecordPath(outDir, runId)))
    ?.attempts ?? [];
}

/**
 * Records an attempt (a new one, or the update of the last one with the same
 * job id and restart count). One task per run at a time writes this file.
 */
export async function recordTaskAttempt(
  outDir: string,
  runId: string,
  attempt: TaskAttempt,
): Promise<void> {
  const attempts = await readTaskAttempts(outDir, runId);
  const last = attempts.at(-1);
  if (last && last.jobId === attempt.jobId && last.restarts === attempt.restarts) {
    attempts[attempts.length - 1] = attempt;
  } else {
    attempts.push(attempt);
  }
  await writeJsonAtomic(taskRecordPath(outDir, runId), { runId, attempts });
}

/** The Slurm task this process is (from `SLURM_*` variables), if any. */
export function currentSlurmTask(
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): { jobId: string; task: string; restarts: number } | undefined {
  const jobId = env("SLURM_JOB_ID");
  const arrayJob = env("SLURM_ARRAY_JOB_ID");
  const taskId = env("SLURM_ARRAY_TASK_ID");
  if (!jobId || !arrayJob || taskId === undefined) return undefined;
  return {
    jobId,
    task: `${arrayJob}_${taskId}`,
    restarts: Number(env("SLURM_RESTART_COUNT") ?? 0),
  };
}

/**
 * Whether the run lock held by `holder` belongs to a Slurm task that has
 * ended: an attempt record with the holder's host and pid names its task, and
 * that task is no longer running (squeue), or it is this very task in an
 * earlier incarnation (requeued after preemption). A lock no task record
 * explains (e.g. a local runner on another host) is never judged stale here.
 */
export async function isSlurmLockStale(
  outDir: string,
  runId: string,
  holder: LockOwner | undefined,
  me: { task: string; restarts: number } | undefined,
  running: (task: string) => Promise<boolean> = isTaskRunning,
): Promise<boolean> {
  if (!holder) return false;
  const attempts = await readTaskAttempts(outDir, runId);
  const owner = attempts.findLast((a) => a.host === holder.host && a.pid === holder.pid);
  if (!owner) return false;
  if (me && owner.task === me.task) return owner.restarts < me.restarts;
  return !(await running(owner.task));
}

async function isTaskRunning(task: string): Promise<boolean> {
  const view = await querySlurm([task.split("_")[0]]);
  if (!view.available) return true; // cannot tell: keep waiting
  const t = view.tasks.get(task);
  return t !== undefined && t.source === "squeue" &&
    (RUNNING_STATES.includes(t.state) || PENDING_STATES.includes(t.state));
}
