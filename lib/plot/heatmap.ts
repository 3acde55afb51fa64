/**
 * Heatmaps of a value over a 2-D grid, e.g. accuracy over token size x token
 * count, or an attention map (query x key).
 *
 * @module
 */
import { axisLabel, type AxisSpec, type Figure, jsonNumbers } from "./figure.ts";
import {
  type FigureOptions,
  SEQUENTIAL_SCALE,
  STYLE,
  styledAxis,
  styledLayout,
  wrapLabel,
} from "./style.ts";

/** Options of {@link heatmap}. */
export interface HeatmapOptions extends FigureOptions {
  x: AxisSpec;
  y: AxisSpec;
  /** What the colour encodes, with its unit (colour bar title). */
  value: AxisSpec;
  /** Column labels (default 0..cols-1). */
  xLabels?: readonly (string | number)[];
  /** Row labels (default 0..rows-1). */
  yLabels?: readonly (string | number)[];
  /** Write each cell's value into it, with this many decimals (default: off). */
  annotateDigits?: number;
  /** Row 0 at the top, as in matrices and attention maps (default false: row 0 at the bottom). */
  originTopLeft?: boolean;
  /** Colour range (default: data min..max). */
  zmin?: number;
  zmax?: number;
}

/**
 * Heatmap of `z[row][col]` (rows along y, columns along x). Rows must all
 * have the same length; non-finite cells are left blank.
 */
export function heatmap(z: readonly (ArrayLike<number>)[], opts: HeatmapOptions): Figure {
  const who = "heatmap";
  const rows = z.length;
  const cols = rows ? z[0].length : 0;
  if (rows === 0 || cols === 0) throw new Error(`${who}: z is empty; pass z[row][col] numbers`);
  z.forEach((r, i) => {
    if (r.length !== cols) {
      throw new Error(
        `${who}: row ${i} has ${r.length} values, row 0 has ${cols}; z must be rectangular`,
      );
    }
  });
  const xLabels = opts.xLabels ?? Array.from({ length: cols }, (_, i) => i);
  const yLabels = opts.yLabels ?? Array.from({ length: rows }, (_, i) => i);
  if (xLabels.length !== cols || yLabels.length !== rows) {
    throw new Error(
      `${who}: ${xLabels.length} x labels and ${yLabels.length} y labels for a ${rows}x${cols} grid; ` +
        `give one label per column and per row`,
    );
  }
  const zz = z.map((r) => jsonNumbers(r));
  const trace: Record<string, unknown> & { type: string } = {
    type: "heatmap",
    z: zz,
    x: xLabels.map((l) => wrapLabel(String(l))),
    y: yLabels.map((l) => wrapLabel(String(l))),
    colorscale: SEQUENTIAL_SCALE,
    ...(opts.zmin !== undefined ? { zmin: opts.zmin } : {}),
    ...(opts.zmax !== undefined ? { zmax: opts.zmax } : {}),
    colorbar: {
      title: { text: axisLabel(opts.value, who), side: "right" },
      outlinewidth: 0,
      tickfont: { size: STYLE.tickSize },
    },
    hoverongaps: false,
  };
  if (opts.annotateDigits !== undefined) {
    trace.text = zz.map((r) => r.map((v) => (v === null ? "" : v.toFixed(opts.annotateDigits))));
    trace.texttemplate = "%{text}";
    trace.textfont = { size: STYLE.tickSize };
  }
  const layout = styledLayout(opts, {
    showlegend: false,
    xaxis: styledAxis(opts.x, who, { type: "category", showline: false, tickangle: 0 }),
    yaxis: styledAxis(opts.y, who, {
      type: "category",
      showline: false,
      ...(opts.originTopLeft ? { autorange: "reversed" } : {}),
    }),
  });
  return { data: [trace], layout };
}
