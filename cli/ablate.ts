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
import { parseArgs } from "node:util";
import { BACKEND_NAMES, type BackendRequest } from "../lib/backend/select.ts";
import { getAblation, listAblations } from "../lib/ablation/ablations.ts";
import { runAblation } from "../lib/ablation/runner.ts";
import { PROFILE_NAMES, type ProfileName } from "../lib/ablation/spec.ts";
import { formatSummaryTable } from "../lib/ablation/summary.ts";
import { shellQuote, writeCommandRecord } from "../lib/ablation/command_record.ts";
import { codeVersion } from "../lib/train/run_record.ts";

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

function fail(message: string): never {
  console.error(`error: ${message}`);
  Deno.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      args: Deno.args,
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
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
  } catch (err) {
    fail(`${(err as Error).message}\n\n${HELP}`);
  }
})();

if (values.help) {
  console.log(HELP);
  Deno.exit(0);
}
if (values.list) {
  for (const s of await listAblations()) {
    console.log(values.verbose ? `${s.name}\t${s.title}: ${s.question}` : s.name);
  }
  Deno.exit(0);
}
if (positionals.length !== 1) {
  fail(
    `give exactly one ablation name (got ${positionals.length}); ` +
      `deno task ablate --list shows them\n\n${HELP}`,
  );
}
const profile = values.profile ?? "quick";
if (!PROFILE_NAMES.includes(profile as ProfileName)) {
  fail(`unknown --profile "${profile}"; choose one of ${PROFILE_NAMES.join(", ")}`);
}
const intFlag = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${flag} expects a positive integer, got "${v}"`);
  return n;
};
const seeds = intFlag("seeds", values.seeds);
const threads = intFlag("threads", values.threads);
const backends = ["auto", ...BACKEND_NAMES];
if (values.backend !== undefined && !backends.includes(values.backend)) {
  fail(`unknown --backend "${values.backend}"; choose one of ${backends.join(", ")}`);
}

let spec;
try {
  spec = await getAblation(positionals[0]);
} catch (err) {
  fail((err as Error).message);
}

let stopRequested = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  try {
    Deno.addSignalListener(sig, () => {
      if (stopRequested) Deno.exit(130);
      stopRequested = true;
      console.error(`\n${sig}: saving a checkpoint at the next step (press again to exit at once)`);
    });
  } catch { /* signals unsupported on this platform */ }
}

const started = new Date();
try {
  const outcome = await runAblation(spec, {
    profile: profile as ProfileName,
    dataset: values.dataset,
    seeds,
    outDir: values.out,
    dryRun: values["dry-run"] ?? false,
    backend: values.backend as BackendRequest | undefined,
    threads,
    dataDir: values["data-dir"],
    runLog: values.quiet ? () => {} : undefined,
    progress: values.quiet ? () => {} : undefined,
    shouldStop: () => stopRequested,
  });
  if (values["dry-run"]) {
    const states = Object.values(outcome.states);
    const count = (s: string) => states.filter((x) => x === s).length;
    console.log(
      `${spec.name} (${outcome.profile}): ${states.length} runs: ${count("finished")} cached, ` +
        `${count("resumable")} to resume, ${count("new")} to run; output ${outcome.outDir}`,
    );
    Deno.exit(0);
  }
  const summaryText = formatSummaryTable(outcome.summary);
  const files = [
    ...Object.values(outcome.tables ?? {}),
    ...outcome.figures,
  ];
  const command = ["deno", "task", "ablate", ...Deno.args].map(shellQuote).join(" ");
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
} catch (err) {
  const e = err as Error;
  console.error(`error: ${e.message}`);
  if (Deno.env.get("KIT_DEBUG")) console.error(e.stack);
  const stopped = e.name === "TrainingInterruptedError" || e.name === "AblationStoppedError";
  Deno.exit(stopped ? 130 : 1);
}
