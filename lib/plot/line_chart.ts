/**
 * Line charts: y against x for one or more series, with optional error bands
 * or error bars (std, or a confidence interval over seeds). Every band is
 * drawn below every line (a band over a line would tint it away from its
 * legend colour), and a chart with errors says what they are (`errorNote`).
 *
 * @module
 */
import { meanConfidenceInterval } from "../stats/t_interval.ts";
import { type AxisSpec, type Figure, jsonNumbers, type Trace } from "./figure.ts";
import {
  axisLimits,
  type FigureOptions,
  integerTicks,
  seriesColor,
  STYLE,
  styledAxis,
  styledLayout,
  valueTitleChars,
  withAlpha,
} from "./style.ts";

/** One line. `x`, `y` (and the error arrays) have one entry per point. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number> | readonly string[];
  y: ArrayLike<number>;
  /** Symmetric error per point (e.g. std or CI half-width): drawn y ± error. */
  error?: ArrayLike<number>;
  /** Explicit lower / upper bounds per point (e.g. a CI); used instead of `error`. */
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  /**
   * A reference line (a target, a chance level, a baseline value): drawn dashed in the note
   * colour without markers, and it takes no colour from the palette.
   */
  reference?: boolean;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions extends FigureOptions {
  x: AxisSpec;
  y: AxisSpec;
  /** How errors are drawn: shaded band (default) or error bars. */
  errorStyle?: "band" | "bars";
  /**
   * What the bands or error bars are, shown under the title, e.g.
   * `intervalNote(3, "band")`; required when a series has errors.
   */
  errorNote?: string;
  /** Draw markers on the points (default: only when a series has <= 30 points). */
  markers?: boolean;
  logX?: boolean;
  logY?: boolean;
}

/**
 * Line chart of `series` (one colour each from the house palette).
 * Throws when lengths differ or an axis lacks its title/unit.
 */
export function lineChart(series: readonly LineSeries[], opts: LineChartOptions): Figure {
  const who = "lineChart";
  if (series.length === 0) throw new Error(`${who}: no series given; pass [{ name, x, y }]`);
  const bands: Trace[] = [];
  const lines: Trace[] = [];
  const limits = axisLimits(opts.y);
  const clip = (v: number) => limits ? Math.min(limits[1], Math.max(limits[0], v)) : v;
  const xValues: number[] = [];
  let hasErrors = false;
  let paletteIndex = 0;
  series.forEach((s) => {
    const n = s.x.length;
    const check = (arr: ArrayLike<number> | undefined, field: string) => {
      if (arr && arr.length !== n) {
        throw new Error(
          `${who}: series "${s.name}" has ${n} x values but ${arr.length} ${field} values; ` +
            `give every array one value per point`,
        );
      }
    };
    check(s.y, "y");
    check(s.error, "error");
    check(s.lower, "lower");
    check(s.upper, "upper");
    if ((s.lower === undefined) !== (s.upper === undefined)) {
      throw new Error(`${who}: series "${s.name}" gives only one of lower/upper; give both`);
    }
    const color = s.reference ? STYLE.noteColor : seriesColor(paletteIndex++);
    const x = typeof s.x[0] === "string"
      ? Array.from(s.x as string[])
      : jsonNumbers(s.x as number[]);
    if (typeof s.x[0] !== "string") xValues.push(...Array.from(s.x as ArrayLike<number>));
    const y = Array.from(s.y);
    const lower = s.lower ? Array.from(s.lower) : s.error ? y.map((v, k) => v - s.error![k]) : null;
    const upper = s.upper ? Array.from(s.upper) : s.error ? y.map((v, k) => v + s.error![k]) : null;
    if (lower && upper) hasErrors = true;
    const showMarkers = !s.reference && (opts.markers ?? n <= 30);
    const line: Trace = {
      type: "scatter",
      mode: showMarkers ? "lines+markers" : "lines",
      name: s.name,
      legendgroup: s.name,
      x,
      y: jsonNumbers(y),
      line: { color, width: STYLE.lineWidth, ...(s.reference ? { dash: "dash" } : {}) },
      marker: { color, size: STYLE.markerSize },
    };
    if (lower && upper && (opts.errorStyle ?? "band") === "band") {
      const band = { type: "scatter", mode: "lines", x, legendgroup: s.name, showlegend: false };
      bands.push({
        ...band,
        y: jsonNumbers(upper.map(clip)),
        line: { width: 0 },
        hoverinfo: "skip",
      });
      bands.push({
        ...band,
        y: jsonNumbers(lower.map(clip)),
        line: { width: 0 },
        fill: "tonexty",
        fillcolor: withAlpha(color, STYLE.bandOpacity),
        hoverinfo: "skip",
      });
    } else if (lower && upper) {
      line.error_y = {
        type: "data",
        symmetric: false,
        array: jsonNumbers(upper.map((u, k) => clip(u) - y[k])),
        arrayminus: jsonNumbers(y.map((v, k) => v - clip(lower[k]))),
        color,
        thickness: 1.2,
        width: 3,
      };
    }
    lines.push(line);
  });
  if (hasErrors && !opts.errorNote && !opts.note) {
    throw new Error(
      `${who}: the chart draws error ${(opts.errorStyle ?? "band") === "band" ? "bands" : "bars"}` +
        ` but does not say what they are; pass errorNote (e.g. intervalNote(seeds, "band"))`,
    );
  }
  const layout = styledLayout({ ...opts, note: opts.note ?? opts.errorNote }, {
    showlegend: series.length > 1,
    xaxis: styledAxis(opts.x, who, {
      ...(opts.logX ? { type: "log" } : {}),
      ...(opts.x.integer ? integerTicks(xValues) : {}),
    }),
    yaxis: styledAxis(opts.y, who, opts.logY ? { type: "log" } : {}, valueTitleChars(opts)),
  }, series.map((s) => s.name));
  // Bands first, lines after: plotly draws traces in order, so every line lies on top.
  return { data: [...bands, ...lines], layout };
}

/**
 * The note saying what error marks are, e.g. `intervalNote(3, "band")` ->
 * "Lines: mean of 3 seeds; bands: 95% t-interval of the mean". `seeds` may be
 * a range [min, max] when series differ.
 */
export function intervalNote(
  seeds: number | readonly [number, number],
  marks: "band" | "bars",
  level = 0.95,
): string {
  const n = typeof seeds === "number"
    ? String(seeds)
    : seeds[0] === seeds[1]
    ? String(seeds[0])
    : `${seeds[0]}-${seeds[1]}`;
  const pct = `${Math.round(level * 1000) / 10}%`;
  const what = marks === "band" ? "Lines" : "Points";
  const err = marks === "band" ? "bands" : "error bars";
  return `${what}: mean of ${n} seeds; ${err}: ${pct} t-interval of the mean`;
}

/**
 * A series summarising several seeds: mean per point and its Student-t
 * confidence interval (`level`, default 0.95) as lower/upper.
 * `ys[s][k]` is seed s at point k; all seeds need the same length.
 */
export function seriesOverSeeds(
  name: string,
  x: ArrayLike<number> | readonly string[],
  ys: readonly (ArrayLike<number>)[],
  level = 0.95,
): LineSeries {
  if (ys.length === 0) throw new Error(`seriesOverSeeds("${name}"): no seeds given`);
  ys.forEach((row, s) => {
    if (row.length !== x.length) {
      throw new Error(
        `seriesOverSeeds("${name}"): seed ${s} has ${row.length} values for ${x.length} x values`,
      );
    }
  });
  const stats = Array.from(
    { length: x.length },
    (_, k) => meanConfidenceInterval(ys.map((row) => row[k]), level),
  );
  const single = ys.length < 2;
  return {
    name,
    x,
    y: stats.map((st) => st.mean),
    ...(single ? {} : { lower: stats.map((st) => st.low), upper: stats.map((st) => st.high) }),
  };
}
