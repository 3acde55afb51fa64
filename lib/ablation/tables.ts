/**
 * Ablation tables as polars DataFrames, written as CSV and Parquet:
 *
 * - `runs.{csv,parquet}`: one row per run (ablation, profile, arm, label,
 *   seed, config_hash, method, dataset, synthetic, backend, every metric,
 *   train/eval/total seconds, run_dir: the run's folder relative to the
 *   tables' folder, e.g. `runs/no-mask-s0-b3e963b6981b`, so that committed
 *   tables do not name the machine they were made on);
 * - `summary.{csv,parquet}`: one row per arm x dataset x metric (ablation,
 *   profile, arm, label, dataset, synthetic, metric, seeds, mean, std, ci_low,
 *   ci_high, note); with one seed std/ci are empty and `note` says why;
 * - `comparisons.{csv,parquet}`: each arm against the baseline (ablation,
 *   metric, arm, baseline, diff, ci_low, ci_high, mde, df, method,
 *   excludes_zero, evidence, text); `evidence` is `ArmComparison.evidence`
 *   (`no-spread`: a zero-width interval, no evidence either way); `mde` is
 *   `ArmComparison.mde`, the minimal detectable difference (two-sided level
 *   of the interval, 80% power) for the seeds used, empty when undefined
 *   (fewer than 2 seeds, or no spread).
 *
 * DataFrames come from `nodejs-polars` 0.25.2 (native N-API addon; works
 * under Deno). 0.26.1, the latest, does not resolve: Deno says "Could not find
 * npm package 'nodejs-polars-android-arm64' matching '0.26.1'" (five of its
 * eight platform optionalDependencies were never published at 0.26.1), and
 * npm installs it without the linux binary ("Cannot find module
 * 'nodejs-polars-linux-x64-gnu'"). danfojs-node@1.2.0 / danfojs@1.2.0 do not
 * resolve either (their `xlsx` dependency is a tarball URL, refused by Deno);
 * see README.md in this folder for the details. Files are written to
 * a temporary name and renamed, so a reader never sees half a table and two
 * runners writing at once leave one complete table.
 *
 * @module
 */
import pl from "nodejs-polars";
import { dirname, join, relative } from "node:path";
import { syncDir, syncFile } from "../train/run_record.ts";
import type { AblationRow } from "./row.ts";
import { STANDARD_METRICS } from "./row.ts";
import type { SummaryRow } from "./summary.ts";
import type { ArmComparison } from "./compare.ts";

/** A polars DataFrame (re-exported type for notebooks). */
export type DataFrame = pl.DataFrame;

/** Metric columns of the runs table: the given ones, then standard metrics any row has. */
export function metricColumns(
  rows: readonly AblationRow[],
  metrics: readonly string[],
): string[] {
  const cols = [...metrics];
  for (const m of [...STANDARD_METRICS, ...rows.flatMap((r) => Object.keys(r.metrics))]) {
    if (!cols.includes(m) && rows.some((r) => typeof r.metrics[m] === "number")) cols.push(m);
  }
  return cols;
}

/**
 * `runs` table: one row per run (see module docs). `tablesDir`: the folder
 * the table will be written to; `run_dir` is written relative to it (as
 * given when omitted).
 */
export function runsFrame(
  rows: readonly AblationRow[],
  metrics: readonly string[],
  tablesDir?: string,
): DataFrame {
  const str = (name: string, f: (r: AblationRow) => string) =>
    pl.Series(name, rows.map(f), pl.Utf8);
  const f64 = (name: string, f: (r: AblationRow) => number | null) =>
    pl.Series(name, rows.map(f), pl.Float64);
  return pl.DataFrame([
    str("ablation", (r) => r.ablation),
    str("profile", (r) => r.profile),
    str("arm", (r) => r.arm),
    str("label", (r) => r.armLabel),
    pl.Series("seed", rows.map((r) => r.seed), pl.Int32),
    str("config_hash", (r) => r.configHash),
    str("method", (r) => r.method),
    str("dataset", (r) => r.dataset),
    pl.Series("synthetic", rows.map((r) => r.synthetic), pl.Bool),
    str("backend", (r) => r.backend),
    ...metricColumns(rows, metrics).map((m) => f64(m, (r) => r.metrics[m] ?? null)),
    f64("train_seconds", (r) => r.trainSeconds),
    f64("eval_seconds", (r) => r.evalSeconds),
    f64("seconds", (r) => r.seconds),
    str("run_dir", (r) => tablesDir === undefined ? r.runDir : relative(tablesDir, r.runDir)),
  ]);
}

/** `summary` table: one row per arm x dataset x metric. */
export function summaryFrame(summary: readonly SummaryRow[]): DataFrame {
  const str = (k: "ablation" | "profile" | "arm" | "label" | "dataset" | "metric" | "note") =>
    pl.Series(k, summary.map((s) => s[k]), pl.Utf8);
  const f64 = (k: "mean" | "std" | "ci_low" | "ci_high") =>
    pl.Series(k, summary.map((s) => (Number.isFinite(s[k]) ? s[k] : null)), pl.Float64);
  return pl.DataFrame([
    str("ablation"),
    str("profile"),
    str("arm"),
    str("label"),
    str("dataset"),
    pl.Series("synthetic", summary.map((s) => s.synthetic), pl.Bool),
    str("metric"),
    pl.Series("seeds", summary.map((s) => s.seeds), pl.Int32),
    f64("mean"),
    f64("std"),
    f64("ci_low"),
    f64("ci_high"),
    str("note"),
  ]);
}

/** `comparisons` table: one row per compared pair and metric (columns in the module docs). */
export function comparisonsFrame(ablation: string, list: readonly ArmComparison[]): DataFrame {
  const fin = (v: number) => (Number.isFinite(v) ? v : null);
  return pl.DataFrame([
    pl.Series("ablation", list.map(() => ablation), pl.Utf8),
    pl.Series("metric", list.map((c) => c.metric), pl.Utf8),
    pl.Series("arm", list.map((c) => c.a), pl.Utf8),
    pl.Series("baseline", list.map((c) => c.b), pl.Utf8),
    pl.Series("diff", list.map((c) => fin(c.diff)), pl.Float64),
    pl.Series("ci_low", list.map((c) => fin(c.low)), pl.Float64),
    pl.Series("ci_high", list.map((c) => fin(c.high)), pl.Float64),
    pl.Series("mde", list.map((c) => fin(c.mde)), pl.Float64),
    pl.Series("df", list.map((c) => fin(c.df)), pl.Float64),
    pl.Series("method", list.map((c) => c.method), pl.Utf8),
    pl.Series("excludes_zero", list.map((c) => c.excludesZero), pl.Bool),
    pl.Series("evidence", list.map((c) => c.evidence), pl.Utf8),
    pl.Series("text", list.map((c) => c.text), pl.Utf8),
  ]);
}

/** Writes `df` to `path` (`.csv` or `.parquet`) via a temporary file and a rename. */
export async function writeFrameAtomic(df: DataFrame, path: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (path.endsWith(".csv")) df.writeCSV(tmp);
    else if (path.endsWith(".parquet")) df.writeParquet(tmp);
    else throw new Error(`cannot write ${path}: use a .csv or .parquet file name`);
    await syncFile(tmp);
    await Deno.rename(tmp, path);
    await syncDir(dirname(path));
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Reads a table written by {@link writeFrameAtomic} (by extension). */
export function readTable(path: string): DataFrame {
  if (path.endsWith(".csv")) return pl.readCSV(path);
  if (path.endsWith(".parquet")) return pl.readParquet(path);
  throw new Error(`cannot read ${path}: expected a .csv or .parquet file`);
}

/** Paths of the written tables. */
export interface TablePaths {
  runsCsv: string;
  runsParquet: string;
  summaryCsv: string;
  summaryParquet: string;
  comparisonsCsv?: string;
  comparisonsParquet?: string;
}

/** Writes runs, summary and (when given) comparisons tables under `dir`. */
export async function writeAblationTables(
  dir: string,
  tables: { runs: DataFrame; summary: DataFrame; comparisons?: DataFrame },
): Promise<TablePaths> {
  const paths: TablePaths = {
    runsCsv: join(dir, "runs.csv"),
    runsParquet: join(dir, "runs.parquet"),
    summaryCsv: join(dir, "summary.csv"),
    summaryParquet: join(dir, "summary.parquet"),
  };
  await writeFrameAtomic(tables.runs, paths.runsCsv);
  await writeFrameAtomic(tables.runs, paths.runsParquet);
  await writeFrameAtomic(tables.summary, paths.summaryCsv);
  await writeFrameAtomic(tables.summary, paths.summaryParquet);
  if (tables.comparisons) {
    paths.comparisonsCsv = join(dir, "comparisons.csv");
    paths.comparisonsParquet = join(dir, "comparisons.parquet");
    await writeFrameAtomic(tables.comparisons, paths.comparisonsCsv);
    await writeFrameAtomic(tables.comparisons, paths.comparisonsParquet);
  } else {
    // No comparison yet (e.g. a partial table with only the baseline): an older comparisons
    // table would describe other runs.
    for (const name of ["comparisons.csv", "comparisons.parquet"]) {
      await Deno.remove(join(dir, name)).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  }
  // New tables replace the ones a superseded marker was about.
  await Deno.remove(join(dir, SUPERSEDED_FILE)).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  return paths;
}

/**
 * Name of the marker a results folder carries while its tables come from a setting the kit no
 * longer uses (its first paragraph says why). {@link writeAblationTables} removes it.
 */
export const SUPERSEDED_FILE = "SUPERSEDED.md";

/** The reason `<dir>/SUPERSEDED.md` gives (its first paragraph), or undefined when absent. */
export async function supersededReason(dir: string): Promise<string | undefined> {
  try {
    const text = await Deno.readTextFile(join(dir, SUPERSEDED_FILE));
    return text.replace(/^#.*\n+/, "").split(/\n\s*\n/)[0].replace(/\s+/g, " ").trim();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}
