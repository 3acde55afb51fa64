/**
 * `deno task data ...`: import, inspect, list and download datasets.
 *
 *   import <name> <source> [<source2>] [--size HxW] [--channels 1|3] [--classes a,b,...]
 *          [--display-name TEXT] [--format image-folder|cifar10-binary|svhn-mat]
 *   info <name> [--json]
 *   list [--json]
 *   download <name> [--extra]
 *   common: [--cache-dir DIR] [--data-dir DIR]  (defaults: KIT_CACHE_DIR, KIT_DATA_DIR)
 *
 * @module
 */

import { cachedDatasetInfo, listCachedDatasets } from "../lib/data/cache.ts";
import { manifestEntry, manifestNames } from "../lib/data/manifest.ts";
import {
  downloadDataset,
  importDataset,
  knownDatasetNames,
  loadDataset,
} from "../lib/data/registry.ts";

const HELP = `deno task data <command> ...

Commands:
  import <name> <source> [<source2>]   decode a dataset into the cache
      cifar10       <path to cifar-10-binary.tar.gz>
      svhn          <folder with train_32x32.mat, test_32x32.mat> | <train.mat> <test.mat>
      cifar10-jpeg  <path to cifar10-jpeg.tar.gz>
      <any name>    <folder or .tar.gz of train/<class>/*.jpg|png and test/<class>/...>
    options: --size HxW  --channels 1|3  --classes a,b,c  --display-name TEXT
             --format image-folder|cifar10-binary|svhn-mat
  info <name> [--json]    name, display name, split sizes, classes, image shape, source
  list [--json]           built-in and imported datasets
  download <name> [--extra]  fetch official files (MD5-checked) and import them
Options for all commands: --cache-dir DIR (default KIT_CACHE_DIR or datasets/cache),
  --data-dir DIR (default KIT_DATA_DIR; where loaders look for source files)
`;

/** Parsed command line: positional arguments and --flags (value or true). */
interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
  "size",
  "channels",
  "classes",
  "display-name",
  "format",
  "cache-dir",
  "data-dir",
]);
const BOOL_FLAGS = new Set(["json", "extra", "help"]);

function parse(args: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h") {
      flags.set("help", true);
    } else if (a.startsWith("--")) {
      const [key, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (BOOL_FLAGS.has(key)) flags.set(key, true);
      else if (VALUE_FLAGS.has(key)) {
        const value = inline ?? args[++i];
        if (value === undefined) throw new Error(`--${key} needs a value; see --help`);
        flags.set(key, value);
      } else throw new Error(`unknown option --${key}; see --help`);
    } else positional.push(a);
  }
  return { positional, flags };
}

function flag(p: Parsed, key: string): string | undefined {
  const v = p.flags.get(key);
  return typeof v === "string" ? v : undefined;
}

function parseSize(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m || +m[1] < 1 || +m[2] < 1) throw new Error(`--size ${text} is not HxW, e.g. --size 32x32`);
  return [+m[1], +m[2]];
}

/** Output sink, so that tests can capture what the CLI prints. */
export interface Output {
  log: (line: string) => void;
  error: (line: string) => void;
}

async function info(name: string, cacheDir: string | undefined, dataDir: string | undefined) {
  const entry = manifestEntry(name);
  if (entry?.kind === "synthetic") {
    return {
      name,
      displayName: entry.displayName,
      train: entry.defaultSizes!.train,
      test: entry.defaultSizes!.test,
      classes: entry.classes,
      imageShape: entry.imageShape,
      synthetic: true,
      source: "embedded generator",
    };
  }
  const cached = await cachedDatasetInfo(name, cacheDir);
  if (cached) return cached;
  const ds = await loadDataset(name, { cacheDir, dataDir, download: false });
  return {
    name: ds.name,
    displayName: ds.displayName,
    train: ds.train.count,
    test: ds.test.count,
    classes: ds.classes,
    imageShape: ds.imageShape,
    synthetic: ds.synthetic,
    source: ds.source,
  };
}

/** Runs the CLI with `args`; returns the process exit code (0 ok, 1 error, 2 usage). */
export async function main(args: string[], out: Output = console): Promise<number> {
  let p: Parsed;
  try {
    p = parse(args);
  } catch (err) {
    out.error(`error: ${(err as Error).message}`);
    return 2;
  }
  const [command, ...rest] = p.positional;
  if (p.flags.has("help") || command === "help" || command === undefined) {
    out.log(HELP);
    return command === undefined && !p.flags.has("help") ? 2 : 0;
  }
  const cacheDir = flag(p, "cache-dir");
  const dataDir = flag(p, "data-dir");
  const progress = (m: string) => out.error(`  ${m}`);
  try {
    switch (command) {
      case "import": {
        const [name, ...sources] = rest;
        if (!name || sources.length === 0) {
          throw new Error("usage: import <name> <source> [<source2>]; see --help");
        }
        const channels = flag(p, "channels");
        if (channels !== undefined && channels !== "1" && channels !== "3") {
          throw new Error(`--channels ${channels}: use 1 (gray) or 3 (RGB)`);
        }
        const format = flag(p, "format");
        if (
          format !== undefined && !["image-folder", "cifar10-binary", "svhn-mat"].includes(format)
        ) {
          throw new Error(`--format ${format}: use image-folder, cifar10-binary or svhn-mat`);
        }
        const t0 = performance.now();
        const ds = await importDataset(name, sources, {
          cacheDir,
          size: parseSize(flag(p, "size")),
          channels: channels === undefined ? undefined : (Number(channels) as 1 | 3),
          classes: flag(p, "classes")?.split(",").map((s) => s.trim()).filter((s) => s),
          displayName: flag(p, "display-name"),
          format: format as "image-folder" | "cifar10-binary" | "svhn-mat" | undefined,
          onProgress: progress,
        });
        const secs = ((performance.now() - t0) / 1000).toFixed(1);
        out.log(
          `imported ${ds.name} ("${ds.displayName}"): ${ds.train.count} train / ${ds.test.count} test, ` +
            `${ds.classes.length} classes, ${ds.imageShape.join("x")}, in ${secs} s`,
        );
        return 0;
      }
      case "info": {
        const [name] = rest;
        if (!name) throw new Error("usage: info <name> [--json]; see --help");
        const i = await info(name, cacheDir, dataDir);
        if (p.flags.has("json")) out.log(JSON.stringify(i));
        else {
          out.log(`${i.name}: ${i.displayName}${i.synthetic ? " [synthetic]" : ""}`);
          out.log(`  train ${i.train}, test ${i.test}, image ${i.imageShape.join("x")}`);
          out.log(`  classes (${i.classes.length}): ${i.classes.join(", ")}`);
          out.log(`  source: ${i.source}`);
        }
        return 0;
      }
      case "list": {
        const imported = new Set(await listCachedDatasets(cacheDir));
        const rows = (await knownDatasetNames(cacheDir)).map((name) => {
          const e = manifestEntry(name);
          const status = e?.kind === "synthetic"
            ? "generated"
            : imported.has(name)
            ? "imported"
            : "not imported";
          return { name, builtin: e !== undefined, status, displayName: e?.displayName ?? name };
        });
        if (p.flags.has("json")) out.log(JSON.stringify(rows));
        else {for (const r of rows) {
            out.log(`${r.name.padEnd(16)} ${r.status.padEnd(13)} ${r.displayName}`);
          }}
        return 0;
      }
      case "download": {
        const [name] = rest;
        if (!name) {
          throw new Error(
            `usage: download <name>; downloadable: ${
              manifestNames().filter((n) => manifestEntry(n)!.files?.some((f) => f.url)).join(", ")
            }`,
          );
        }
        const paths = await downloadDataset(name, {
          cacheDir,
          extra: p.flags.has("extra"),
          onProgress: progress,
        });
        const ds = await importDataset(name, paths, { cacheDir, onProgress: progress });
        out.log(`downloaded and imported ${name}: ${ds.train.count} train / ${ds.test.count} test`);
        return 0;
      }
      default:
        out.error(
          `error: unknown command "${command}"; commands: import, info, list, download (see --help)`,
        );
        return 2;
    }
  } catch (err) {
    out.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
