import assert from "node:assert/strict";
import { join } from "node:path";
import { defineAblation } from "./spec.ts";
import { planAblation, runAblation, runOneRun } from "./runner.ts";
import {
  appendSubmission,
  arraySpec,
  bashQuote,
  batchScript,
  checkTime,
  currentSlurmTask,
  isSlurmLockStale,
  latestSubmission,
  parseSacct,
  parseSqueue,
  readTaskAttempts,
  recordTaskAttempt,
  type SchedulerView,
  type TaskAttempt,
} from "./slurm.ts";
import { ablationStatus, formatStatus, progressBar } from "./status.ts";
import type { LockOwner } from "./run_lock.ts";

const spec = defineAblation({
  name: "test-slurm",
  title: "test",
  question: "does tau matter on 64 synthetic images?",
  arms: [
    { name: "a", label: "tau 0.2", patch: { methodOptions: { temperature: 0.2 } } },
    { name: "b", label: "tau 0.5", patch: { methodOptions: { temperature: 0.5 } } },
  ],
  seeds: 2,
  metrics: ["linearTop1"],
});

Deno.test("slurm: array specs compress ranges and throttle", () => {
  assert.equal(arraySpec([0, 1, 2, 5]), "0-2,5");
  assert.equal(arraySpec([7, 3, 4, 3]), "3-4,7");
  assert.equal(arraySpec([2], 4), "2%4");
  assert.throws(() => arraySpec([]), /no task indices/);
});

Deno.test("slurm: time limits and sbatch flags are checked with the fix in the message", () => {
  for (const ok of ["30", "04:00:00", "1-12:00:00", "2-00", "10:00"]) {
    assert.equal(checkTime(ok), ok);
  }
  assert.throws(() => checkTime("4h"), /--time "4h" is not a Slurm time limit; use HH:MM:SS/);
  const base = {
    ablation: "x",
    runs: [],
    command: { deno: "/d", kitDir: "/k", args: [] },
    logDir: "/l",
    submitCommand: "c",
  };
  assert.throws(
    () => batchScript({ ...base, slurm: { sbatchArgs: ["--array=0-3"] } }),
    /sets --array itself/,
  );
  assert.throws(
    () => batchScript({ ...base, slurm: { sbatchArgs: ["mem=1G"] } }),
    /not an sbatch flag/,
  );
});

Deno.test("slurm: the batch script maps array task ids to the plan's run ids", async () => {
  const runs = await planAblation(spec, { profile: "tiny", outDir: "/shared/out" });
  const text = batchScript({
    ablation: spec.name,
    runs,
    command: {
      deno: "/shared/kit/.tools/deno",
      kitDir: "/shared/kit",
      args: ["--profile", "tiny", "--out", "/shared/out", "--dataset", "it's"],
    },
    logDir: "/shared/out/slurm/logs",
    slurm: {
      partition: "gpu",
      gres: "gpu:1",
      time: "04:00:00",
      cpus: 8,
      sbatchArgs: ["--mem=16G"],
    },
    submitCommand: "deno task ablate test-slurm --executor slurm",
  });
  for (
    const line of [
      "#SBATCH --job-name=ablate-test-slurm",
      "#SBATCH --output=/shared/out/slurm/logs/%A_%a.out",
      "#SBATCH --chdir=/shared/kit",
      "#SBATCH --cpus-per-task=8",
      "#SBATCH --partition=gpu",
      "#SBATCH --gres=gpu:1",
      "#SBATCH --time=04:00:00",
      "#SBATCH --requeue",
      "#SBATCH --signal=B:TERM@120",
      "#SBATCH --mem=16G",
      `  ${runs[3].id} # 3`,
      'RUN="${RUNS[$SLURM_ARRAY_TASK_ID]}"',
      'export KIT_THREADS="${KIT_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"',
    ]
  ) assert.ok(text.split("\n").includes(line), `missing line: ${line}\n${text}`);
  assert.match(
    text,
    /^exec \/shared\/kit\/\.tools\/deno run -A \/shared\/kit\/cli\/ablate\.ts test-slurm --profile tiny --out \/shared\/out --dataset 'it'"'"'s' --run "\$RUN"$/m,
  );
  // Every #SBATCH line comes before the first command (sbatch stops reading at it).
  const lines = text.split("\n");
  const firstCommand = lines.findIndex((l) => l && !l.startsWith("#"));
  assert.ok(lines.findLastIndex((l) => l.startsWith("#SBATCH")) < firstCommand);
  // bash accepts it.
  const check = await new Deno.Command("bash", { args: ["-n"], stdin: "piped" }).spawn();
  const w = check.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  assert.ok((await check.status).success);
  assert.equal(bashQuote("a b"), "'a b'");
});

Deno.test("slurm: squeue and sacct output are parsed per array task", () => {
  assert.deepEqual(parseSqueue("12_0|RUNNING|None\n12_3|PENDING|JobHeldUser\n13|RUNNING|None\n"), [
    { task: "12_0", state: "RUNNING", detail: "None", source: "squeue" },
    { task: "12_3", state: "PENDING", detail: "JobHeldUser", source: "squeue" },
  ]);
  assert.deepEqual(parseSacct("12_1|TIMEOUT|0:15\n12_2|CANCELLED by 0|0:0\n12.batch|x|0:0\n"), [
    { task: "12_1", state: "TIMEOUT", detail: "exit 0:15", source: "sacct" },
    { task: "12_2", state: "CANCELLED", detail: "exit 0:0", source: "sacct" },
  ]);
});

Deno.test("slurm: task records and a requeued or ended task's lock", async () => {
  const out = await Deno.makeTempDir();
  const attempt: TaskAttempt = {
    jobId: "40",
    task: "12_3",
    restarts: 0,
    host: "node7",
    pid: 4242,
    startedAt: "t",
    state: "running",
  };
  await recordTaskAttempt(out, "r", attempt);
  await recordTaskAttempt(out, "r", { ...attempt, state: "stopped" }); // same attempt: updated
  await recordTaskAttempt(out, "r", { ...attempt, restarts: 1, host: "node8", pid: 99 }); // requeued
  assert.deepEqual((await readTaskAttempts(out, "r")).map((a) => [a.state, a.restarts]), [
    ["stopped", 0],
    ["running", 1],
  ]);
  const holder: LockOwner = { pid: 4242, host: "node7", startedAt: "t", token: "x" };
  const running = (v: boolean) => () => Promise.resolve(v);
  // The holder is task 12_3's first incarnation; we are its requeued one: stale.
  assert.equal(
    await isSlurmLockStale(out, "r", holder, { task: "12_3", restarts: 1 }, running(true)),
    true,
  );
  // Another task's lock: stale only when squeue no longer runs that task.
  assert.equal(await isSlurmLockStale(out, "r", holder, undefined, running(true)), false);
  assert.equal(await isSlurmLockStale(out, "r", holder, undefined, running(false)), true);
  // A lock no record explains (a local runner elsewhere) is never judged here.
  const stranger = { ...holder, host: "laptop" };
  assert.equal(await isSlurmLockStale(out, "r", stranger, undefined, running(false)), false);
  assert.deepEqual(
    currentSlurmTask((n) =>
      ({ SLURM_JOB_ID: "41", SLURM_ARRAY_JOB_ID: "12", SLURM_ARRAY_TASK_ID: "3" })[n]
    ),
    { jobId: "41", task: "12_3", restarts: 0 },
  );
  assert.equal(currentSlurmTask(() => undefined), undefined);
  await Deno.remove(out, { recursive: true });
});

Deno.test("slurm: a requeued task takes over the lock its killed predecessor left on another node", async () => {
  const out = await Deno.makeTempDir();
  const opts = { profile: "tiny" as const, outDir: out, backend: "wasm" as const, threads: 1 };
  const [run] = await planAblation(spec, opts);
  await Deno.mkdir(join(out, "runs"), { recursive: true });
  const ghost: LockOwner = { pid: 77, host: "gone-node", startedAt: "t", token: "g" };
  await Deno.writeTextFile(run.lockPath, JSON.stringify(ghost));
  const lines: string[] = [];
  const one = await runOneRun(spec, run.id, {
    ...opts,
    log: (l) => lines.push(l),
    runLog: () => {},
    progress: () => {},
    isLockStale: (r, h) => Promise.resolve(r.id === run.id && h?.host === "gone-node"),
  });
  assert.equal(one.how, "trained");
  assert.ok(lines.some((l) => l.includes("is stale; taking it over")), lines.join("\n"));
  await assert.rejects(
    () => runOneRun(spec, "a-s0-000000000000", opts),
    /not in the plan of ablation "test-slurm".*submit again/,
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("status: done, running, pending, failed and not started, with a progress bar", async () => {
  const out = await Deno.makeTempDir();
  const opts = {
    profile: "tiny" as const,
    outDir: out,
    backend: "wasm" as const,
    threads: 1,
    log: () => {},
    runLog: () => {},
    progress: () => {},
  };
  const runs = await planAblation(spec, opts);
  await runOneRun(spec, runs[0].id, opts); // done
  await appendSubmission(out, {
    jobId: "50",
    submittedAt: "t",
    ablation: spec.name,
    profile: "tiny",
    script: "s",
    runs: [1, 2].map((index) => ({ index, id: runs[index].id })),
  });
  // Task 50_1 pending in squeue; 50_2 gone from the queue after a recorded failure.
  await recordTaskAttempt(out, runs[2].id, {
    jobId: "52",
    task: "50_2",
    restarts: 0,
    host: "n1",
    pid: 1,
    startedAt: "t",
    state: "failed",
    error: "out of memory\nstack",
  });
  const asked: string[][] = [];
  const view: SchedulerView = {
    available: true,
    tasks: new Map([["50_1", {
      task: "50_1",
      state: "PENDING",
      detail: "Priority",
      source: "squeue",
    }]]),
    notes: ["sacct: accounting disabled"],
  };
  const st = await ablationStatus(spec, opts, (ids) => {
    asked.push([...ids]);
    return Promise.resolve(view);
  });
  assert.deepEqual(asked, [["50"]]);
  assert.deepEqual(st.rows.map((r) => r.status), ["done", "pending", "failed", "not started"]);
  assert.match(st.rows[1].detail, /Slurm PENDING \(Priority\)/);
  assert.match(st.rows[2].detail, /failed on n1: out of memory$/);
  assert.equal(st.rows[2].log, join(out, "slurm", "logs", "50_2.out"));
  assert.equal(
    progressBar(st.counts, 8),
    "[##..xx  ] 1/4 done, 0 running, 1 pending, 1 failed, 1 not started",
  );
  const text = formatStatus(st);
  assert.match(text, /logs of failed tasks: .*50_2\.out/);
  assert.match(text, /sacct: accounting disabled/);
  // squeue down: submitted runs are "state unknown", never resubmitted as failed.
  const down = await ablationStatus(
    spec,
    opts,
    () => Promise.resolve({ available: false, tasks: new Map(), notes: ["squeue failed"] }),
  );
  assert.deepEqual(down.rows.map((r) => r.status), ["done", "pending", "pending", "not started"]);
  assert.equal(down.schedulerAvailable, false);
  // A live local runner's lock: running.
  const me: LockOwner = { pid: Deno.pid, host: Deno.hostname(), startedAt: "t", token: "m" };
  await Deno.writeTextFile(runs[3].lockPath, JSON.stringify(me));
  const locked = await ablationStatus(spec, opts, () => Promise.resolve(view));
  assert.equal(locked.rows[3].status, "running");
  assert.match(locked.rows[3].detail, new RegExp(`locked by pid ${Deno.pid}`));
  await Deno.remove(runs[3].lockPath);
  assert.equal(latestSubmission([]).size, 0);
  // The records never stop a local run from training what is left.
  const all = await runAblation(spec, opts);
  assert.equal(all.trained.length, 3);
  await Deno.remove(out, { recursive: true });
});
