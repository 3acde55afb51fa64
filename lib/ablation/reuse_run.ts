/**
 * Reusing a finished run of the same config from another ablation's folder. Ablations often
 * share an arm: `saliency-branch`'s `query` arm is `saliency-where`'s `saliency` arm and its
 * `mocov2` arm is `saliency-how`'s, down to the last option. A run's folder name ends in its
 * config hash (`<arm>-s<seed>-<hash>`) and its `result.json` records that hash, so a run
 * finished under another ablation is found by name and checked by record, then copied (not
 * linked: each ablation's folder stays self-contained) with {@link REUSED_FILE} saying where
 * it came from. The copy leaves out the checkpoint; the result is the same bits a rerun would
 * produce (training is deterministic for a config, tested), without its hours.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { ExperimentResult } from "../experiment/run.ts";
import { readJsonIfExists, writeJsonAtomic } from "../train/run_record.ts";

/** The file in a reused run's folder that names the folder it was copied from. */
export const REUSED_FILE = "reused-from.json";

/** What {@link REUSED_FILE} holds. */
export interface ReusedFrom {
  /** The run folder copied (relative to the working directory, as the runner saw it). */
  from: string;
  /** When it was copied (ISO 8601). */
  copiedAt: string;
}

/** A finished run of the same config found under another ablation. */
export interface ReusableRun {
  dir: string;
  result: ExperimentResult;
}

/**
 * Looks in every `<root>/<folder>/runs/` (root: the folder holding the ablation folders, e.g.
 * `results/`) for a finished run whose folder name ends in `-<configHash>` and whose
 * `result.json` records that hash. `ownDir` (the run's own folder) is skipped. Returns the
 * first match in name order that was trained there (not itself a copy), else the first copy,
 * else undefined.
 */
export async function findReusableRun(
  root: string,
  configHash: string,
  ownDir: string,
): Promise<ReusableRun | undefined> {
  const suffix = `-${configHash}`;
  const folders: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) if (e.isDirectory) folders.push(e.name);
  } catch {
    return undefined; // no results folder yet
  }
  let copy: ReusableRun | undefined;
  for (const folder of folders.sort()) {
    const runsDir = join(root, folder, "runs");
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(runsDir)) {
        if (e.isDirectory && e.name.endsWith(suffix)) names.push(e.name);
      }
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const dir = join(runsDir, name);
      if (resolve(dir) === resolve(ownDir)) continue;
      const result = await readJsonIfExists<ExperimentResult>(join(dir, "result.json"));
      if (!result || result.configHash !== configHash) continue;
      // Prefer the run as trained to another ablation's copy of it.
      if (await reusedFrom(dir) === undefined) return { dir, result };
      copy ??= { dir, result };
    }
  }
  return copy;
}

/**
 * Copies the finished run `from` into `to` (every file of its top level except the
 * checkpoint folder; `result.json` last, so a kill leaves no finished-looking copy) and writes
 * {@link REUSED_FILE}.
 */
export async function copyReusedRun(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  const files: string[] = [];
  for await (const e of Deno.readDir(from)) {
    if (e.isFile && e.name !== "result.json" && e.name !== REUSED_FILE) files.push(e.name);
  }
  for (const name of files.sort()) await Deno.copyFile(join(from, name), join(to, name));
  const record: ReusedFrom = { from, copiedAt: new Date().toISOString() };
  await writeJsonAtomic(join(to, REUSED_FILE), record);
  // The result goes last, byte for byte and atomically: its presence marks the run finished.
  const tmp = join(to, "result.json.tmp-reuse");
  await Deno.copyFile(join(from, "result.json"), tmp);
  await Deno.rename(tmp, join(to, "result.json"));
}

/** Where a run folder was copied from, when it is a reused run. */
export async function reusedFrom(runDir: string): Promise<string | undefined> {
  return (await readJsonIfExists<ReusedFrom>(join(runDir, REUSED_FILE)))?.from;
}
