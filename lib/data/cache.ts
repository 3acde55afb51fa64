/**
 * On-disk cache of decoded datasets: `<cacheDir>/<name>/header.json` (a small
 * JSON header) and `<cacheDir>/<name>/data.bin` (train images, train labels,
 * test images, test labels; images uint8 NHWC, labels int32 little-endian).
 *
 * Writes are atomic and durable (temporary file, fsync, rename, folder
 * fsync; the old header is removed first so a reader never pairs a new data
 * file with an old header). Reads
 * validate the format version, the header's own checksum, the data size and
 * the data's SHA-1. The cache directory is `KIT_CACHE_DIR` or
 * `datasets/cache/` in the repository (git-ignored).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { ImageDataset, ImageSplit } from "./dataset.ts";
import { dirname } from "node:path";
import { isNoSpaceError, isReadOnlyError, syncDir } from "../train/run_record.ts";

/** Bump when the layout changes: older caches are then ignored and rebuilt. */
export const CACHE_VERSION = 1;

interface CacheHeader {
  format: "kit-dataset-cache";
  version: number;
  name: string;
  displayName: string;
  synthetic: boolean;
  classes: string[];
  imageShape: [number, number, number];
  source: string;
  trainCount: number;
  testCount: number;
  dataBytes: number;
  dataSha1: string;
  createdAt: string;
  headerSha1?: string;
}

/** The cache root: `override`, else env `KIT_CACHE_DIR`, else `<repo>/datasets/cache`. */
export function cacheRoot(override?: string): string {
  if (override) return override;
  const env = Deno.env.get("KIT_CACHE_DIR");
  if (env) return env;
  return new URL("../../datasets/cache", import.meta.url).pathname;
}

/** Directory holding the cache of dataset `name`. */
export function datasetCacheDir(name: string, root?: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(
      `dataset name "${name}" is not allowed; use letters, digits, ".", "_" and "-" only`,
    );
  }
  return `${cacheRoot(root)}/${name}`;
}

function sha1(parts: Uint8Array[]): string {
  const h = createHash("sha1");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

function headerChecksum(header: CacheHeader): string {
  const { headerSha1: _omit, ...rest } = header;
  return sha1([new TextEncoder().encode(JSON.stringify(rest))]);
}

function labelBytes(labels: Int32Array): Uint8Array {
  const out = new Uint8Array(labels.length * 4);
  const v = new DataView(out.buffer);
  for (let i = 0; i < labels.length; i++) v.setInt32(4 * i, labels[i], true);
  return out;
}

async function writeAtomic(path: string, parts: Uint8Array[]): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += await file.write(p.subarray(off));
    }
    await file.sync();
  } catch (err) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  file.close();
  await Deno.rename(tmp, path);
}

/**
 * Writes `ds` to the cache (replacing any previous copy) and returns its
 * directory. On a full disk or a read-only file system the error names the
 * folder, the size needed and the fix, and a folder this call created is
 * removed again.
 */
export async function writeDatasetCache(ds: ImageDataset, root?: string): Promise<string> {
  const dir = datasetCacheDir(ds.name, root);
  const existed = await Deno.stat(dir).then(() => true, () => false);
  try {
    return await writeDatasetCacheIn(dir, ds);
  } catch (err) {
    if (!existed) await Deno.remove(dir, { recursive: true }).catch(() => {});
    const mb = (((ds.train.images.length + ds.test.images.length) +
      4 * (ds.train.count + ds.test.count)) / 1e6).toFixed(1);
    const fix = `free space there, or set KIT_CACHE_DIR (deno task data: --cache-dir) to a ` +
      `folder on a disk with ${mb} MB free`;
    if (isNoSpaceError(err)) {
      throw new Error(
        `no space left on the disk of ${dir} while writing the cache of "${ds.name}" ` +
          `(${mb} MB); ${fix}`,
        { cause: err },
      );
    }
    if (isReadOnlyError(err)) {
      throw new Error(
        `cannot write the cache of "${ds.name}": ${dir} is on a read-only file system; ` +
          `set KIT_CACHE_DIR (deno task data: --cache-dir) to a writable folder`,
        { cause: err },
      );
    }
    throw err;
  }
}

async function writeDatasetCacheIn(dir: string, ds: ImageDataset): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const parts = [
    ds.train.images,
    labelBytes(ds.train.labels),
    ds.test.images,
    labelBytes(ds.test.labels),
  ];
  const header: CacheHeader = {
    format: "kit-dataset-cache",
    version: CACHE_VERSION,
    name: ds.name,
    displayName: ds.displayName,
    synthetic: ds.synthetic,
    classes: ds.classes,
    imageShape: ds.imageShape,
    source: ds.source,
    trainCount: ds.train.count,
    testCount: ds.test.count,
    dataBytes: parts.reduce((s, p) => s + p.length, 0),
    dataSha1: sha1(parts),
    createdAt: new Date().toISOString(),
  };
  header.headerSha1 = headerChecksum(header);
  await Deno.remove(`${dir}/header.json`).catch(() => {});
  await writeAtomic(`${dir}/data.bin`, parts);
  await writeAtomic(`${dir}/header.json`, [
    new TextEncoder().encode(JSON.stringify(header, null, 2) + "\n"),
  ]);
  await syncDir(dir); // the renames survive a power cut
  await syncDir(dirname(dir));
  return dir;
}

async function readHeader(path: string): Promise<CacheHeader | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  const corrupt = (what: string): never => {
    throw new Error(
      `${path}: ${what}; the cache is damaged: delete ${path.replace(/\/header\.json$/, "")} ` +
        `and import or load the dataset again`,
    );
  };
  let header: CacheHeader;
  try {
    header = JSON.parse(text);
  } catch {
    return corrupt("not valid JSON");
  }
  if (header.format !== "kit-dataset-cache") return corrupt("not a kit dataset cache header");
  if (header.version !== CACHE_VERSION) return null; // stale layout: caller rebuilds
  if (header.headerSha1 !== headerChecksum(header)) return corrupt("header checksum mismatch");
  return header;
}

/**
 * Reads dataset `name` from the cache. Returns null when there is no cache
 * (or it has an older layout version); throws an error naming the file and the
 * fix when the cache is damaged.
 */
export async function readDatasetCache(name: string, root?: string): Promise<ImageDataset | null> {
  const dir = datasetCacheDir(name, root);
  const header = await readHeader(`${dir}/header.json`);
  if (!header) return null;
  const dataPath = `${dir}/data.bin`;
  const damaged = (what: string): never => {
    throw new Error(
      `${dataPath}: ${what}; the cache is damaged: delete ${dir} and import or load the dataset again`,
    );
  };
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(dataPath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return damaged("missing data file");
    throw err;
  }
  const [h, w, c] = header.imageShape;
  const img = h * w * c;
  const expected = (header.trainCount + header.testCount) * (img + 4);
  if (bytes.length !== header.dataBytes || bytes.length !== expected) {
    damaged(`${bytes.length} bytes, header says ${header.dataBytes} (expected ${expected})`);
  }
  if (sha1([bytes]) !== header.dataSha1) damaged("data checksum mismatch");
  let pos = 0;
  const split = (count: number): ImageSplit => {
    const images = bytes.subarray(pos, pos + count * img);
    pos += count * img;
    const lv = new DataView(bytes.buffer, bytes.byteOffset + pos, count * 4);
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) labels[i] = lv.getInt32(4 * i, true);
    pos += count * 4;
    return { images, labels, count };
  };
  const train = split(header.trainCount);
  const test = split(header.testCount);
  return {
    name: header.name,
    displayName: header.displayName,
    synthetic: header.synthetic,
    classes: header.classes,
    imageShape: header.imageShape,
    train,
    test,
    source: header.source,
  };
}

/** Summary of a cached dataset, from its header only (no data read). */
export interface CachedDatasetInfo {
  name: string;
  displayName: string;
  synthetic: boolean;
  classes: string[];
  imageShape: [number, number, number];
  train: number;
  test: number;
  source: string;
}

/** Header-only summary of cached dataset `name`, or null when not cached. */
export async function cachedDatasetInfo(
  name: string,
  root?: string,
): Promise<CachedDatasetInfo | null> {
  const header = await readHeader(`${datasetCacheDir(name, root)}/header.json`);
  if (!header) return null;
  return {
    name: header.name,
    displayName: header.displayName,
    synthetic: header.synthetic,
    classes: header.classes,
    imageShape: header.imageShape,
    train: header.trainCount,
    test: header.testCount,
    source: header.source,
  };
}

/** Names of the datasets with a (current-version) cache under `root`. */
export async function listCachedDatasets(root?: string): Promise<string[]> {
  const base = cacheRoot(root);
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(base)) {
      if (!e.isDirectory || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(e.name)) continue;
      try {
        if (await readHeader(`${base}/${e.name}/header.json`)) names.push(e.name);
      } catch {
        // A damaged cache is reported when it is loaded, not when listing.
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}
