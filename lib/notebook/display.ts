/**
 * Rich notebook output for the Deno kernel: figures, tables and progress.
 *
 * - `show(fig)`: one display with `application/vnd.plotly.v1+json`
 *   (JupyterLab/VS Code plotly renderers), an offline `text/html` fallback
 *   (plotly.js embedded once per kernel session; nbconvert HTML and
 *   JupyterLab without the plotly extension), a static `image/png` (GitHub)
 *   and `text/plain`.
 * - `showTable(rows)`: `text/html` table + `text/plain`.
 * - `progress(label, total)`: updates one display in place.
 * - `showText`, `showMarkdown`: a line of text, computed conclusions.
 *
 * Text, Markdown and table cells show paths under the repository relative to its root
 * (`repoRelative`), so executed notebooks read the same on every machine.
 *
 * Every display waits until the kernel has sent it (`settleOutput`), so that
 * outputs stay under their own cell with Run All (see jupyter.ts).
 *
 * Outside Jupyter (`deno run`, tests) nothing is displayed: `show` only
 * saves (with `opts.save`), `showTable` prints the plain table, progress logs
 * lines; `figureBundle` / `tableBundle` build the bundles without showing them.
 *
 * @module
 */
import type { Figure } from "../plot/figure.ts";
import { validateFigure } from "../plot/figure.ts";
import { saveFigure } from "../plot/save.ts";
import { plainFigureTitle } from "../plot/style.ts";
import { displayBundle, inJupyter, type MimeBundle } from "./jupyter.ts";
import { figureHtml, plotlyLoaderHtml } from "./plotly_html.ts";
import { staticPng } from "./static_image.ts";
import { tableHtml, type TableOptions, tablePlain, type TableRow } from "./table.ts";
import { repoRelative } from "./paths.ts";

export { lineProgress, type Progress, progress } from "./progress.ts";
export { settleOutput } from "./jupyter.ts";

/** MIME type of plotly figures (Jupyter/VS Code renderers). */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

const LOADER_SENT = Symbol.for("kit.notebook.plotlyLoaderSent");

/** Options of {@link show} and {@link figureBundle}. */
export interface ShowOptions {
  /** Also save the figure JSON as `<dir>/<name>.json` (for `deno task figures`). */
  save?: { dir: string; name: string };
  /** Render the static PNG (default true; needs Chromium). */
  staticImage?: boolean;
  /** Embed plotly.js in this output's HTML (default: only the first figure of the session). */
  includeLibrary?: boolean;
}

/** Forgets that plotly.js was embedded (the next figure embeds it again). */
export function resetPlotlyLoader(): void {
  (globalThis as Record<symbol, unknown>)[LOADER_SENT] = false;
}

/** The display bundle of a figure (see module docs). */
export async function figureBundle(fig: Figure, opts: ShowOptions = {}): Promise<MimeBundle> {
  validateFigure(fig, "show");
  const g = globalThis as Record<symbol, unknown>;
  const includeLibrary = opts.includeLibrary ?? !g[LOADER_SENT];
  const png = opts.staticImage === false ? undefined : await staticPng(fig);
  const id = `kit-fig-${crypto.randomUUID()}`;
  const html = (includeLibrary ? await plotlyLoaderHtml() : "") + figureHtml(fig, id, png);
  if (includeLibrary) g[LOADER_SENT] = true;
  const title = plainFigureTitle(fig.layout);
  const bundle: MimeBundle = {
    [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: { displaylogo: false } },
    "text/html": html,
    "text/plain": `<Figure${title ? ` "${title}"` : ""}: ${fig.data.length} traces>`,
  };
  if (png) bundle["image/png"] = png;
  return bundle;
}

/**
 * Shows `fig` in Jupyter; outside Jupyter only `opts.save` happens. Resolves
 * to nothing so that `await show(fig)` as a cell's last line adds no output.
 */
export async function show(fig: Figure, opts: ShowOptions = {}): Promise<void> {
  if (opts.save) await saveFigure(fig, opts.save.dir, opts.save.name);
  if (!inJupyter()) return;
  await displayBundle(await figureBundle(fig, opts));
}

/** The display bundle of a table. */
export function tableBundle(rows: readonly TableRow[], opts: TableOptions = {}): MimeBundle {
  return { "text/html": tableHtml(rows, opts), "text/plain": tablePlain(rows, opts) };
}

/** Shows rows as a table in Jupyter; prints the plain table elsewhere. */
export async function showTable(rows: readonly TableRow[], opts: TableOptions = {}): Promise<void> {
  const relative = rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === "string" ? repoRelative(v) : v]),
    ) as TableRow
  );
  const bundle = tableBundle(relative, opts);
  if (!(await displayBundle(bundle))) console.log(bundle["text/plain"]);
}

/** Shows Markdown text (e.g. a conclusion computed from results); prints it elsewhere. */
export async function showMarkdown(markdown: string): Promise<void> {
  const text = repoRelative(markdown);
  if (!(await displayBundle({ "text/markdown": text, "text/plain": text }))) console.log(text);
}

/** Shows plain text (e.g. a notebook's opening line) under its cell; prints it elsewhere. */
export async function showText(line: string): Promise<void> {
  const text = repoRelative(line);
  if (!(await displayBundle({ "text/plain": text }))) console.log(text);
}
