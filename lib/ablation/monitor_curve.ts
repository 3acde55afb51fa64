/**
 * Accuracy against training progress (S-MAG Fig. 3) from the runs of an
 * ablation: each run's `metrics.jsonl` holds one line per epoch, and the
 * epochs where the kNN monitor ran (`eval.monitorEvery`) carry
 * `metrics.knnMonitorTop1` (percent).
 *
 * @module
 */
import { join } from "node:path";
import type { AblationRow } from "./row.ts";

/** One run's monitored points: epochs are 1-based (epoch index + 1). */
export interface MonitorCurve {
  epochs: number[];
  values: number[];
}

interface EpochLine {
  epoch: number;
  metrics?: Record<string, number>;
}

/**
 * Reads `<runDir>/metrics.jsonl` and returns the epochs that have `metric`.
 * Throws naming the file and the fix when it is missing or has no such point.
 */
export async function readMonitorCurve(
  runDir: string,
  metric = "knnMonitorTop1",
): Promise<MonitorCurve> {
  const path = join(runDir, "metrics.jsonl");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message}); is ${runDir} a run?`);
  }
  const curve: MonitorCurve = { epochs: [], values: [] };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const rec = JSON.parse(line) as EpochLine;
    const v = rec.metrics?.[metric];
    if (typeof v === "number") {
      curve.epochs.push(rec.epoch + 1);
      curve.values.push(v);
    }
  }
  if (curve.epochs.length === 0) {
    throw new Error(
      `${path} has no "${metric}" point: train with eval.monitorEvery > 0 (--monitor-every 1)`,
    );
  }
  return curve;
}

/** Curves of every arm: arm -> seeds' curves in row order (one per run). */
export async function monitorCurvesByArm(
  rows: readonly AblationRow[],
  metric = "knnMonitorTop1",
): Promise<Map<string, MonitorCurve[]>> {
  const out = new Map<string, MonitorCurve[]>();
  for (const r of rows) {
    const list = out.get(r.arm) ?? [];
    list.push(await readMonitorCurve(r.runDir, metric));
    out.set(r.arm, list);
  }
  return out;
}

/**
 * Aligns curves on their common epochs (runs of one arm share a schedule,
 * but a resumed run may have extra lines): returns the epochs present in
 * every curve and `values[s][k]` for seed s at the k-th of them.
 */
export function alignCurves(
  curves: readonly MonitorCurve[],
): { epochs: number[]; values: number[][] } {
  if (curves.length === 0) throw new Error("alignCurves: no curves given");
  const common = curves[0].epochs.filter((e) => curves.every((c) => c.epochs.includes(e)));
  const values = curves.map((c) => common.map((e) => c.values[c.epochs.lastIndexOf(e)]));
  return { epochs: common, values };
}
