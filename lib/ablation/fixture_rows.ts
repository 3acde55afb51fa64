/**
 * Seeded random ablation rows for the tests of summaries, comparisons and
 * tables (no training involved).
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import type { AblationRow } from "./row.ts";

/** Rows for arms x seeds: linearTop1 = shift + N(0,1), knnTop1 = shift + N(0,4). */
export function randomRows(rng: Rng, arms: [string, number][], seeds: number[]): AblationRow[] {
  const rows: AblationRow[] = [];
  for (const [arm, shift] of arms) {
    for (const seed of seeds) {
      rows.push({
        ablation: "t",
        profile: "tiny",
        arm,
        armLabel: `label ${arm}`,
        seed,
        configHash: rng.int(1e9).toString(16),
        method: "simclr",
        dataset: "synthetic",
        synthetic: true,
        backend: "wasm",
        metrics: { linearTop1: shift + rng.gaussian(), knnTop1: shift + 2 * rng.gaussian() },
        trainSeconds: rng.uniform(0, 10),
        evalSeconds: rng.uniform(0, 1),
        seconds: rng.uniform(0, 11),
        runDir: `runs/${arm}-s${seed}`,
      });
    }
  }
  return rows;
}
