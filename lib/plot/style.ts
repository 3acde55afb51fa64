/**
 * The kit's one publication style for every figure: font, sizes, a
 * colour-blind-safe palette (Okabe & Ito 2008), plain axis lines with outside
 * ticks and no grid clutter. Builders call {@link styledLayout} and
 * {@link styledAxis}; change the look of all figures here, nowhere else.
 *
 * @module
 */
import { axisLabel, type AxisSpec, type Layout } from "./figure.ts";

/** Okabe-Ito palette (colour-blind safe), in the order series receive it. */
export const PALETTE: readonly string[] = [
  "#0072B2", // blue
  "#E69F00", // orange
  "#009E73", // bluish green
  "#D55E00", // vermillion
  "#CC79A7", // reddish purple
  "#56B4E9", // sky blue
  "#F0E442", // yellow
  "#000000", // black
];

/** Sequential colour scale for heatmaps (viridis, perceptually uniform and colour-blind safe). */
export const SEQUENTIAL_SCALE = "Viridis";

/** Fonts, sizes (px at 1x) and line widths of the house style. */
export const STYLE = {
  fontFamily: "Liberation Sans, Arial, Helvetica, DejaVu Sans, sans-serif",
  fontSize: 12,
  titleSize: 14,
  tickSize: 11,
  color: "#222222",
  axisLineWidth: 1,
  lineWidth: 2,
  markerSize: 6,
  /** Default figure size in px; a 1-column paper figure at 3x scale is ~1050 px wide. */
  width: 520,
  height: 360,
  /** Opacity of error bands around lines. */
  bandOpacity: 0.2,
} as const;

/** Colour of series `i` (cycles through {@link PALETTE}). */
export function seriesColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** `#rrggbb` to `rgba(r,g,b,alpha)`. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`withAlpha: expected a colour like "#0072B2", got "${hex}"`);
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => parseInt(h, 16));
  return `rgba(${r},${g},${b},${alpha})`;
}

/** A styled plotly axis with the title "Title (unit)". */
export function styledAxis(axis: AxisSpec, who: string, extra: Layout = {}): Layout {
  return {
    title: { text: axisLabel(axis, who), font: { size: STYLE.fontSize } },
    showline: true,
    linecolor: STYLE.color,
    linewidth: STYLE.axisLineWidth,
    mirror: false,
    ticks: "outside",
    tickcolor: STYLE.color,
    tickfont: { size: STYLE.tickSize },
    showgrid: false,
    zeroline: false,
    automargin: true,
    ...extra,
  };
}

/** Options shared by all builders. */
export interface FigureOptions {
  /** Figure title (optional; papers usually put it in the caption). */
  title?: string;
  /** Size in px (defaults: {@link STYLE}.width x height). */
  width?: number;
  height?: number;
}

/** The base layout of every kit figure (white background, house font, legend at top). */
export function styledLayout(opts: FigureOptions, extra: Layout = {}): Layout {
  return {
    // A title sits at the top of the figure, the legend below it (above the plot area).
    ...(opts.title
      ? {
        title: {
          text: opts.title,
          font: { size: STYLE.titleSize },
          x: 0.5,
          xanchor: "center",
          y: 1,
          yref: "container",
          yanchor: "top",
          pad: { t: 12 },
        },
      }
      : {}),
    width: opts.width ?? STYLE.width,
    height: opts.height ?? STYLE.height,
    font: { family: STYLE.fontFamily, size: STYLE.fontSize, color: STYLE.color },
    paper_bgcolor: "white",
    plot_bgcolor: "white",
    colorway: [...PALETTE],
    margin: { l: 60, r: 20, t: opts.title ? 75 : 20, b: 50 },
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)" },
    ...extra,
  };
}
