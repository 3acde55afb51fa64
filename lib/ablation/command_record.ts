/**
 * `COMMAND.md` next to an ablation's tables: the exact command, date,
 * profile, backend, wall time and the kit's git commit, so every number
 * under `results/` names the command that produced it.
 *
 * @module
 */
import { join } from "node:path";
import type { CodeVersion } from "../train/run_record.ts";

/** What COMMAND.md records. */
export interface CommandRecord {
  /** The command line as typed (e.g. `deno task ablate simclr-temperature --profile quick`). */
  command: string;
  ablation: string;
  title: string;
  question: string;
  profile: string;
  /** Datasets of the runs (with "(synthetic)" where so). */
  datasets: string[];
  seeds: number;
  /** Backends the runs used (from their results). */
  backends: string[];
  date: Date;
  wallSeconds: number;
  code: CodeVersion;
  /**
   * Each run's own time from its record (seconds: training, evaluation), cached
   * runs included, so the cost of a result survives reruns that only rebuild
   * the tables.
   */
  runSeconds: { train: number; eval: number }[];
  /** Counts of runs trained here, cached, finished by another runner. */
  trained: number;
  cached: number;
  byOthers: number;
  /** Runs copied from another ablation's folder (same config), with the folder copied. */
  reused?: { id: string; from: string }[];
  /** Files written (tables, figures). */
  files: string[];
  /** The summary table as text. */
  summaryText: string;
  /** Set when the tables hold only the runs finished so far (`--partial`). */
  partial?: { finished: number; planned: number; seedsPerArm: Record<string, number> };
}

/** "- PARTIAL: k of n runs finished; seeds per arm: a 2, b 1 ..." (empty when complete). */
export function partialLines(rec: Pick<CommandRecord, "partial" | "seeds">): string[] {
  if (!rec.partial) return [];
  const arms = Object.entries(rec.partial.seedsPerArm).map(([a, n]) => `${a} ${n}`).join(", ");
  return [
    `- **PARTIAL**: ${rec.partial.finished} of ${rec.partial.planned} planned runs finished; ` +
    `seeds per arm (of ${rec.seeds}): ${arms}. The tables hold only these runs; rerun the ` +
    "command without `--partial` to train the rest (finished runs are cached).",
  ];
}

/** "- runs reused from other ablations (same config): `id` from `dir`, ..." (empty when none). */
export function reusedLines(reused: readonly { id: string; from: string }[]): string[] {
  if (reused.length === 0) return [];
  return [
    `- runs copied from another ablation's folder (same config hash, trained there; ` +
    `\`reused-from.json\` in each): ${
      reused.map((r) => `\`${r.id}\` from \`${r.from}\``).join(", ")
    }`,
  ];
}

/** Quotes `arg` for a POSIX shell when it needs it. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * "- run time (from the N run records): T s training + E s evaluation in all;
 * median M s per run" (M: median of train + eval).
 */
export function runTimeLine(runs: readonly { train: number; eval: number }[]): string {
  if (runs.length === 0) return "- run time: no runs";
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const totals = runs.map((r) => r.train + r.eval).sort((a, b) => a - b);
  const mid = totals.length >> 1;
  const median = totals.length % 2 ? totals[mid] : (totals[mid - 1] + totals[mid]) / 2;
  return `- run time (from the ${runs.length} run records): ` +
    `${sum(runs.map((r) => r.train)).toFixed(0)} s training + ` +
    `${sum(runs.map((r) => r.eval)).toFixed(0)} s evaluation in all; ` +
    `median ${median.toFixed(0)} s per run`;
}

/** The Markdown text of COMMAND.md. */
export function commandMarkdown(rec: CommandRecord): string {
  const commit = `${rec.code.commit}${rec.code.dirty ? " (with uncommitted changes)" : ""}`;
  return [
    `# ${rec.title} (\`${rec.ablation}\`)`,
    "",
    rec.question,
    "",
    "```sh",
    rec.command,
    "```",
    "",
    `- date: ${rec.date.toISOString()}`,
    `- profile: ${rec.profile}; seeds: ${rec.seeds}; dataset: ${rec.datasets.join(", ")}`,
    ...partialLines(rec),
    `- backend: ${rec.backends.join(", ")}`,
    `- wall time of this command: ${rec.wallSeconds.toFixed(1)} s ` +
    `(runs trained here: ${rec.trained}, cached: ${rec.cached}, by another runner: ${rec.byOthers})`,
    runTimeLine(rec.runSeconds),
    ...reusedLines(rec.reused ?? []),
    `- kit commit: ${commit}; Deno ${rec.code.deno}`,
    "",
    "## Summary (mean over seeds, sample std, 95% Student-t interval)",
    "",
    "```",
    rec.summaryText,
    "```",
    "",
    "## Files",
    "",
    ...rec.files.map((f) => `- ${f}`),
    "",
  ].join("\n");
}

/** Writes `<outDir>/COMMAND.md` atomically and returns its path. */
export async function writeCommandRecord(outDir: string, rec: CommandRecord): Promise<string> {
  const path = join(outDir, "COMMAND.md");
  await Deno.mkdir(outDir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, commandMarkdown(rec));
  await Deno.rename(tmp, path);
  return path;
}
