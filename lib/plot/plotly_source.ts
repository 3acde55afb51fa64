/**
 * The plotly.js library text (npm `plotly.js-dist-min`, pinned in deno.json)
 * for pages rendered by the exporter and for offline notebook HTML.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// Importing the package manifest makes Deno install the package (into node_modules).
import plotlyPackage from "plotly.js-dist-min/package.json" with { type: "json" };

/** Version of the bundled plotly.js, e.g. "3.7.0". */
export const PLOTLY_VERSION: string = plotlyPackage.version;

let cached: string | undefined;

/** Source of `plotly.min.js` (about 4.8 MB), read once per process. */
export async function plotlySource(): Promise<string> {
  if (cached) return cached;
  const manifest = import.meta.resolve("plotly.js-dist-min/package.json");
  if (!manifest.startsWith("file:")) {
    throw new Error(
      `plotly.js-dist-min resolved to ${manifest}, not a local file; ` +
        `keep "nodeModulesDir": "auto" in deno.json and run "deno install"`,
    );
  }
  cached = await Deno.readTextFile(join(dirname(fileURLToPath(manifest)), "plotly.min.js"));
  return cached;
}
