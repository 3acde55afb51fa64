/**
 * Where notebooks put and find ablation results, and reading them back.
 *
 * Layout (shared with notebooks 01-08 and `deno task ablate`, see
 * `defaultResultsDir`): the evidence profile (`10k-15ep`) uses
 * `<results>/<ablation>/`; `tiny` (CI, meaningless numbers), `quick` and
 * `paper` go to `<results>/<ablation>-<profile>/`
 * so that they never overwrite the tables of another profile (`<results>` =
 * env KIT_RESULTS_DIR, else `results/`, and `runs/notebook-results/` for
 * `tiny`: see `profileResultsDir` in paths.ts). Each table records the
 * profile that produced it in its `profile` column.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { AblationRow } from "../ablation/row.ts";
import { readTable, supersededReason } from "../ablation/tables.ts";
import type { SummaryRow } from "../ablation/summary.ts";
import { profileResultsDir } from "./paths.ts";
import type { Profile } from "./profile.ts";
import { EVIDENCE_PROFILE, resultsFolderName } from "../ablation/spec.ts";

/** Output folder of `ablation` for a notebook `profile` (see module docs). */
export function ablationOutDir(ablation: string, profile: Profile): string {
  return profileResultsDir(profile, resultsFolderName(ablation, profile));
}

/** The command that writes `ablationOutDir(ablation, profile)` from a shell. */
export function ablationCommand(ablation: string, profile: Profile): string {
  const seeds = profile === "tiny" ? " --seeds 2" : "";
  const folder = resultsFolderName(ablation, profile);
  const out = profile === EVIDENCE_PROFILE
    ? ""
    : ` --out ${profile === "tiny" ? "runs/notebook-results" : "results"}/${folder}`;
  return `deno task ablate ${ablation} --profile ${profile}${seeds}${out}`;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isFile, () => false);
}

const NON_METRIC = new Set([
  "ablation",
  "profile",
  "arm",
  "label",
  "seed",
  "config_hash",
  "method",
  "dataset",
  "synthetic",
  "backend",
  "train_seconds",
  "eval_seconds",
  "seconds",
  "run_dir",
]);

/**
 * Rows of `<dir>/runs.csv` (one per run, as the runner wrote them; a
 * relative `run_dir` is resolved against `dir`), or
 * `undefined` when the ablation has not been run into `dir`. Every numeric
 * column that is not an identity or timing field is read as a metric.
 */
export async function readRunRows(dir: string): Promise<AblationRow[] | undefined> {
  const path = join(dir, "runs.csv");
  if (!(await exists(path))) return undefined;
  await warnIfSuperseded(dir);
  const records = readTable(path).toRecords() as Record<string, unknown>[];
  return records.map((r) => {
    const metrics: Record<string, number | null> = {};
    for (const [k, v] of Object.entries(r)) {
      if (NON_METRIC.has(k)) continue;
      metrics[k] = typeof v === "number" && Number.isFinite(v) ? v : null;
    }
    return {
      ablation: String(r.ablation),
      profile: String(r.profile),
      arm: String(r.arm),
      armLabel: String(r.label),
      seed: Number(r.seed),
      configHash: String(r.config_hash),
      method: String(r.method),
      dataset: String(r.dataset),
      synthetic: r.synthetic === true || r.synthetic === "true",
      backend: String(r.backend),
      metrics,
      trainSeconds: Number(r.train_seconds),
      evalSeconds: Number(r.eval_seconds),
      seconds: Number(r.seconds),
      runDir: isAbsolute(String(r.run_dir)) ? String(r.run_dir) : join(dir, String(r.run_dir)),
    };
  });
}

const warned = new Set<string>();

/** Prints, once per folder, that its tables are superseded and why (see `SUPERSEDED.md`). */
async function warnIfSuperseded(dir: string): Promise<void> {
  const reason = await supersededReason(dir);
  if (reason === undefined || warned.has(dir)) return;
  warned.add(dir);
  console.warn(`SUPERSEDED: the tables in ${dir} are kept for the record only. ${reason}`);
}

/** Rows of `<dir>/summary.csv`, or `undefined` when it does not exist. */
export async function readSummaryRows(dir: string): Promise<SummaryRow[] | undefined> {
  const path = join(dir, "summary.csv");
  if (!(await exists(path))) return undefined;
  await warnIfSuperseded(dir);
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return (readTable(path).toRecords() as Record<string, unknown>[]).map((r) => ({
    ablation: String(r.ablation),
    profile: String(r.profile),
    arm: String(r.arm),
    label: String(r.label),
    dataset: String(r.dataset),
    synthetic: r.synthetic === true || r.synthetic === "true",
    metric: String(r.metric),
    seeds: Number(r.seeds),
    mean: Number(r.mean),
    std: num(r.std),
    ci_low: num(r.ci_low),
    ci_high: num(r.ci_high),
    note: r.note == null ? "" : String(r.note),
  }));
}
