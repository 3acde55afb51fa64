import assert from "node:assert/strict";
import { basename } from "node:path";
import { withTempDir } from "../testing/temp_dirs.ts";
import type { AblationRow } from "./row.ts";
import { summarize } from "./summary.ts";
import { writeAblationFigures } from "./figures.ts";

function row(arm: string, seed: number, metrics: Record<string, number | null>): AblationRow {
  return {
    ablation: "demo",
    profile: "tiny",
    arm,
    armLabel: arm === "mask" ? "with mask" : "without mask",
    seed,
    configHash: `${arm}${seed}`,
    method: "smag",
    dataset: "synthetic",
    synthetic: true,
    backend: "cpu",
    metrics,
    trainSeconds: 1,
    evalSeconds: 1,
    seconds: 2,
    runDir: `runs/${arm}-s${seed}`,
  };
}

Deno.test("writeAblationFigures: an arm without a metric (no mask: no visible cells) is left out of that figure", async () => {
  const rows = [0, 1].flatMap((seed) => [
    row("none", seed, { linearTop1: 40 + seed }),
    row("mask", seed, { linearTop1: 41 + seed, visibleCellPct: 30 + seed }),
  ]);
  const summary = summarize(rows, ["linearTop1", "visibleCellPct"]);
  await withTempDir(async (dir) => {
    const paths = await writeAblationFigures(dir, "demo", summary, rows);
    assert.deepEqual(paths.map((p) => basename(p)).sort(), [
      "linearTop1.json",
      "visibleCellPct.json",
    ]);
    const fig = JSON.parse(await Deno.readTextFile(paths.find((p) => p.includes("visible"))!));
    const categories = fig.data.flatMap((t: { x?: unknown[] }) => t.x ?? []);
    assert.ok(categories.includes("with mask"), JSON.stringify(categories));
    assert.ok(!categories.includes("without mask"), JSON.stringify(categories));
  });
});
