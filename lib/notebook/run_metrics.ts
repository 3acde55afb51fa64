/**
 * Reading a finished run back in a notebook: its per-epoch records
 * (`metrics.jsonl`), and whether a dataset archive is in the data folder.
 *
 * @module
 */
import { join } from "node:path";
import { dataDir } from "../data/registry.ts";
import type { EpochRecord } from "../train/trainer.ts";

/**
 * The epoch records of `<runDir>/metrics.jsonl`, in order (epoch 0 first).
 * Throws naming the file when it is missing or a line is not JSON.
 */
export async function readEpochRecords(runDir: string): Promise<EpochRecord[]> {
  const path = join(runDir, "metrics.jsonl");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message}); has ${runDir} trained?`);
  }
  return text.split("\n").filter((l) => l.trim() !== "").map((line, i) => {
    try {
      return JSON.parse(line) as EpochRecord;
    } catch {
      throw new Error(`${path}: line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
  });
}

/** The last epoch record of a run (see {@link readEpochRecords}). */
export async function lastEpochRecord(runDir: string): Promise<EpochRecord> {
  const records = await readEpochRecords(runDir);
  if (records.length === 0) throw new Error(`${runDir}/metrics.jsonl has no epoch yet`);
  return records[records.length - 1];
}

/** True when the data folder (`KIT_DATA_DIR`) holds the file `name`. */
export async function inDataDir(name: string): Promise<boolean> {
  const dir = dataDir();
  if (!dir) return false;
  return await Deno.stat(join(dir, name)).then((s) => s.isFile, () => false);
}
