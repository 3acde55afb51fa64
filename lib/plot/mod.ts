/**
 * # lib/plot: publication figures as plotly.js JSON
 *
 * Figures are plain JSON (`{data, layout}`, see `figure.ts`) in one house
 * style (`style.ts`: laid out at print size, one column 3.5 in or two columns
 * 7 in, text >= 8 pt there, Okabe-Ito colour-blind-safe palette, axis lines,
 * no grid). Every axis states its unit (`{ title, unit }`); "%" axes stay in
 * [0, 100]; every figure with error marks says what they are (its note). The
 * statistics come from the bottom layer (`lib/stats/`), never `lib/ablation`.
 *
 * | file | what |
 * |---|---|
 * | `line_chart.ts` | `lineChart` (bands below lines, or error bars), `seriesOverSeeds` (mean ± CI), `intervalNote` |
 * | `bar_chart.ts` | `barChart` (mean ± CI or std over seeds) |
 * | `heatmap.ts` | `heatmap` (grids, attention maps) |
 * | `image_grid.ts` | `imageGrid` of uint8 images, `imagesFromBatch` |
 * | `save.ts` | `saveFigure(fig, dir, name)` / `loadFigure` (JSON) |
 * | `export.ts` | `FigureRenderer`, `exportFigure` to SVG / PDF / PNG at 300 dpi (headless Chromium) |
 *
 * Notebooks show figures with `show` from `lib/notebook/display.ts`;
 * `deno task figures` exports every saved figure.
 *
 * @module
 */
export * from "./figure.ts";
export * from "./style.ts";
export * from "./line_chart.ts";
export * from "./bar_chart.ts";
export * from "./heatmap.ts";
export * from "./image_grid.ts";
export * from "./save.ts";
