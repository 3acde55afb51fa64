/**
 * `deno task ablate`: runs a declared ablation (arms x seeds x profile) and
 * writes its tables and figures under `results/<name>/`.
 *
 * ```
 * deno task ablate --list
 * deno task ablate simclr-temperature --profile tiny --seeds 2
 * deno task ablate simclr-temperature --profile quick --dry-run
 * ```
 *
 * Reruns train only missing or changed runs; a killed ablation resumes; two
 * invocations at once share the work. Logs go to stderr; stdout ends with
 * the summary table and the paths written.
 *
 * @module
 */
import { BACKEND_NAMES } from "../lib/backend/select.ts";
import { getAblation, listAblations } from "../lib/ablation/ablations.ts";
import { runAblation } from "../lib/ablation/runner.ts";
import { PROFILE_NAMES } from "../lib/ablation/spec.ts";
import { formatSummaryTable } from "../lib/ablation/summary.ts";
import { shellQuote, writeCommandRecord } from "../lib/ablation/command_record.ts";
import { codeVersion } from "../lib/train/run_record.ts";
import {
  backendFlag,
  choiceFlag,
  parseCommandLine,
  positiveIntegerFlag,
  UsageError,
} from "./args.ts";
import { runMain } from "./run_main.ts";
import { stopOnSignals } from "./stop_signals.ts";

const HELP = `Run an ablation: every arm x seed under a compute profile, then tables and figures.

Usage: deno task ablate <name> [options]
       deno task ablate --list

  --profile <p>        ${PROFILE_NAMES.join(" | ")} (default quick): tiny = tests (seconds),
                       quick = a CPU (minutes a run), paper = the papers' settings (GPU)
  --dataset <name>     dataset instead of the profile's (deno task data list)
  --seeds <n>          number of seeds 0..n-1 (default: the ablation's)
  --out <dir>          output folder (default results/<name>)
  --dry-run            list the runs and whether each is cached, resumable or new; train nothing
  --list               list the ablations (--verbose: with their questions)
  --backend <name>     auto | ${BACKEND_NAMES.join(" | ")} (default auto, or env KIT_BACKEND)
  --threads <n>        CPU threads for the backend
  --data-dir <dir>     where local dataset archives live (or env KIT_DATA_DIR)
  --quiet              only the runner's lines on stderr, not each run's training log
  --help               this text

Writes runs.csv/.parquet, summary.csv/.parquet (mean, std, 95% CI per arm and metric),
comparisons.csv/.parquet (each arm against the baseline), figures/*.json (export with deno task figures) and COMMAND.md.
`;

/** Entry point; returns the exit status (bad flags throw a UsageError). */
async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({
    args,
    options: {
      profile: { type: "string" },
      dataset: { type: "string" },
      seeds: { type: "string" },
      out: { type: "string" },
      "dry-run": { type: "boolean" },
      list: { type: "boolean" },
      verbose: { type: "boolean" },
      backend: { type: "string" },
      threads: { type: "string" },
      "data-dir": { type: "string" },
      quiet: { type: "boolean" },
    },
    allowPositionals: true,
  }, HELP);
  if (!cli) return 0;
  const { values, positionals } = cli;
  if (values.list) {
    for (const s of await listAblations()) {
      console.log(values.verbose ? `${s.name}\t${s.title}: ${s.question}` : s.name);
    }
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `give exactly one ablation name (got ${positionals.length}); ` +
        `deno task ablate --list shows them\n\n${HELP}`,
    );
  }
  const profile = choiceFlag("profile", values.profile, PROFILE_NAMES) ?? "quick";
  const seeds = positiveIntegerFlag("seeds", values.seeds);
  const threads = positiveIntegerFlag("threads", values.threads);
  const backend = backendFlag(values.backend);
  let spec;
  try {
    spec = await getAblation(positionals[0]);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const stop = stopOnSignals();
  const started = new Date();
  const outcome = await runAblation(spec, {
    profile,
    dataset: values.dataset,
    seeds,
    outDir: values.out,
    dryRun: values["dry-run"] ?? false,
    backend,
    threads,
    dataDir: values["data-dir"],
    runLog: values.quiet ? () => {} : undefined,
    progress: values.quiet ? () => {} : undefined,
    shouldStop: stop.requested,
  });
  if (values["dry-run"]) {
    const states = Object.values(outcome.states);
    const count = (s: string) => states.filter((x) => x === s).length;
    console.log(
      `${spec.name} (${outcome.profile}): ${states.length} runs: ${count("finished")} cached, ` +
        `${count("resumable")} to resume, ${count("new")} to run; output ${outcome.outDir}`,
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
    files,
    summaryText,
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

if (import.meta.main) {
  await runMain(() => main(Deno.args), {
    exitCode: (e) =>
      e.name === "TrainingInterruptedError" || e.name === "AblationStoppedError" ? 130 : 1,
  });
}
