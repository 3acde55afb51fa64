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

/**
 * Print sizes of paper figures, in CSS px at print size (96 px = 1 in, so
 * 1 px = 0.75 pt): `column` is one column of a two-column paper (3.5 in),
 * `page` the full text width (7 in). Figures are laid out at these sizes, so
 * the font sizes of {@link STYLE} are their printed sizes.
 */
export const FIGURE_SIZES = {
  column: { width: 336, height: 252 },
  page: { width: 672, height: 300 },
} as const;

/** A named print size (see {@link FIGURE_SIZES}). */
export type FigureSize = keyof typeof FIGURE_SIZES;

/** Points per CSS px (72 pt = 96 px = 1 in). */
export const PT_PER_PX = 0.75;

/** Smallest text allowed at print size, in pt (what journals ask for). */
export const MIN_TEXT_PT = 8;

/**
 * Fonts, sizes (CSS px at print size) and line widths of the house style.
 * Every text size is at least {@link MIN_TEXT_PT} pt once printed at
 * {@link FIGURE_SIZES}: 11 px = 8.25 pt, 12 px = 9 pt, 13 px = 9.75 pt.
 */
export const STYLE = {
  fontFamily: "Liberation Sans, Arial, Helvetica, DejaVu Sans, sans-serif",
  fontSize: 12,
  titleSize: 13,
  tickSize: 11,
  noteSize: 11,
  color: "#222222",
  noteColor: "#444444",
  axisLineWidth: 1,
  lineWidth: 2,
  markerSize: 5,
  /** Default figure size: one column. */
  width: FIGURE_SIZES.column.width,
  height: FIGURE_SIZES.column.height,
  /** Opacity of error bands around lines (drawn below every line). */
  bandOpacity: 0.18,
  /** Category labels longer than this many characters are wrapped onto lines. */
  labelChars: 12,
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

/**
 * The value limits of an axis: `axis.limits`, or [0, 100] for a "%" axis (every
 * percentage in the kit, accuracies first, lies there), else none.
 */
export function axisLimits(axis: AxisSpec): readonly [number, number] | undefined {
  return axis.limits ?? (axis.unit === "%" ? [0, 100] : undefined);
}

/**
 * Tick settings for an axis of whole numbers (epochs, counts) spanning
 * `values`: every integer when there are at most 10, else integer steps.
 */
export function integerTicks(values: readonly number[]): Layout {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { tickformat: "d" };
  const lo = Math.floor(Math.min(...finite));
  const hi = Math.ceil(Math.max(...finite));
  if (hi - lo <= 10) {
    return { tickmode: "array", tickvals: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) };
  }
  const raw = (hi - lo) / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  return { tickmode: "linear", tick0: lo, dtick: Math.max(1, Math.round(step)), tickformat: "d" };
}

/**
 * A category label broken onto lines of at most `chars` characters (at
 * spaces; plotly's `<br>`), so labels stay horizontal and inside the figure.
 * A single word longer than a line is split with a hyphen, so that it cannot
 * run into the next category's label.
 */
export function wrapLabel(label: string, chars: number = STYLE.labelChars): string {
  const words = label.split(/\s+/).filter(Boolean).flatMap((w) => {
    if (w.length <= chars || chars < 4) return [w];
    const parts: string[] = [];
    let rest = w;
    while (rest.length > chars) {
      parts.push(`${rest.slice(0, chars - 1)}-`);
      rest = rest.slice(chars - 1);
    }
    return [...parts, rest];
  });
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > chars) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join("<br>");
}

/**
 * A styled plotly axis with the title "Title (unit)"; its autorange stays
 * within {@link axisLimits} (e.g. an accuracy axis never shows -10 %). With
 * `wrapTitleAt`, a longer title is broken onto lines of that many characters
 * (a value axis of a column-wide figure is shorter than a long title).
 */
export function styledAxis(
  axis: AxisSpec,
  who: string,
  extra: Layout = {},
  wrapTitleAt?: number,
): Layout {
  const limits = axisLimits(axis);
  const label = axisLabel(axis, who);
  return {
    title: {
      text: wrapTitleAt === undefined ? label : wrapLabel(label, wrapTitleAt),
      font: { size: STYLE.fontSize },
      // Measured from the tick labels' real extent (plotly's default spacing assumes one-line
      // tick labels, so a title under wrapped category labels would overlap them).
      standoff: 8,
    },
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
    ...(limits ? { autorangeoptions: { clipmin: limits[0], clipmax: limits[1] } } : {}),
    ...extra,
  };
}

/**
 * Characters per line of a value (y) axis title: 24 on a figure of column height or less
 * (its plot area is about as tall as 24 characters), none (one line) on taller ones.
 */
export function valueTitleChars(opts: FigureOptions): number | undefined {
  return printSize(opts).height <= FIGURE_SIZES.column.height ? 24 : undefined;
}

/**
 * A figure's print size in px: its named size (default "column"), with `width` / `height`
 * overriding it. Throws naming the sizes when the name is unknown.
 */
export function printSize(opts: FigureOptions): { width: number; height: number } {
  const size = FIGURE_SIZES[opts.size ?? "column"];
  if (!size) {
    throw new Error(`figure size "${opts.size}" is not one of ${Object.keys(FIGURE_SIZES)}`);
  }
  return { width: opts.width ?? size.width, height: opts.height ?? size.height };
}

/** Options shared by all builders. */
export interface FigureOptions {
  /** Figure title (optional; papers usually put it in the caption). */
  title?: string;
  /**
   * One line under the title saying what the error bars or bands are (e.g.
   * "Bars: mean of 3 seeds; error bars: 95% t-interval"). Builders that draw
   * errors set or require it, so every figure states it.
   */
  note?: string;
  /** Print size (default "column", see {@link FIGURE_SIZES}); `width`/`height` override it. */
  size?: FigureSize;
  /** Size in px at print size (defaults: from `size`). */
  width?: number;
  height?: number;
}

/**
 * A figure's title and note as plain text, "title / note", without the line
 * breaks that {@link styledLayout} puts in to fit the figure's width.
 */
export function plainFigureTitle(layout: Layout): string | undefined {
  const text = (layout.title as { text?: string } | undefined)?.text;
  return text
    ?.replace(/<\/span><br><span/g, "</span> <span") // a note's wrapped lines
    .replace(/<br><span/g, " / <span") // title -> note
    .replace(/<br>/g, " ") // a title's wrapped lines
    .replace(/<[^>]+>/g, "");
}

/** Average glyph width of the house font as a fraction of its size (for line breaking). */
const GLYPH_WIDTH = 0.46;

/** Height of one row of a horizontal plotly legend (px, measured on exported figures). */
const LEGEND_ROW = 29;

/** Left and right plot margins (px): the left one holds the value axis and its title. */
const MARGIN = { left: 50, right: 10 };

/** Width of a legend entry's symbol and gaps (px). */
const LEGEND_SYMBOL = 50;

/**
 * Average glyph width of tick-size text (tick labels, legend entries) as a fraction of its
 * size (for line breaking).
 */
const TICK_GLYPH = 0.5;

/**
 * Grown print heights are rounded up to a multiple of this (12 px = 1/8 in), so that a PDF's
 * page is a whole number of eighths of an inch (Chromium rounds odd page sizes by up to a point).
 */
const HEIGHT_STEP = 12;

/** Height of one line of a wrapped tick label (px: the tick font and its line gap). */
const TICK_LINE = STYLE.tickSize + 4;

/**
 * Characters per line of the category labels of a vertical bar chart with
 * `categories` categories in `width` px: what fits under one category, never
 * fewer than {@link STYLE}.labelChars.
 */
export function categoryLabelChars(categories: number, width: number): number {
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const fits = Math.floor(plotWidth / categories / (TICK_GLYPH * STYLE.tickSize)) - 2;
  return Math.max(STYLE.labelChars, fits);
}

/**
 * Rows a horizontal plotly legend of these entries takes in `width` px: each
 * entry is its symbol and its text, packed left to right.
 */
export function legendRows(labels: readonly string[], width: number): number {
  let rows = labels.length > 0 ? 1 : 0;
  let used = 0;
  for (const label of labels) {
    const w = LEGEND_SYMBOL + TICK_GLYPH * STYLE.tickSize * label.length;
    if (used > 0 && used + w > width) {
      rows++;
      used = 0;
    }
    used += w;
  }
  return rows;
}

/**
 * The base layout of every kit figure: white background, house font, the
 * title and the error note at the top (each wrapped to the figure's width),
 * the legend between them and the plot. `legend` lists the entries the
 * legend will show, so that the top margin leaves room for all its rows;
 * `tickLines` is the number of lines of the tallest tick label under the plot
 * (wrapped category labels), each line beyond the first adding its height.
 */
export function styledLayout(
  opts: FigureOptions,
  extra: Layout = {},
  legend: readonly string[] = [],
  tickLines = 1,
): Layout {
  const { width, height: printHeight } = printSize(opts);
  const charsAt = (px: number) => Math.max(12, Math.floor((width - 8) / (GLYPH_WIDTH * px)));
  const title = opts.title ? wrapLabel(opts.title, charsAt(STYLE.titleSize)).split("<br>") : [];
  const note = opts.note ? wrapLabel(opts.note, charsAt(STYLE.noteSize)).split("<br>") : [];
  const lines = [
    ...title,
    ...note.map((l) =>
      `<span style="font-size:${STYLE.noteSize}px;color:${STYLE.noteColor}">${l}</span>`
    ),
  ];
  const head = title.length * (STYLE.titleSize + 6) + note.length * (STYLE.noteSize + 6);
  // plotly anchors a multi-line container-top title as if it had one line, so its first line
  // would be cut off at the top edge: push it down (and the plot with it) by a line per extra line.
  const extraLines = 12 * Math.max(0, lines.length - 1);
  const showsLegend = extra.showlegend !== false;
  const rows = showsLegend ? Math.max(1, legendRows(legend, width - MARGIN.left - 4)) : 0;
  const margin = {
    l: MARGIN.left,
    r: MARGIN.right,
    t: head + extraLines + (showsLegend ? 1 + rows * LEGEND_ROW : 8),
    b: 40,
  };
  // A top margin beyond the usual one (a title line, a note line, a legend row), and tick
  // label lines beyond the first (plotly's automargin takes them from the plot area), are added
  // to the print height when no height is given, so the plot area keeps its size.
  const usual = STYLE.titleSize + 6 + STYLE.noteSize + 6 + 12 + 1 + LEGEND_ROW;
  const below = Math.max(0, tickLines - 1) * TICK_LINE;
  const grown = printHeight + Math.max(0, margin.t - usual) + below;
  const height = opts.height ?? Math.ceil(grown / HEIGHT_STEP) * HEIGHT_STEP;
  return {
    ...(lines.length > 0
      ? {
        title: {
          text: lines.join("<br>"),
          font: { size: title.length > 0 ? STYLE.titleSize : STYLE.noteSize },
          x: 0.5,
          xanchor: "center",
          y: 1,
          yref: "container",
          yanchor: "top",
          pad: { t: 6 + extraLines },
        },
      }
      : {}),
    width,
    height,
    font: { family: STYLE.fontFamily, size: STYLE.fontSize, color: STYLE.color },
    paper_bgcolor: "white",
    plot_bgcolor: "white",
    colorway: [...PALETTE],
    margin,
    showlegend: true,
    legend: {
      orientation: "h",
      x: 0,
      y: 1.01,
      yanchor: "bottom",
      bgcolor: "rgba(0,0,0,0)",
      font: { size: STYLE.tickSize },
    },
    ...extra,
  };
}
