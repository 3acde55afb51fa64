/**
 * Which runs of an ablation are done, running, pending, failed or not
 * started, from the run records (`result.json`, `run.json`, lock files, the
 * Slurm task records) and, when the ablation was submitted to Slurm, from
 * `squeue` and `sacct`. Used by `deno task ablate <name> --status` and
 * `--wait`, and by the Slurm submit to pick the runs to (re)submit.
 *
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists } from "../train/run_record.ts";
import type { RunRecord } from "../train/run_record.ts";
import {
  type AblationOptions,
  planAblation,
  type PlannedRun,
  resolveOutDir,
  runState,
} from "./runner.ts";
import { isOwnerAlive, type LockOwner } from "./run_lock.ts";
import type { AblationSpec } from "./spec.ts";
import {
  latestSubmission,
  PENDING_STATES,
  querySlurm,
  readSubmissions,
  readTaskAttempts,
  RUNNING_STATES,
  type SchedulerView,
  slurmDir,
  type TaskAttempt,
} from "./slurm.ts";

/** State of one run. */
export type RunStatusName = "done" | "running" | "pending" | "failed" | "not started";

/** Every state, in display order. */
export const RUN_STATUS_NAMES: readonly RunStatusName[] = [
  "done",
  "running",
  "pending",
  "failed",
  "not started",
];

/** One run's state and why. */
export interface RunStatusRow {
  run: PlannedRun;
  status: RunStatusName;
  /** Human-readable reason (scheduler state, error, checkpoint). */
  detail: string;
  /** Slurm task `<job>_<index>` of its latest submission. */
  task?: string;
  /** That task's log file. */
  log?: string;
}

/** The state of every run of an ablation. */
export interface AblationStatus {
  ablation: string;
  outDir: string;
  rows: RunStatusRow[];
  counts: Record<RunStatusName, number>;
  /** Array job ids of the submissions that still have runs not done. */
  jobs: string[];
  /** Whether squeue answered (true when nothing was submitted). */
  schedulerAvailable: boolean;
  notes: string[];
}

async function readLock(path: string): Promise<LockOwner | undefined> {
  const v = await readJsonIfExists<LockOwner>(path).catch(() => undefined);
  return v && typeof v.pid === "number" && typeof v.host === "string" ? v : undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0].slice(0, 200);
}

function attemptDetail(a: TaskAttempt | undefined): string {
  if (!a) return "the task ended before it started the run (see its log)";
  if (a.state === "stopped") {
    return `stopped by a signal on ${a.host} (preempted, time limit or scancel): ${
      firstLine(a.error)
    }`;
  }
  if (a.state === "failed") return `failed on ${a.host}: ${firstLine(a.error)}`;
  if (a.state === "running") {
    return `ended on ${a.host} without a record (killed: time limit, memory, node failure or scancel)`;
  }
  return `task ${a.task} ended (${a.state})`;
}

/**
 * The state of every run (see module docs). `query` asks the scheduler
 * (default squeue + sacct); it is only called when the ablation has Slurm
 * submissions.
 */
export async function ablationStatus(
  spec: AblationSpec,
  opts: AblationOptions = {},
  query: (jobIds: readonly string[]) => Promise<SchedulerView> = querySlurm,
): Promise<AblationStatus> {
  const outDir = resolveOutDir(spec, opts);
  const runs = await planAblation(spec, opts);
  const subs = await readSubmissions(outDir);
  const latest = latestSubmission(subs);
  const states = new Map<string, Awaited<ReturnType<typeof runState>>>();
  for (const run of runs) states.set(run.id, await runState(run));
  const jobs = [
    ...new Set(
      runs.filter((r) => states.get(r.id) !== "finished" && latest.has(r.id))
        .map((r) => latest.get(r.id)!.jobId),
    ),
  ];
  const view: SchedulerView = jobs.length > 0
    ? await query(jobs)
    : { available: true, tasks: new Map(), notes: [] };
  const rows: RunStatusRow[] = [];
  for (const run of runs) {
    rows.push(await runStatus(run, states.get(run.id)!, outDir, latest.get(run.id), view));
  }
  const counts = Object.fromEntries(RUN_STATUS_NAMES.map((s) => [s, 0])) as Record<
    RunStatusName,
    number
  >;
  for (const r of rows) counts[r.status]++;
  return {
    ablation: spec.name,
    outDir,
    rows,
    counts,
    jobs,
    schedulerAvailable: view.available,
    notes: view.notes,
  };
}

async function runStatus(
  run: PlannedRun,
  state: Awaited<ReturnType<typeof runState>>,
  outDir: string,
  sub: { jobId: string; index: number; task: string } | undefined,
  view: SchedulerView,
): Promise<RunStatusRow> {
  const base = { run, ...(sub ? { task: sub.task, log: logPath(outDir, sub) } : {}) };
  if (state === "finished") return { ...base, status: "done", detail: "" };
  const resumes = state === "resumable" ? "; resumes from its checkpoint" : "";
  const t = sub ? view.tasks.get(sub.task) : undefined;
  if (sub && !view.available) {
    return { ...base, status: "pending", detail: "squeue failed: state unknown" };
  }
  if (t && t.source === "squeue" && RUNNING_STATES.includes(t.state)) {
    return { ...base, status: "running", detail: `Slurm ${t.state}${resumes ? " (resumed)" : ""}` };
  }
  if (t && t.source === "squeue" && PENDING_STATES.includes(t.state)) {
    const why = t.detail && t.detail !== "None" ? ` (${t.detail})` : "";
    return { ...base, status: "pending", detail: `Slurm ${t.state}${why}${resumes}` };
  }
  const attempts = await readTaskAttempts(outDir, run.id);
  const lock = await readLock(run.lockPath);
  if (lock) {
    const bySlurm = attempts.some((a) => a.host === lock.host && a.pid === lock.pid);
    if (!bySlurm && await isOwnerAlive(lock)) {
      const other = lock.host !== Deno.hostname() ? " (another host: not checked)" : "";
      return {
        ...base,
        status: "running",
        detail: `locked by pid ${lock.pid} on ${lock.host}${other}`,
      };
    }
  }
  if (sub) {
    const mine = attempts.filter((a) => a.task === sub.task);
    const acct = t && t.source === "sacct" ? `Slurm ${t.state} (${t.detail}); ` : "";
    return { ...base, status: "failed", detail: acct + attemptDetail(mine.at(-1)) + resumes };
  }
  const record = await readJsonIfExists<RunRecord>(join(run.runDir, "run.json")).catch(() =>
    undefined
  );
  if (record) {
    const how = record.status === "failed"
      ? `failed: ${firstLine(record.error)}`
      : record.status === "interrupted"
      ? "interrupted"
      : "stopped without a record (killed)";
    return { ...base, status: "failed", detail: how + resumes };
  }
  if (await exists(run.runDir)) {
    return { ...base, status: "failed", detail: "started, no record" + resumes };
  }
  return { ...base, status: "not started", detail: "" };
}

function logPath(outDir: string, sub: { jobId: string; index: number }): string {
  return join(slurmDir(outDir), "logs", `${sub.jobId}_${sub.index}.out`);
}

/**
 * A one-line progress bar: `[###>>..x   ] 3/8 done, 2 running, 2 pending,
 * 1 failed, 0 not started` (`#` done, `>` running, `.` pending, `x` failed).
 */
export function progressBar(counts: Record<RunStatusName, number>, width = 30): string {
  const total = RUN_STATUS_NAMES.reduce((a, s) => a + counts[s], 0);
  const marks: [RunStatusName, string][] = [
    ["done", "#"],
    ["running", ">"],
    ["pending", "."],
    ["failed", "x"],
    ["not started", " "],
  ];
  let bar = "";
  let cum = 0;
  for (const [s, ch] of marks) {
    const before = Math.round((cum / Math.max(total, 1)) * width);
    cum += counts[s];
    const after = Math.round((cum / Math.max(total, 1)) * width);
    bar += ch.repeat(after - before);
  }
  const parts = RUN_STATUS_NAMES.slice(1).map((s) => `${counts[s]} ${s}`);
  return `[${bar}] ${counts.done}/${total} done, ${parts.join(", ")}`;
}

/** The status as a table (arm, seed, status, Slurm task, detail) plus notes. */
export function formatStatus(st: AblationStatus): string {
  const head = ["arm", "seed", "status", "task", "detail"];
  const body = st.rows.map((r) => [
    r.run.arm,
    String(r.run.seed),
    r.status,
    r.task ?? "-",
    r.detail || (r.status === "done" ? r.run.id : ""),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  const lines = [line(head), ...body.map(line)];
  const failedLogs = st.rows.filter((r) => r.status === "failed" && r.log).map((r) => r.log!);
  if (failedLogs.length > 0) lines.push(`logs of failed tasks: ${failedLogs.join(" ")}`);
  if (st.jobs.length > 0) {
    lines.push(`Slurm jobs: ${st.jobs.join(", ")} (squeue -j ${st.jobs.join(",")})`);
  }
  for (const n of st.notes) lines.push(n);
  return lines.join("\n");
}

/** Options of {@link waitForAblation}. */
export interface WaitOptions {
  /** Seconds between looks (default 10). */
  pollSeconds?: number;
  /** Receives the progress bar whenever it changes (default stderr). */
  onProgress?: (bar: string, st: AblationStatus) => void;
  /** Polled between looks; true ends the wait early (the status so far is returned). */
  shouldStop?: () => boolean;
  /** Scheduler query (default squeue + sacct). */
  query?: (jobIds: readonly string[]) => Promise<SchedulerView>;
}

/** Waits until no run is running or pending; returns the final status. */
export async function waitForAblation(
  spec: AblationSpec,
  opts: AblationOptions,
  wait: WaitOptions = {},
): Promise<AblationStatus> {
  const onProgress = wait.onProgress ?? ((bar: string) => console.error(bar));
  let last = "";
  while (true) {
    const st = await ablationStatus(spec, opts, wait.query);
    const bar = progressBar(st.counts);
    if (bar !== last) onProgress(bar, st);
    last = bar;
    if (st.counts.running + st.counts.pending === 0 || wait.shouldStop?.()) return st;
    await new Promise((r) => setTimeout(r, (wait.pollSeconds ?? 10) * 1000));
  }
}
