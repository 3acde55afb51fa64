/**
 * `deno task ablation-budget`: from the runs done so far, how many seeds each
 * ablation needs to resolve a target difference, and what the missing runs
 * cost (`lib/ablation/budget.ts`).
 *
 * ```
 * deno task ablation-budget                                  # the four S-MAG / KDC-MAE ablations
 * deno task ablation-budget smag-mask kdc-masks --target 1 --metric knnTop1
 * deno task ablation-budget --json
 * ```
 *
 * @module
 */
import { getAblation } from "../lib/ablation/ablations.ts";
import { ablationBudget, type Budget } from "../lib/ablation/budget.ts";
import { defaultResultsDir, EVIDENCE_PROFILE, PROFILE_NAMES } from "../lib/ablation/spec.ts";
import { readRunRows } from "../lib/notebook/ablation_results.ts";
import { choiceFlag, parseCommandLine, positiveIntegerFlag, UsageError } from "./args.ts";
import { runMain } from "./run_main.ts";

/** The ablations of the four named questions (mask, gating, tokens, overlap vs complementary). */
export const NAMED_ABLATIONS = ["smag-mask", "smag-gating", "smag-tokens", "kdc-masks"];

const HELP = `Seeds and hours each ablation needs, from the runs done so far.

Usage: deno task ablation-budget [ablation ...] [options]

  ablation ...       ablations to plan (default: ${NAMED_ABLATIONS.join(", ")})
  --profile <p>      ${PROFILE_NAMES.join(" | ")} (default ${EVIDENCE_PROFILE}); runs are read from
                     its default results folder (results/<name> for ${EVIDENCE_PROFILE})
  --metric <m>       metric of the differences (default linearTop1, in points)
  --target <d>       difference every comparison should resolve: the minimal detectable
                     difference (two-sided 95 %, power 80 %) at the planned seeds (default 1.5)
  --min-seeds <n>    never plan fewer seeds (default 3)
  --json             one JSON object instead of the table
`;

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

/** The budget as a Markdown table with one line of arithmetic per ablation. */
export function formatBudget(b: Budget, profile: string): string {
  const lines = [
    `Budget on ${profile}: resolve ${b.target} points of ${b.metric} (MDE, two-sided 95 %, ` +
    `power 80 %); pooled sd of paired differences ${fmt(b.pooledSdDiff)}`,
    "",
    "| ablation | arms | runs done | seeds done | sd diff (max) | MDE now (worst) | seeds needed | min/run | runs left | hours left |",
    "| -------- | ---- | --------- | ---------- | ------------- | --------------- | ------------ | ------- | --------- | ---------- |",
  ];
  for (const a of b.ablations) {
    const mdes = a.comparisons.map((c) => c.mde).filter(Number.isFinite);
    const minutes = Object.values(a.minutesPerRun).filter(Number.isFinite);
    const minuteText = minutes.length
      ? `${fmt(Math.min(...minutes), 1)}-${fmt(Math.max(...minutes), 1)}`
      : "-";
    lines.push(
      `| ${a.name} | ${a.arms} | ${a.runsDone} | ${a.seedsDone} | ${fmt(a.sdDiffUsed)}` +
        `${a.sdSource === "pooled" ? " (pooled)" : ""} | ${
          mdes.length ? fmt(Math.max(...mdes)) : "-"
        } | ${a.seedsNeeded} | ${minuteText} | ${a.runsLeft} | ${fmt(a.hoursLeft, 1)}${
          a.runsLeftUnknown ? ` (+${a.runsLeftUnknown} runs of unknown cost)` : ""
        } |`,
    );
  }
  lines.push("", `Total hours left: ${fmt(b.hoursLeft, 1)} (runs left x measured minutes per run)`);
  const unknown = b.ablations.filter((a) => a.runsLeftUnknown > 0);
  if (unknown.length) {
    lines.push(
      `Not in the total: ${b.runsLeftUnknown} runs of methods with no run yet (${
        unknown.map((a) => `${a.name} ${a.runsLeftUnknown}`).join(", ")
      })`,
    );
  }
  return lines.join("\n");
}

/** Entry point; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({
    args,
    options: {
      profile: { type: "string" },
      metric: { type: "string", default: "linearTop1" },
      target: { type: "string", default: "1.5" },
      "min-seeds": { type: "string" },
      json: { type: "boolean", default: false },
    },
    allowPositionals: true,
  }, HELP);
  if (!cli) return 0;
  const { values, positionals } = cli;
  const profile = choiceFlag("profile", values.profile, PROFILE_NAMES) ?? EVIDENCE_PROFILE;
  const target = Number(values.target);
  if (!(target > 0)) throw new UsageError(`--target must be a number > 0, got ${values.target}`);
  const names = positionals.length ? positionals : NAMED_ABLATIONS;
  const inputs = [];
  for (const name of names) {
    const spec = await getAblation(name);
    const rows = (await readRunRows(defaultResultsDir(name, profile))) ?? [];
    inputs.push({ spec, rows: rows.filter((r) => r.profile === profile) });
  }
  const budget = ablationBudget(inputs, {
    metric: values.metric,
    target,
    minSeeds: positiveIntegerFlag("min-seeds", values["min-seeds"]),
    profile,
  });
  console.log(values.json ? JSON.stringify(budget, null, 2) : formatBudget(budget, profile));
  return 0;
}

if (import.meta.main) await runMain(() => main(Deno.args));
