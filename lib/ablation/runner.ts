/**
 * Runs an ablation: expands arms x seeds into experiment configs, trains
 * what is missing, and writes the tables and figures.
 *
 * Layout under the output folder (default `results/<name>`):
 *
 * ```
 * runs/<arm>-s<seed>-<configHash>/   one run directory per config (see runExperiment)
 * runs/<arm>-s<seed>-<configHash>.lock   while a runner trains it (see run_lock.ts)
 * plan.json                          the runs of the last invocation
 * runs.csv / runs.parquet            one row per run
 * summary.csv / summary.parquet      mean, std, 95% CI per arm x metric
 * comparisons.csv / .parquet         each arm against the baseline
 * figures/<metric>.json
 * ```
 *
 * Caching: a run directory is keyed by its full config hash, so rerunning
 * trains nothing; changing an arm (or the profile) trains only the changed
 * configs. A killed run resumes from its checkpoint (runExperiment), a stale
 * lock of a dead runner is taken over, and a run locked by a live runner is
 * waited for, so two runners on one ablation train each run once and both
 * end with complete tables (written atomically, last writer wins).
 * `runOneRun` trains a single run of the plan the same way (what each Slurm
 * array task runs; see slurm.ts).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { configHash, defaultExperiment, type ExperimentConfig } from "../config/experiment.ts";
import type { BackendRequest } from "../backend/select.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { loadDataset } from "../data/registry.ts";
import { type ExperimentResult, runExperiment } from "../experiment/run.ts";
import { withDefaultOptions } from "../methods/all.ts";
import { readJsonIfExists, writeJsonAtomic } from "../train/run_record.ts";
import {
  type AblationSpec,
  applyPatch,
  defaultResultsDir,
  EVIDENCE_PROFILE,
  PROFILE_NAMES,
  type ProfileName,
} from "./spec.ts";
import { type AblationRow, rowFromResult, type RunIdentity, summaryMetrics } from "./row.ts";
import { summarize, type SummaryRow } from "./summary.ts";
import { type ArmComparison, compareArms } from "./compare.ts";
import { describeOwner, type LockOwner, tryAcquireRunLock } from "./run_lock.ts";
import { copyReusedRun, findReusableRun, reusedFrom } from "./reuse_run.ts";
import {
  comparisonsFrame,
  runsFrame,
  summaryFrame,
  type TablePaths,
  writeAblationTables,
} from "./tables.ts";
import { writeAblationFigures } from "./figures.ts";

/** Options of {@link runAblation} and {@link planAblation}. */
export interface AblationOptions {
  /** Compute profile (default {@link EVIDENCE_PROFILE}). */
  profile?: ProfileName;
  /** Dataset override (`--dataset`). */
  dataset?: string;
  /** Number of seeds (default the spec's); seeds are 0 .. n-1. */
  seeds?: number;
  /** Output folder (default `results/<name>`). */
  outDir?: string;
  /** List the runs and their state; train nothing, write nothing. */
  dryRun?: boolean;
  /**
   * Train nothing; write the tables and figures from the runs finished so far
   * (a partial result across sessions: when runs are missing, `plan.json` and
   * the outcome say how many runs of the plan, and how many seeds per arm, they hold). With `reuse`, runs of the same
   * config finished under other ablations are copied in first.
   */
  partial?: boolean;
  /**
   * Train nothing, copy nothing; rebuild only `figures/*.json` from the runs
   * finished here (after a change of the figure style). Tables, `plan.json`
   * and `COMMAND.md` stay as they are.
   */
  figuresOnly?: boolean;
  backend?: BackendRequest;
  threads?: number;
  /** Folder with local dataset archives (default env KIT_DATA_DIR). */
  dataDir?: string;
  /** Runner messages (default stderr). */
  log?: (line: string) => void;
  /** Messages of each run's training (default: the same as `log`). */
  runLog?: (line: string) => void;
  /** Training progress lines of each run. */
  progress?: (line: string, final: boolean) => void;
  /** Polled between runs and steps; true stops after a checkpoint. */
  shouldStop?: () => boolean;
  /** How often to look at runs held by another runner (ms, default 2000). */
  pollMs?: number;
  /**
   * Leave runs another runner holds (`--skip-held`; default false: wait for them): once only
   * such runs are left, stop and write the tables from the runs finished so far, labelled
   * partial, so that a queue of ablations moves on to the next one instead of idling.
   */
  skipHeld?: boolean;
  /** Confidence level of intervals (default 0.95). */
  level?: number;
  /**
   * Asked about a lock that run_lock.ts judges live (e.g. one from another
   * host): true says its holder is gone (a Slurm task that ended), so the
   * lock is removed and taken. Default: no extra rule.
   */
  isLockStale?: (run: PlannedRun, holder: LockOwner | undefined) => Promise<boolean>;
  /**
   * Before training a new run, look for a finished run of the same config (same config hash)
   * in the other ablation folders beside this one (the folders of `dirname(outDir)`) and copy
   * it instead (see reuse_run.ts). Default false, so that a library caller's runs never depend
   * on what else lies beside its output folder; `deno task ablate` turns it on (`--no-reuse`).
   */
  reuse?: boolean;
}

/** One run of the plan. */
export interface PlannedRun {
  /** `<arm>-s<seed>-<configHash>`, also the run directory name. */
  id: string;
  arm: string;
  armLabel: string;
  /** 1-based positions, for progress lines. */
  armIndex: number;
  armCount: number;
  seed: number;
  seedIndex: number;
  seedCount: number;
  config: ExperimentConfig;
  configHash: string;
  runDir: string;
  lockPath: string;
}

/** State of a planned run on disk. */
export type RunState = "finished" | "resumable" | "new";

/** What {@link runAblation} did and produced. */
export interface AblationOutcome {
  ablation: string;
  profile: ProfileName;
  outDir: string;
  runs: PlannedRun[];
  /** Finished runs in plan order (all of them unless `dryRun`). */
  rows: AblationRow[];
  summary: SummaryRow[];
  comparisons: ArmComparison[];
  /** Run ids trained (or resumed) by this runner. */
  trained: string[];
  /** Run ids already finished when this runner looked. */
  cached: string[];
  /** Run ids finished by another runner while this one waited. */
  byOthers: string[];
  /** Finished runs of this outcome that are copies of another ablation's run, and from where. */
  reused: { id: string; from: string }[];
  /** Dry run: state of each run id. */
  states: Record<string, RunState>;
  /** Dry run with reuse: the new runs that would be copied from another ablation, and from where. */
  reusable: { id: string; from: string }[];
  /** With `partial`: finished runs against planned runs, and the seeds each arm has. */
  partial?: { finished: number; planned: number; seedsPerArm: Record<string, number> };
  tables?: TablePaths;
  figures: string[];
  seconds: number;
}

/** Thrown when `shouldStop` asks the runner to stop between runs. */
export class AblationStoppedError extends Error {
  constructor(done: number, total: number) {
    super(
      `ablation stopped after ${done}/${total} runs; rerun the same command to continue`,
    );
    this.name = "AblationStoppedError";
  }
}

function resolveOptions(spec: AblationSpec, opts: AblationOptions) {
  const profile = opts.profile ?? EVIDENCE_PROFILE;
  if (!PROFILE_NAMES.includes(profile)) {
    throw new Error(`unknown profile "${profile}"; choose one of ${PROFILE_NAMES.join(", ")}`);
  }
  const seeds = opts.seeds ?? spec.seeds;
  if (!Number.isInteger(seeds) || seeds < 1) {
    throw new Error(`seeds must be a positive integer (--seeds), got ${seeds}`);
  }
  return { profile, seeds, outDir: opts.outDir ?? defaultResultsDir(spec.name, profile) };
}

/** The output folder of an ablation under these options (default: {@link defaultResultsDir}). */
export function resolveOutDir(spec: AblationSpec, opts: AblationOptions = {}): string {
  return resolveOptions(spec, opts).outDir;
}

/** The config of one arm and seed under a profile (see spec.ts for the order of steps). */
export function armConfig(
  spec: AblationSpec,
  armName: string,
  seed: number,
  profile: ProfileName,
  dataset?: string,
): ExperimentConfig {
  const arm = spec.arms.find((a) => a.name === armName);
  if (!arm) {
    throw new Error(
      `ablation "${spec.name}" has no arm "${armName}"; arms: ${
        spec.arms.map((a) => a.name).join(", ")
      }`,
    );
  }
  let cfg = spec.profiles[profile](defaultExperiment(), dataset);
  if (dataset) cfg.data = { ...cfg.data, dataset };
  cfg = applyPatch(cfg, arm.patch);
  if (dataset) cfg.data = { ...cfg.data, dataset };
  cfg.seed = seed;
  return withDefaultOptions(cfg);
}

/** Expands arms x seeds into planned runs (config, hash, run directory, lock path). */
export async function planAblation(
  spec: AblationSpec,
  opts: AblationOptions = {},
): Promise<PlannedRun[]> {
  const { profile, seeds, outDir } = resolveOptions(spec, opts);
  const runs: PlannedRun[] = [];
  for (const [ai, arm] of spec.arms.entries()) {
    for (let seed = 0; seed < seeds; seed++) {
      const config = armConfig(spec, arm.name, seed, profile, opts.dataset);
      const hash = await configHash(config);
      const id = `${arm.name}-s${seed}-${hash}`;
      const runDir = join(outDir, "runs", id);
      runs.push({
        id,
        arm: arm.name,
        armLabel: arm.label,
        armIndex: ai + 1,
        armCount: spec.arms.length,
        seed,
        seedIndex: seed + 1,
        seedCount: seeds,
        config,
        configHash: hash,
        runDir,
        lockPath: `${runDir}.lock`,
      });
    }
  }
  return runs;
}

async function finishedResult(run: PlannedRun): Promise<ExperimentResult | undefined> {
  const r = await readJsonIfExists<ExperimentResult>(join(run.runDir, "result.json"));
  return r && r.configHash === run.configHash ? r : undefined;
}

/** Whether a planned run is finished, has a checkpoint to resume, or is new. */
export async function runState(run: PlannedRun): Promise<RunState> {
  if (await finishedResult(run)) return "finished";
  try {
    await Deno.stat(join(run.runDir, "checkpoint"));
    return "resumable";
  } catch {
    return "new";
  }
}

/** Trains (or resumes, or reads back) `runs`, filling `rowsById` and the outcome's id lists. */
async function trainRuns(
  spec: AblationSpec,
  runs: readonly PlannedRun[],
  opts: AblationOptions,
  outcome: AblationOutcome,
  rowsById: Map<string, AblationRow>,
  identity: (run: PlannedRun) => RunIdentity,
): Promise<void> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const pollMs = opts.pollMs ?? 2000;
  const total = outcome.runs.length;
  const datasetFor = datasetCache(opts);
  const announcedWait = new Set<string>();
  let pending = [...runs];
  let firstPass = true;
  while (pending.length > 0) {
    const stillPending: PlannedRun[] = [];
    let progressed = false;
    for (const run of pending) {
      if (opts.shouldStop?.()) throw new AblationStoppedError(rowsById.size, total);
      const done = await finishedResult(run);
      if (done) {
        rowsById.set(run.id, rowFromResult(identity(run), done, spec.metrics));
        (firstPass ? outcome.cached : outcome.byOthers).push(run.id);
        log(`${where(run)}: ${firstPass ? "cached" : "finished by another runner"}: ${run.id}`);
        progressed = true;
        continue;
      }
      const attempt = await acquireRun(run, opts, log, announcedWait);
      if (!attempt.acquired) {
        stillPending.push(run);
        continue;
      }
      try {
        const { result, by } = await trainLockedRun(run, attempt, opts, datasetFor, {
          log,
          done: rowsById.size,
          total,
        });
        (by === "others" ? outcome.byOthers : by === "reused" ? outcome.cached : outcome.trained)
          .push(run.id);
        rowsById.set(run.id, rowFromResult(identity(run), result, spec.metrics));
        progressed = true;
      } finally {
        await attempt.lock.release();
      }
    }
    pending = stillPending;
    firstPass = false;
    if (pending.length > 0 && !progressed) {
      if (opts.skipHeld) {
        log(
          `${pending.length} run(s) held by other runners; not waiting for them (--skip-held): ` +
            `the tables hold the runs finished so far and are labelled partial`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/** Loads each (dataset, sizes) once for all runs of the ablation. */
function datasetCache(opts: AblationOptions): (cfg: ExperimentConfig) => Promise<ImageDataset> {
  const runLog = opts.runLog ?? opts.log ?? ((l: string) => console.error(l));
  const datasets = new Map<string, Promise<ImageDataset>>();
  return (cfg) => {
    const key = JSON.stringify([cfg.data.dataset, cfg.data.trainSize, cfg.data.testSize]);
    let ds = datasets.get(key);
    if (!ds) {
      ds = loadDataset(cfg.data.dataset, {
        dataDir: opts.dataDir,
        trainSize: cfg.data.trainSize,
        testSize: cfg.data.testSize,
        seed: 0,
        onProgress: runLog,
      });
      datasets.set(key, ds);
    }
    return ds;
  };
}

/**
 * Tries to take the run's lock (taking over a stale one when `opts.isLockStale`
 * says so); a lock held by another runner is announced once per run.
 */
async function acquireRun(
  run: PlannedRun,
  opts: AblationOptions,
  log: (line: string) => void,
  announcedWait: Set<string>,
): Promise<Awaited<ReturnType<typeof tryAcquireRunLock>>> {
  let attempt = await tryAcquireRunLock(run.lockPath);
  if (!attempt.acquired && opts.isLockStale && await opts.isLockStale(run, attempt.holder)) {
    log(`${where(run)}: the lock of ${describeOwner(attempt.holder)} is stale; taking it over`);
    await Deno.remove(run.lockPath).catch(() => {});
    attempt = await tryAcquireRunLock(run.lockPath);
  }
  if (!attempt.acquired && !announcedWait.has(run.id)) {
    log(`${where(run)}: held by ${describeOwner(attempt.holder)}; coming back to it later`);
    announcedWait.add(run.id);
  }
  return attempt;
}

/**
 * Trains (or resumes) a run whose lock this runner holds, unless another
 * runner finished it between the check and the lock. Errors name the arm and
 * the run folder (except a stop, which is passed on as it is).
 */
async function trainLockedRun(
  run: PlannedRun,
  attempt: Extract<Awaited<ReturnType<typeof tryAcquireRunLock>>, { acquired: true }>,
  opts: AblationOptions,
  datasetFor: (cfg: ExperimentConfig) => Promise<ImageDataset>,
  status: { log: (line: string) => void; done: number; total: number },
): Promise<{ result: ExperimentResult; by: "others" | "this runner" | "reused" }> {
  const { log } = status;
  if (attempt.tookOverFrom) {
    log(`${where(run)}: took over the stale lock of ${describeOwner(attempt.tookOverFrom)}`);
  }
  // Another runner may have finished it between our check and the lock.
  const now = await finishedResult(run);
  if (now) return { result: now, by: "others" };
  const state = await runState(run);
  if (state === "new" && opts.reuse) {
    const result = await reuseLockedRun(run, log);
    if (result) return { result, by: "reused" };
  }
  log(
    `${where(run)}: ${state === "resumable" ? "resuming" : "training"} ${run.id} ` +
      `(${status.done}/${status.total} done)`,
  );
  try {
    const result = await runExperiment(run.config, {
      outDir: run.runDir,
      backend: opts.backend,
      threads: opts.threads,
      dataDir: opts.dataDir,
      shouldStop: opts.shouldStop,
      log: opts.runLog ?? log,
      progress: opts.progress,
      dataset: await datasetFor(run.config),
    });
    return { result, by: "this runner" };
  } catch (err) {
    const e = err as Error;
    if (e.name !== "TrainingInterruptedError") {
      e.message = `${where(run)} (${run.runDir}): ${e.message}`;
    }
    throw e;
  }
}

/**
 * Copies a finished run of the same config from another ablation into this new run's folder
 * (the caller holds the run's lock); returns its result, or undefined when there is none.
 */
async function reuseLockedRun(
  run: PlannedRun,
  log: (line: string) => void,
): Promise<ExperimentResult | undefined> {
  const found = await findReusableRun(reuseRoot(run), run.configHash, run.runDir);
  if (!found) return undefined;
  await copyReusedRun(found.dir, run.runDir);
  log(`${where(run)}: reusing ${found.dir} (same config, finished there): ${run.id}`);
  return found.result;
}

/**
 * `--partial` with reuse: copies a finished run of the same config from another ablation when
 * this run is new and no runner holds it (under its lock). Says whether it copied.
 */
async function copyIfReusable(run: PlannedRun, log: (line: string) => void): Promise<boolean> {
  if ((await runState(run)) !== "new") return false;
  const attempt = await tryAcquireRunLock(run.lockPath);
  if (!attempt.acquired) return false;
  try {
    return (await runState(run)) === "new" && (await reuseLockedRun(run, log)) !== undefined;
  } finally {
    await attempt.lock.release();
  }
}

/** The folder holding the ablation folders (`results/` for `results/<ablation>/runs/<id>`). */
function reuseRoot(run: PlannedRun): string {
  return dirname(dirname(dirname(run.runDir)));
}

function where(run: PlannedRun): string {
  return `arm ${run.armIndex}/${run.armCount} (${run.arm}) seed ${run.seedIndex}/${run.seedCount}`;
}

function emptyOutcome(
  spec: AblationSpec,
  profile: ProfileName,
  outDir: string,
  runs: PlannedRun[],
): AblationOutcome {
  return {
    ablation: spec.name,
    profile,
    outDir,
    runs,
    rows: [],
    summary: [],
    comparisons: [],
    trained: [],
    cached: [],
    byOthers: [],
    reused: [],
    states: {},
    reusable: [],
    figures: [],
    seconds: 0,
  };
}

function identityOf(spec: AblationSpec, profile: ProfileName): (run: PlannedRun) => RunIdentity {
  return (run) => ({
    ablation: spec.name,
    profile,
    arm: run.arm,
    armLabel: run.armLabel,
    seed: run.seed,
    runDir: run.runDir,
  });
}

/** What {@link runOneRun} did. */
export interface OneRunOutcome {
  run: PlannedRun;
  /** trained (or resumed) here, cached (finished before), or finished by another runner. */
  how: "trained" | "cached" | "byOther";
  row: AblationRow;
}

/**
 * Trains exactly one run of the ablation (its id `<arm>-s<seed>-<hash>`, as
 * in `plan.json`), through the same lock, checkpoint and resume as
 * {@link runAblation}; writes no tables. This is what one Slurm array task
 * runs. Throws naming the plan's ids when `runId` is not in the plan (the
 * ablation or its options changed since the job was submitted).
 */
export async function runOneRun(
  spec: AblationSpec,
  runId: string,
  opts: AblationOptions = {},
): Promise<OneRunOutcome> {
  const { profile, outDir } = resolveOptions(spec, opts);
  const runs = await planAblation(spec, opts);
  const run = runs.find((r) => r.id === runId);
  if (!run) {
    throw new Error(
      `run "${runId}" is not in the plan of ablation "${spec.name}" (profile ${profile}, ` +
        `${runs.length} runs: ${runs.map((r) => r.id).join(", ")}); the ablation, its profile ` +
        `or the code changed since this job was submitted: submit again`,
    );
  }
  const outcome = emptyOutcome(spec, profile, outDir, runs);
  const rowsById = new Map<string, AblationRow>();
  await trainRuns(spec, [run], opts, outcome, rowsById, identityOf(spec, profile));
  const how = outcome.trained.length > 0
    ? "trained"
    : outcome.cached.length > 0
    ? "cached"
    : "byOther";
  return { run, how, row: rowsById.get(run.id)! };
}

/** Runs (or resumes, or reads back) every run of the ablation, then writes tables and figures. */
export async function runAblation(
  spec: AblationSpec,
  opts: AblationOptions = {},
): Promise<AblationOutcome> {
  const started = performance.now();
  const { profile, outDir } = resolveOptions(spec, opts);
  const log = opts.log ?? ((l: string) => console.error(l));
  const runs = await planAblation(spec, opts);
  const outcome = emptyOutcome(spec, profile, outDir, runs);
  const identity = identityOf(spec, profile);
  const rowsById = new Map<string, AblationRow>();
  /** Adds the row of `run` when it is finished; says whether it was. */
  const readFinished = async (run: PlannedRun): Promise<boolean> => {
    const r = await finishedResult(run);
    if (r) rowsById.set(run.id, rowFromResult(identity(run), r, spec.metrics));
    return r !== undefined;
  };

  if (opts.dryRun) {
    for (const run of runs) {
      const state = (await readFinished(run)) ? "finished" : await runState(run);
      outcome.states[run.id] = state;
      const reusable = state === "new" && opts.reuse
        ? await findReusableRun(reuseRoot(run), run.configHash, run.runDir)
        : undefined;
      if (reusable) outcome.reusable.push({ id: run.id, from: reusable.dir });
      const what = state === "finished"
        ? "finished (cached)"
        : state === "resumable"
        ? "would resume from its checkpoint"
        : reusable
        ? `would reuse ${reusable.dir} (same config)`
        : "would run";
      log(`${where(run)}: ${what}: ${run.runDir}`);
    }
    outcome.rows = runs.flatMap((r) => rowsById.get(r.id) ?? []);
    outcome.seconds = (performance.now() - started) / 1000;
    return outcome;
  }

  if (opts.partial || opts.figuresOnly) {
    for (const run of runs) {
      if (await readFinished(run)) continue;
      if (opts.reuse && !opts.figuresOnly && await copyIfReusable(run, log)) {
        await readFinished(run);
      }
    }
    if (rowsById.size === 0) {
      throw new Error(
        `${spec.name} (${profile}): no finished run in ${outDir}/runs, so there is ` +
          `${opts.figuresOnly ? "no figure to rebuild" : "nothing to tabulate"}; train some ` +
          `first (deno task ablate ${spec.name} --profile ${profile})`,
      );
    }
  } else {
    await trainRuns(spec, runs, opts, outcome, rowsById, identity);
  }

  outcome.rows = runs.flatMap((r) => rowsById.get(r.id) ?? []);
  for (const run of runs) {
    const from = rowsById.has(run.id) ? await reusedFrom(run.runDir) : undefined;
    if (from) outcome.reused.push({ id: run.id, from });
  }
  if (outcome.rows.length < runs.length) {
    const seedsPerArm: Record<string, number> = {};
    for (const arm of spec.arms) {
      seedsPerArm[arm.name] = outcome.rows.filter((r) => r.arm === arm.name).length;
    }
    outcome.partial = { finished: outcome.rows.length, planned: runs.length, seedsPerArm };
  }
  const level = opts.level ?? 0.95;
  outcome.summary = summarize(outcome.rows, summaryMetrics(spec.metrics, outcome.rows), level);
  if (opts.figuresOnly) {
    outcome.figures = await writeAblationFigures(outDir, spec.title, outcome.summary, outcome.rows);
    outcome.seconds = (performance.now() - started) / 1000;
    return outcome;
  }
  const baseline = spec.baseline ?? spec.arms[0].name;
  const ran = new Set(outcome.rows.map((r) => r.arm));
  const pairs: (readonly [string, string])[] = [
    ...spec.arms.filter((arm) => arm.name !== baseline).map((arm) => [arm.name, baseline] as const),
    ...(spec.alsoCompare ?? []),
  ];
  for (const [a, b] of pairs) {
    if (!ran.has(a) || !ran.has(b)) continue;
    for (const metric of spec.metrics) {
      outcome.comparisons.push(compareArms(outcome.rows, a, b, metric, { level }));
    }
  }
  await writeJsonAtomic(join(outDir, "plan.json"), {
    ablation: spec.name,
    title: spec.title,
    question: spec.question,
    profile,
    dataset: opts.dataset ?? null,
    baseline,
    metrics: spec.metrics,
    runs: runs.map((r) => ({ id: r.id, arm: r.arm, seed: r.seed, configHash: r.configHash })),
    partial: outcome.partial ?? null,
  });
  outcome.tables = await writeAblationTables(outDir, {
    runs: runsFrame(outcome.rows, spec.metrics, outDir),
    summary: summaryFrame(outcome.summary),
    comparisons: outcome.comparisons.length > 0
      ? comparisonsFrame(spec.name, outcome.comparisons)
      : undefined,
  });
  outcome.figures = await writeAblationFigures(outDir, spec.title, outcome.summary, outcome.rows);
  outcome.seconds = (performance.now() - started) / 1000;
  return outcome;
}
