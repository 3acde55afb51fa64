/**
 * Dataset registry: `loadDataset(name)` for the built-in names of
 * `datasets/manifest.json` (`synthetic`, `cifar10`, `cifar10-jpeg`, `svhn`)
 * and for any image-folder dataset imported under a name of one's choosing.
 *
 * Decoded datasets are cached (see `cache.ts`); a first load imports from the
 * data directory (option `dataDir` or env `KIT_DATA_DIR`) when the source
 * file is there, else downloads it from the official address with MD5
 * verification where the manifest has one.
 *
 * @module
 */

import type { ImageDataset } from "./dataset.ts";
import { cacheRoot, listCachedDatasets, readDatasetCache, writeDatasetCache } from "./cache.ts";
import { readCifar10Archive } from "./cifar10.ts";
import { downloadVerified } from "./download.ts";
import { readImageFolder } from "./image_folder.ts";
import { gunzipStream, isGzip, TarParser } from "./tar.ts";
import { type ManifestEntry, manifestEntry, manifestNames } from "./manifest.ts";
import { stratifiedSubsampleIndices, subsetSplit } from "./splits.ts";
import { readSvhnMat } from "./svhn.ts";
import { generateSynthetic } from "./synthetic.ts";

/** Options for {@link loadDataset}. */
export interface LoadOptions {
  /** Folder with source files (e.g. cifar10-jpeg.tar.gz); default env `KIT_DATA_DIR`. */
  dataDir?: string;
  /** Cache root; default env `KIT_CACHE_DIR`, else `datasets/cache`. */
  cacheDir?: string;
  /** Allow downloading from the official address when nothing local exists (default true). */
  download?: boolean;
  /** Seeded stratified subsample of the train split to this size (synthetic: generated size). */
  trainSize?: number;
  /** Same for the test split. */
  testSize?: number;
  /** Seed for subsampling and for the synthetic generator (default 0). */
  seed?: number;
  /** Progress messages (import/download steps). */
  onProgress?: (message: string) => void;
}

/** Options for {@link importDataset}. */
export interface ImportOptions {
  cacheDir?: string;
  /** Image folders: class order (default: manifest order for built-ins, else sorted folder names). */
  classes?: string[];
  /** Image folders: target [H, W] (default: manifest shape for built-ins, else common size). */
  size?: [number, number];
  /** Image folders: target channels. */
  channels?: 1 | 3;
  /**
   * Source format; default: the manifest's for built-in names, else "svhn-mat"
   * for .mat sources, "cifar10-binary" for a cifar-10-binary.tar.gz, else "image-folder".
   */
  format?: "cifar10-binary" | "svhn-mat" | "image-folder";
  /** Display name for a new dataset (default: its name). */
  displayName?: string;
  onProgress?: (message: string) => void;
}

function importHint(name: string): string {
  return `deno task data import ${name} <path>`;
}

function checkSizes(ds: ImageDataset, entry: ManifestEntry | undefined, source: string): void {
  if (!entry?.sizes) return;
  const { train, test } = entry.sizes;
  if (ds.train.count !== train || ds.test.count !== test) {
    throw new Error(
      `${source}: found ${ds.train.count} train / ${ds.test.count} test images, but ${ds.name} ` +
        `has ${train} / ${test} (datasets/manifest.json); the copy is incomplete or a different ` +
        `dataset: import the complete copy, or import it under another name`,
    );
  }
}

/**
 * Imports `sources` as dataset `name` into the cache and returns it.
 * - `cifar10`: the official `cifar-10-binary.tar.gz`;
 * - `svhn`: a folder with `train_32x32.mat` and `test_32x32.mat`, or those two files;
 * - any other name (incl. `cifar10-jpeg`): an image folder or .tar(.gz) of
 *   `<split>/<class>/*.{jpg,png}`; built-in names take class order, image
 *   shape and expected sizes from the manifest.
 */
export async function importDataset(
  name: string,
  sources: string[],
  opts: ImportOptions = {},
): Promise<ImageDataset> {
  const entry = manifestEntry(name);
  const say = opts.onProgress ?? (() => {});
  if (sources.length === 0) {
    throw new Error(`import ${name}: no source given; usage: ${importHint(name)}`);
  }
  if (entry?.kind === "synthetic") {
    throw new Error(`"${name}" is generated on the fly and needs no import; load it directly`);
  }
  let ds: ImageDataset;
  const source = sources.join(", ");
  const format = opts.format ??
    (entry
      ? entry.kind
      : sources[0].endsWith(".mat")
      ? "svhn-mat"
      : /cifar-10-binary\.tar(\.gz)?$/.test(sources[0])
      ? "cifar10-binary"
      : (await archiveLayout(sources[0])) ?? "image-folder");
  if (!opts.format && !entry && format === "cifar10-binary") {
    say(`${sources[0]}: CIFAR-10 binary layout (data_batch_*.bin / test_batch.bin members)`);
  }
  // Non-built-in names in a built-in format borrow that format's classes and shape.
  const like = entry ??
    (format === "cifar10-binary"
      ? manifestEntry("cifar10")
      : format === "svhn-mat"
      ? manifestEntry("svhn")
      : undefined);
  const meta = like && !entry
    ? { ...like, displayName: opts.displayName ?? name, sizes: undefined }
    : like;
  if (format === "cifar10-binary") {
    say(`reading CIFAR-10 binary archive ${sources[0]}`);
    const { train, test } = await readCifar10Archive(sources[0]);
    ds = base(name, meta!, train, test, sources[0]);
  } else if (format === "svhn-mat") {
    let [trainPath, testPath] = sources;
    if (sources.length === 1) {
      const dir = sources[0];
      const file = (role: string) => meta!.files!.find((f) => f.role === role)!.name;
      [trainPath, testPath] = [`${dir}/${file("train")}`, `${dir}/${file("test")}`];
    }
    if (!testPath) {
      throw new Error(
        `import ${name}: give a folder with the train and test .mat files, or both files`,
      );
    }
    say(`reading ${trainPath}`);
    const train = await readSvhnMat(trainPath);
    say(`reading ${testPath}`);
    const test = await readSvhnMat(testPath);
    ds = base(name, meta!, train, test, `${trainPath}, ${testPath}`);
  } else {
    say(`reading image folder ${sources[0]}`);
    const data = await readImageFolder(sources[0], {
      classes: opts.classes ?? entry?.classes,
      size: opts.size ?? (entry ? [entry.imageShape[0], entry.imageShape[1]] : undefined),
      channels: opts.channels ?? (entry ? (entry.imageShape[2] as 1 | 3) : undefined),
      onProgress: (n) => say(`decoded ${n} images`),
    });
    ds = {
      name,
      displayName: opts.displayName ?? entry?.displayName ?? name,
      synthetic: false,
      classes: data.classes,
      imageShape: data.imageShape,
      train: data.train,
      test: data.test,
      source: sources[0],
    };
  }
  checkSizes(ds, entry, source);
  say(`writing cache ${await writeDatasetCache(ds, opts.cacheDir)}`);
  return ds;
}

const CIFAR10_MEMBER = /(^|\/)(data_batch_[1-5]|test_batch)\.bin$/;
const IMAGE_MEMBER = /\.(jpe?g|png)$/i;

/**
 * The layout of a tar(.gz) file from its member names: "cifar10-binary" when
 * its first telling member is a CIFAR-10 batch (`data_batch_N.bin`,
 * `test_batch.bin`), undefined for images, folders and anything unreadable.
 * A member's name is read from its header, so a member whose data is cut
 * short or damaged still tells the layout (the import then reports the damage).
 */
export async function archiveLayout(path: string): Promise<"cifar10-binary" | undefined> {
  let file: Deno.FsFile;
  try {
    if (!(await Deno.stat(path)).isFile) return undefined;
    file = await Deno.open(path, { read: true });
  } catch {
    return undefined;
  }
  const decide = (name: string | undefined): "cifar10-binary" | "other" | undefined =>
    name === undefined
      ? undefined
      : CIFAR10_MEMBER.test(name)
      ? "cifar10-binary"
      : IMAGE_MEMBER.test(name)
      ? "other"
      : undefined;
  const parser = new TarParser(path);
  let verdict: "cifar10-binary" | "other" | undefined;
  try {
    const head = new Uint8Array(2);
    const n = (await file.read(head)) ?? 0;
    await file.seek(0, Deno.SeekMode.Start);
    const stream = isGzip(head.subarray(0, n)) ? gunzipStream(file.readable) : file.readable;
    for await (const chunk of stream) {
      for (const e of parser.push(chunk)) {
        if (e.type === "file") verdict ??= decide(e.name);
      }
      verdict ??= decide(parser.pendingMember);
      if (verdict) break;
    }
  } catch {
    // Damaged or not a tar: decided by the member names seen before the damage.
  } finally {
    try {
      file.close();
    } catch { /* already closed with its stream */ }
  }
  verdict ??= decide(parser.pendingMember);
  return verdict === "cifar10-binary" ? verdict : undefined;
}

function base(
  name: string,
  entry: ManifestEntry,
  train: ImageDataset["train"],
  test: ImageDataset["test"],
  source: string,
): ImageDataset {
  const [h, w, c] = entry.imageShape;
  for (const s of [train, test]) {
    if (s.images.length !== s.count * h * w * c) {
      throw new Error(
        `${source}: images are not ${h}x${w}x${c} as ${name} should be; re-download it`,
      );
    }
  }
  return {
    name,
    displayName: entry.displayName,
    synthetic: entry.synthetic,
    classes: [...entry.classes],
    imageShape: [h, w, c],
    train,
    test,
    source,
  };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Data directory: option, else env `KIT_DATA_DIR`, else undefined. */
export function dataDir(override?: string): string | undefined {
  return override ?? Deno.env.get("KIT_DATA_DIR") ?? undefined;
}

/**
 * Fetches the official files of `name` (manifest URLs, MD5-checked) into
 * `<cache>/downloads/` and returns their paths. Throws "no internet; import a
 * local copy ..." when the host cannot be reached.
 */
export async function downloadDataset(
  name: string,
  opts: LoadOptions & { extra?: boolean } = {},
): Promise<string[]> {
  const entry = manifestEntry(name);
  const files = (entry?.files ?? []).filter((f) => f.url && f.md5 && (!f.optional || opts.extra));
  if (!entry || files.length === 0) {
    throw new Error(
      `"${name}" has no official download in datasets/manifest.json (downloadable: ` +
        `${
          manifestNames().filter((n) => manifestEntry(n)!.files?.some((f) => f.url)).join(", ")
        }); ` +
        `import a local copy with \`${importHint(name)}\``,
    );
  }
  const dir = `${cacheRoot(opts.cacheDir)}/downloads`;
  await Deno.mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const f of files) {
    opts.onProgress?.(`downloading ${f.url}`);
    await downloadVerified(f.url!, `${dir}/${f.name}`, f.md5!, importHint(name));
    paths.push(`${dir}/${f.name}`);
  }
  return paths;
}

/**
 * The source files of `entry` in the data folder `dir`, when every
 * non-optional file of the entry is there (the ones an import reads: the
 * first, or both `.mat` files of SVHN); `null` when `dir` is unset or a file
 * is missing.
 */
export async function localSources(
  entry: ManifestEntry,
  dir: string | undefined,
): Promise<string[] | null> {
  if (!dir || !entry.files) return null;
  const needed = entry.files.filter((f) => !f.optional).map((f) => `${dir}/${f.name}`);
  for (const p of needed) if (!(await exists(p))) return null;
  return entry.kind === "svhn-mat" ? needed.slice(0, 2) : needed.slice(0, 1);
}

/** Every loadable name: the manifest's built-ins plus imported (cached) datasets. */
export async function knownDatasetNames(cacheDir?: string): Promise<string[]> {
  const names = new Set([...manifestNames(), ...(await listCachedDatasets(cacheDir))]);
  return [...names];
}

/**
 * Loads dataset `name`: synthetic is generated; others come from the cache,
 * else are imported from the data directory, else downloaded (when the
 * manifest has an official address). Unknown names give an error listing the
 * known names and how to import.
 */
export async function loadDataset(name: string, opts: LoadOptions = {}): Promise<ImageDataset> {
  const entry = manifestEntry(name);
  const seed = opts.seed ?? 0;
  if (entry?.kind === "synthetic") {
    return generateSynthetic({ trainSize: opts.trainSize, testSize: opts.testSize, seed });
  }
  let ds = await readDatasetCache(name, opts.cacheDir);
  if (!ds) {
    if (!entry) {
      const known = await knownDatasetNames(opts.cacheDir);
      throw new Error(
        `unknown dataset "${name}"; known: ${known.join(", ")}. To add a folder or .tar.gz of ` +
          `<split>/<class>/*.jpg|png, run \`${importHint(name)}\``,
      );
    }
    const dir = dataDir(opts.dataDir);
    let sources = await localSources(entry, dir);
    if (!sources) {
      const downloadable = entry.files?.some((f) => f.url);
      if (!downloadable || opts.download === false) {
        const file = entry.files?.map((f) => f.name).join(", ") ?? name;
        throw new Error(
          `dataset "${name}" is not imported yet and ${file} is not in the data folder ` +
            `(${dir ?? "KIT_DATA_DIR not set"}); run \`${
              importHint(name)
            }\` with the path to ${file}, ` +
            `or set KIT_DATA_DIR to the folder that holds it`,
        );
      }
      sources = await downloadDataset(name, opts);
    }
    ds = await importDataset(name, sources, {
      cacheDir: opts.cacheDir,
      onProgress: opts.onProgress,
    });
  }
  for (
    const [split, size, have] of [
      ["train", opts.trainSize, ds.train.count],
      ["test", opts.testSize, ds.test.count],
    ] as const
  ) {
    if (size !== undefined && size > have) {
      throw new Error(
        `--${split}-size ${size} is larger than the ${have} ${split} images of "${name}" ` +
          `(the limit); give --${split}-size ${have} or less, or leave it out to use all ${have}`,
      );
    }
  }
  if (opts.trainSize !== undefined && opts.trainSize < ds.train.count) {
    ds.train = subsetSplit(
      ds.train,
      stratifiedSubsampleIndices(ds.train.labels, ds.classes.length, opts.trainSize, seed),
    );
  }
  if (opts.testSize !== undefined && opts.testSize < ds.test.count) {
    ds.test = subsetSplit(
      ds.test,
      stratifiedSubsampleIndices(ds.test.labels, ds.classes.length, opts.testSize, seed + 1),
    );
  }
  return ds;
}
