/**
 * The dataset name `auto`: the best dataset this machine has without a
 * download, else the embedded `synthetic` set. This is what the main job
 * (`./kit main`) trains on, so a fresh machine runs it with no data at all
 * and a machine with the CIFAR-10 JPEG copy in `KIT_DATA_DIR` (or already
 * imported into the cache) runs it on real images.
 *
 * @module
 */
import { basename } from "node:path";
import { listCachedDatasets } from "./cache.ts";
import { manifestEntry } from "./manifest.ts";
import { dataDir, localSources } from "./registry.ts";

/** Real datasets `auto` tries, best first; the fallback is `synthetic`. */
export const AUTO_DATASET_ORDER: readonly string[] = ["cifar10-jpeg", "cifar10", "svhn"];

/** What `auto` resolved to, and why (for logs and run records). */
export interface AutoDataset {
  name: string;
  reason: string;
}

/**
 * Resolves `name`: any name but `"auto"` is returned as it is; `"auto"` gives
 * the first of {@link AUTO_DATASET_ORDER} that is imported in the cache or
 * whose source files (all non-optional files of its manifest entry) are in
 * the data folder (`opts.dataDir`, else env `KIT_DATA_DIR`), else `synthetic`.
 * Never downloads.
 */
export async function resolveDatasetName(
  name: string,
  opts: { dataDir?: string; cacheDir?: string } = {},
): Promise<AutoDataset> {
  if (name !== "auto") return { name, reason: "named" };
  const cached = new Set(await listCachedDatasets(opts.cacheDir));
  const dir = dataDir(opts.dataDir);
  for (const candidate of AUTO_DATASET_ORDER) {
    if (cached.has(candidate)) return { name: candidate, reason: "imported in the cache" };
    const entry = manifestEntry(candidate);
    const sources = entry ? await localSources(entry, dir) : null;
    if (sources) {
      return { name: candidate, reason: `${sources.map((p) => basename(p)).join(", ")} in ${dir}` };
    }
  }
  return {
    name: "synthetic",
    reason: `none of ${AUTO_DATASET_ORDER.join(", ")} is imported or in the data folder (${
      dir ?? "KIT_DATA_DIR not set"
    }); using the embedded synthetic set`,
  };
}
