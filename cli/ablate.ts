/**
 * `deno task ablate`: runs a declared ablation (arms x seeds x profile) and
 * writes its tables and figures under `results/<name>/`.
 *
 * ```
 * deno task ablate --list
 * deno task ablate simclr-temperature --profile tiny --seeds 2
 * deno task ablate simclr-temperature --profile quick --dry-run
 * deno task ablate simclr-temperature --profile paper --executor slurm --gres gpu:1 --wait
 * deno task ablate simclr-temperature --profile paper --status
 * ```
 *
 * Reruns train only missing or changed runs; a killed ablation resumes; two
 * invocations at once share the work. With `--executor slurm` the missing or
 * failed runs go to Slurm as one job array (one task per run, each task this
 * same command with `--run <id>`); `--wait` then gathers the same tables as a
 * local run. Logs go to stderr; stdout ends with the summary table and the
 * paths written.
 *
 * @module
 */
import { BACKEND_NAMES } from "../lib/backend/select.ts";
import { getAblation, listAblations } from "../lib/ablation/ablations.ts";
import { type AblationOptions, resolveOutDir, runAblation } from "../lib/ablation/runner.ts";
import type { AblationSpec } from "../lib/ablation/spec.ts";
import { checkTime, type SlurmOptions } from "../lib/ablation/slurm.ts";
import { submitAblation } from "../lib/ablation/slurm_submit.ts";
import { runSlurmTask } from "../lib/ablation/slurm_task.ts";
import {
  type AblationStatus,
  ablationStatus,
  formatStatus,
  progressBar,
  waitForAblation,
} from "../lib/ablation/status.ts";
import { defaultResultsDir, EVIDENCE_PROFILE, PROFILE_NAMES } from "../lib/ablation/spec.ts";
import { formatSummaryTable } from "../lib/ablation/summary.ts";
import { shellQuote, writeCommandRecord } from "../lib/ablation/command_record.ts";
import { codeVersion } from "../lib/train/run_record.ts";
import {
  backendFlag,
  choiceFlag,
  numberFlag,
  parseCommandLine,
  positiveIntegerFlag,
  UsageError,
} from "./args.ts";
import { resolve } from "node:path";
import { runMain } from "./run_main.ts";
import { stopOnSignals } from "./stop_signals.ts";

const HELP = `Run an ablation: every arm x seed under a compute profile, then tables and figures.

Usage: deno task ablate <name> [options]
       deno task ablate --list

  --profile <p>        ${PROFILE_NAMES.join(" | ")} (default ${EVIDENCE_PROFILE}): tiny = tests
                       (seconds), quick = a CPU smoke test (minutes a run, encoders barely
                       trained), 10k-15ep = the evidence on a CPU (10,000 CIFAR-10 images x 15
                       epochs, 10-40 min a run), paper = the papers' settings (GPU)
  --dataset <name>     dataset instead of the profile's (deno task data list)
  --seeds <n>          number of seeds 0..n-1 (default: the ablation's)
  --out <dir>          output folder (default results/<name> for ${EVIDENCE_PROFILE},
                       results/<name>-<profile> for the others)
  --dry-run            list the runs and whether each is cached, resumable or new; train nothing
  --partial            train nothing; write the tables from the runs finished so far (and the
                       runs it can reuse, see --no-reuse), marked PARTIAL in COMMAND.md and
                       plan.json with the seeds each arm has (when runs are missing)
  --figures-only       train nothing; rebuild figures/*.json from the finished runs (after a
                       change of the figure style), tables and COMMAND.md unchanged
  --list               list the ablations (--verbose: with their questions)
  --backend <name>     auto | ${BACKEND_NAMES.join(" | ")} (default auto, or env KIT_BACKEND)
  --threads <n>        CPU threads for the backend
  --data-dir <dir>     where local dataset archives live (or env KIT_DATA_DIR)
  --quiet              only the runner's lines on stderr, not each run's training log
  --no-reuse           train every run here; by default (with the default --out) a run whose
                       exact config (hash) finished under another ablation's results folder is
                       copied from there, with reused-from.json naming the source
  --skip-held          when only runs that another runner holds are left, do not wait for them:
                       write the tables from the runs finished so far (labelled PARTIAL) and
                       exit, so a queue of ablations run by several runners moves on
  --status             which runs are done, running, pending, failed (run records, squeue, sacct)
  --wait               wait (with a progress bar) until no run is pending or running, then
                       write the tables; with --executor slurm: after submitting
  --poll <s>           seconds between looks while waiting (default 10)
  --help               this text

Slurm (one job array per ablation, one task per missing or failed run; rerun to resubmit):
  --executor <e>       local (default: train here) | slurm (sbatch --array from a login node)
  --partition <p>      Slurm partition (default: the cluster's default)
  --gres <g>           generic resources per task, e.g. gpu:1
  --time <t>           time limit per task, HH:MM:SS or D-HH:MM:SS (SIGTERM 120 s before:
                       the run checkpoints; resubmit to resume)
  --cpus <n>           CPUs per task (default 1)
  --sbatch-arg <a>     extra sbatch flag, repeatable, e.g. --sbatch-arg=--mem=16G
  --max-parallel <n>   at most n tasks at once (--array=...%n)
  --run <id>           train only this run (what each array task runs; ids: --dry-run)

Writes runs.csv/.parquet, summary.csv/.parquet (mean, std, 95% CI per arm and metric),
comparisons.csv/.parquet (each arm against the baseline), figures/*.json (export with deno task figures) and COMMAND.md.
`;

/** Entry point; returns the exit status (bad flags throw a UsageError). */
const FLAGS = {
  profile: { type: "string" },
  dataset: { type: "string" },
  seeds: { type: "string" },
  out: { type: "string" },
  "dry-run": { type: "boolean" },
  partial: { type: "boolean" },
  "figures-only": { type: "boolean" },
  list: { type: "boolean" },
  verbose: { type: "boolean" },
  backend: { type: "string" },
  threads: { type: "string" },
  "data-dir": { type: "string" },
  quiet: { type: "boolean" },
  "no-reuse": { type: "boolean" },
  "skip-held": { type: "boolean" },
  status: { type: "boolean" },
  wait: { type: "boolean" },
  poll: { type: "string" },
  executor: { type: "string" },
  partition: { type: "string" },
  gres: { type: "string" },
  time: { type: "string" },
  cpus: { type: "string" },
  "sbatch-arg": { type: "string", multiple: true },
  "max-parallel": { type: "string" },
  run: { type: "string" },
} as const;

/** The parsed flags of `deno task ablate`. */
type Flags = {
  [K in keyof typeof FLAGS]?: (typeof FLAGS)[K] extends { multiple: true } ? string[]
    : (typeof FLAGS)[K] extends { type: "boolean" } ? boolean
    : string;
};

/** One invocation after its flags were checked: what to run and how. */
interface Invocation {
  args: string[];
  values: Flags;
  spec: AblationSpec;
  profile: string;
  executor: "local" | "slurm";
  pollSeconds: number;
  runOpts: AblationOptions;
  stop: ReturnType<typeof stopOnSignals>;
}

async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({ args, options: FLAGS, allowPositionals: true }, HELP);
  if (!cli) return 0;
  const values = cli.values as Flags;
  if (values.list) {
    for (const s of await listAblations()) {
      console.log(values.verbose ? `${s.name}\t${s.title}: ${s.question}` : s.name);
    }
    return 0;
  }
  const call = await invocation(args, values, cli.positionals);
  const started = new Date();
  const { spec, profile, runOpts } = call;
  if (values.run !== undefined) {
    const one = await runSlurmTask(spec, values.run, runOpts);
    console.log(`${one.run.id}: ${one.how} (${one.run.runDir})`);
    return 0;
  }
  if (values.status) {
    printStatus(spec, profile, await ablationStatus(spec, runOpts));
    return 0;
  }
  if (call.executor === "slurm") {
    const code = await submitStage(call);
    if (code !== undefined) return code;
  }
  if (values.wait && !values["dry-run"]) {
    const code = await waitStage(call);
    if (code !== undefined) return code;
  }
  return await runAndRecord(call, started);
}

/** Checks the flags and the ablation name; the options every stage shares. */
async function invocation(
  args: string[],
  values: Flags,
  positionals: string[],
): Promise<Invocation> {
  if (positionals.length !== 1) {
    throw new UsageError(
      `give exactly one ablation name (got ${positionals.length}); ` +
        `deno task ablate --list shows them\n\n${HELP}`,
    );
  }
  const profile = choiceFlag("profile", values.profile, PROFILE_NAMES) ?? EVIDENCE_PROFILE;
  const seeds = positiveIntegerFlag("seeds", values.seeds);
  const threads = positiveIntegerFlag("threads", values.threads);
  const backend = backendFlag(values.backend);
  let spec;
  try {
    spec = await getAblation(positionals[0]);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const executor = choiceFlag("executor", values.executor, ["local", "slurm"] as const) ??
    "local";
  const slurmFlags = ["partition", "gres", "time", "cpus", "sbatch-arg", "max-parallel"] as const;
  const misplaced = slurmFlags.filter((f) => values[f] !== undefined);
  if (executor !== "slurm" && misplaced.length > 0) {
    throw new UsageError(`--${misplaced[0]} needs --executor slurm`);
  }
  const pollSeconds = numberFlag("poll", values.poll) ?? 10;
  if (!(pollSeconds > 0)) throw new UsageError(`--poll expects seconds > 0, got ${values.poll}`);
  const stop = stopOnSignals();
  const runOpts: AblationOptions = {
    profile,
    dataset: values.dataset,
    seeds,
    outDir: values.out,
    backend,
    threads,
    dataDir: values["data-dir"],
    runLog: values.quiet ? () => {} : undefined,
    progress: values.quiet ? () => {} : undefined,
    shouldStop: stop.requested,
    skipHeld: values["skip-held"] ?? false,
    // Only among the kit's own results folders: a custom --out may sit beside anything.
    reuse: !values["no-reuse"] &&
      (values.out === undefined ||
        resolve(values.out) === resolve(defaultResultsDir(spec.name, profile))),
  };
  return { args, values, spec, profile, executor, pollSeconds, runOpts, stop };
}

/**
 * `--executor slurm`: submits the runs not done as a job array (or says what
 * it would submit). Returns an exit status to end with, or undefined to go on
 * (with `--wait`, or when every run is already done: gather the tables).
 */
async function submitStage(call: Invocation): Promise<number | undefined> {
  const { values, spec, runOpts, args } = call;
  const slurm: SlurmOptions = {
    partition: values.partition,
    gres: values.gres,
    time: values.time === undefined ? undefined : usage(() => checkTime(values.time!)),
    cpus: positiveIntegerFlag("cpus", values.cpus),
    sbatchArgs: values["sbatch-arg"],
    maxParallel: positiveIntegerFlag("max-parallel", values["max-parallel"]),
  };
  const sub = await submitAblation(spec, runOpts, slurm, {
    args: taskArgs(spec, runOpts, values.quiet ?? false),
    submitCommand: ["deno", "task", "ablate", ...args].map(shellQuote).join(" "),
    dryRun: values["dry-run"],
  });
  const c = sub.status.counts;
  const name = spec.name;
  const again = ["deno", "task", "ablate", ...args.filter((a) => a !== "--wait")]
    .map(shellQuote).join(" ");
  if (sub.jobId) {
    console.log(
      `submitted ${sub.submitted.length} run(s) of ${name} as Slurm job array ${sub.jobId} ` +
        `(tasks ${sub.indices.join(",")}; ${c.done} already done)`,
    );
    console.log(`  script: ${sub.script}`);
    console.log(`  logs:   ${resolve(resolveOutDir(spec, runOpts), "slurm", "logs")}/`);
    console.log(`  watch:  squeue -j ${sub.jobId}`);
    console.log(`          ${again} --status`);
    console.log(`  gather: ${again} --wait   (blocks, then writes the tables)`);
  } else if (values["dry-run"]) {
    console.log(
      `${name}: would submit ${sub.submitted.length} run(s) (tasks ${sub.indices.join(",")}); ` +
        `script ${sub.script ?? "(none: nothing to submit)"}`,
    );
    return 0;
  } else {
    console.log(
      `${name}: nothing to submit (${progressBar(c)})` +
        (sub.status.jobs.length > 0 ? `; Slurm jobs ${sub.status.jobs.join(", ")}` : ""),
    );
  }
  // Without --wait, gather only when every run is already done.
  if (!values.wait && c.done < sub.status.rows.length) return 0;
  return undefined;
}

/**
 * `--wait`: blocks until no run is in progress elsewhere. Returns 130 when
 * stopped; from Slurm, runs left undone are an error (they must be resubmitted).
 */
async function waitStage(call: Invocation): Promise<number | undefined> {
  const { spec, profile, runOpts, executor, pollSeconds, stop } = call;
  const st = await waitForAblation(spec, runOpts, {
    pollSeconds,
    shouldStop: stop.requested,
    onProgress: (bar) => console.error(`${new Date().toISOString().slice(11, 19)} ${bar}`),
  });
  if (stop.requested()) {
    console.log("stopped waiting; submitted tasks keep running (see --status)");
    return 130;
  }
  // Locally, what is left is trained below; from Slurm, it must be resubmitted.
  if (executor === "slurm" && st.counts.done < st.rows.length) {
    printStatus(spec, profile, st);
    throw new Error(
      `${st.rows.length - st.counts.done} of ${st.rows.length} runs are not done ` +
        `(${st.counts.failed} failed, ${st.counts["not started"]} not started): rerun the ` +
        `submit command to resubmit them (they resume from their checkpoints), or run ` +
        `without --executor slurm to train them here`,
    );
  }
  return undefined;
}

/**
 * Trains what is left here (or lists it with `--dry-run`), then writes the
 * tables, figures and `COMMAND.md` and prints the summary.
 */
async function runAndRecord(call: Invocation, started: Date): Promise<number> {
  const { spec, values, runOpts, args } = call;
  const outcome = await runAblation(spec, {
    ...runOpts,
    dryRun: values["dry-run"] ?? false,
    partial: values.partial ?? false,
    figuresOnly: values["figures-only"] ?? false,
  });
  if (values["figures-only"]) {
    console.log(
      `${spec.name} (${outcome.profile}): figures rebuilt from ${outcome.rows.length} finished ` +
        `runs (tables and COMMAND.md unchanged); export them with ` +
        `deno task figures --results ${outcome.outDir}`,
    );
    for (const f of outcome.figures) console.log(`  ${f}`);
    return 0;
  }
  if (values["dry-run"]) {
    const states = Object.values(outcome.states);
    const count = (s: string) => states.filter((x) => x === s).length;
    const reuse = outcome.reusable.length;
    console.log(
      `${spec.name} (${outcome.profile}): ${states.length} runs: ${count("finished")} cached, ` +
        `${count("resumable")} to resume, ${count("new") - reuse} to run` +
        `${reuse > 0 ? `, ${reuse} to copy from other ablations` : ""}; output ${outcome.outDir}`,
    );
    return 0;
  }
  const summaryText = formatSummaryTable(outcome.summary);
  const files = [
    ...Object.values(outcome.tables ?? {}),
    ...outcome.figures,
  ];
  const command = ["deno", "task", "ablate", ...args].map(shellQuote).join(" ");
  const commandPath = await writeCommandRecord(outcome.outDir, {
    command,
    ablation: spec.name,
    title: spec.title,
    question: spec.question,
    profile: outcome.profile,
    datasets: [
      ...new Set(outcome.rows.map((r) => r.dataset + (r.synthetic ? " (synthetic)" : ""))),
    ],
    seeds: outcome.runs.length / spec.arms.length,
    backends: [...new Set(outcome.rows.map((r) => r.backend))],
    date: started,
    wallSeconds: outcome.seconds,
    runSeconds: outcome.rows.map((r) => ({ train: r.trainSeconds, eval: r.evalSeconds })),
    code: await codeVersion(),
    trained: outcome.trained.length,
    cached: outcome.cached.length,
    byOthers: outcome.byOthers.length,
    reused: outcome.reused,
    files,
    summaryText,
    partial: outcome.partial,
  });
  console.log(`${spec.title} (${spec.name}, profile ${outcome.profile})`);
  console.log(summaryText);
  for (const c of outcome.comparisons) console.log(c.text);
  console.log(
    `runs: ${outcome.trained.length} trained, ${outcome.cached.length} cached, ` +
      `${outcome.byOthers.length} by another runner; ${outcome.seconds.toFixed(1)} s`,
  );
  console.log("written:");
  for (const f of [...files, commandPath]) console.log(`  ${f}`);
  return 0;
}

/** Runs `f`, turning a thrown error into a {@link UsageError} (bad flag values). */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The flags an array task needs to rebuild the same plan (absolute paths: other nodes). */
function taskArgs(spec: AblationSpec, opts: AblationOptions, quiet: boolean): string[] {
  const a = [
    "--profile",
    opts.profile ?? EVIDENCE_PROFILE,
    "--out",
    resolve(resolveOutDir(spec, opts)),
  ];
  if (opts.dataset) a.push("--dataset", opts.dataset);
  if (opts.seeds !== undefined) a.push("--seeds", String(opts.seeds));
  if (opts.backend) a.push("--backend", opts.backend);
  if (opts.threads !== undefined) a.push("--threads", String(opts.threads));
  if (opts.dataDir) a.push("--data-dir", resolve(opts.dataDir));
  if (opts.reuse === false) a.push("--no-reuse");
  if (quiet) a.push("--quiet");
  return a;
}

function printStatus(spec: AblationSpec, profile: string, st: AblationStatus): void {
  console.log(
    `${spec.title} (${spec.name}, profile ${profile}): ${st.rows.length} runs in ${st.outDir}`,
  );
  console.log(progressBar(st.counts));
  console.log(formatStatus(st));
}

if (import.meta.main) {
  await runMain(() => main(Deno.args), {
    exitCode: (e) =>
      e.name === "TrainingInterruptedError" || e.name === "AblationStoppedError" ? 130 : 1,
  });
}
