/**
 * `deno task figures`: exports every saved figure (`**∕figures/*.json` under
 * the results folder, written with `saveFigure` from lib/plot/save.ts) to
 * SVG, PDF and PNG beside its JSON, in the kit's one publication style, with
 * one headless Chromium for all figures.
 *
 * ```
 * deno task figures                           # results/, all formats
 * deno task figures --results runs/ci-results --formats svg,png
 * ```
 *
 * Needs Chromium (`apt-get install -y chromium`, or env KIT_CHROMIUM).
 *
 * @module
 */
import { join } from "node:path";
import {
  exportFigure,
  FigureRenderer,
  IMAGE_FORMATS,
  type ImageFormat,
} from "../lib/plot/export.ts";
import { loadFigure } from "../lib/plot/save.ts";
import { requireChromium } from "../lib/plot/chromium.ts";
import { parseCommandLine } from "./args.ts";
import { runMain } from "./run_main.ts";

/** Paths of all `figures/*.json` files below `root`, sorted. */
export async function findFigureFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, inFigures: boolean) => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path, e.name === "figures");
      else if (inFigures && e.isFile && e.name.endsWith(".json")) out.push(path);
    }
  };
  try {
    await walk(root, false);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`results folder ${root} does not exist; pass --results DIR`);
    }
    throw err;
  }
  return out.sort();
}

/** Parses `--formats svg,pdf,png`. */
export function parseFormats(text: string): ImageFormat[] {
  const formats = text.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const f of formats) {
    if (!(IMAGE_FORMATS as readonly string[]).includes(f)) {
      throw new Error(`--formats: "${f}" is not one of ${IMAGE_FORMATS.join(", ")}`);
    }
  }
  if (formats.length === 0) throw new Error(`--formats is empty; e.g. --formats svg,pdf,png`);
  return formats as ImageFormat[];
}

const USAGE = "usage: deno task figures [--results DIR] [--formats svg,pdf,png]";

async function main(): Promise<number> {
  const cli = parseCommandLine({
    args: Deno.args,
    options: {
      results: { type: "string", default: "results" },
      formats: { type: "string", default: IMAGE_FORMATS.join(",") },
    },
  }, USAGE);
  if (!cli) return 0;
  const { values } = cli;
  const formats = parseFormats(values.formats);
  const files = await findFigureFiles(values.results);
  if (files.length === 0) {
    throw new Error(
      `no figure JSON (figures/*.json) under ${values.results}; notebooks and ablations write ` +
        `them with saveFigure(fig, dir, name) from lib/plot/save.ts`,
    );
  }
  const chromium = requireChromium();
  const started = performance.now();
  const renderer = await FigureRenderer.launch({ chromiumPath: chromium });
  let written = 0;
  try {
    for (const file of files) {
      const fig = await loadFigure(file);
      const paths = await exportFigure(renderer, fig, file.replace(/\.json$/, ""), formats);
      written += paths.length;
      console.log(`${file} -> ${formats.join(", ")}`);
    }
  } finally {
    await renderer.close();
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${files.length} figures, ${written} files in ${secs} s`);
  return 0;
}

if (import.meta.main) await runMain(main);
