/**
 * Bar charts of a metric per category, grouped by series, with error bars
 * from repeated runs (mean ± confidence interval over seeds, or ± std). The
 * figure states what bars and error bars are (a note under the title), and
 * long category labels wrap onto lines instead of rotating.
 *
 * @module
 */
import { meanConfidenceInterval } from "../stats/t_interval.ts";
import { type AxisSpec, type Figure, jsonNumbers, type Trace } from "./figure.ts";
import {
  type FigureOptions,
  seriesColor,
  STYLE,
  styledAxis,
  styledLayout,
  valueTitleChars,
  wrapLabel,
} from "./style.ts";

/** One group of bars: `samples[c]` are the values (e.g. one per seed) of category c. */
export interface BarSeries {
  name: string;
  samples: readonly (readonly number[])[];
}

/** Options of {@link barChart}. */
export interface BarChartOptions extends FigureOptions {
  /** Category axis (e.g. { title: "Masking strategy", unit: null }). */
  x: AxisSpec;
  /** Value axis (e.g. { title: "Linear probe top-1", unit: "%" }). */
  y: AxisSpec;
  /** Error bar: "ci" (Student-t interval, default), "std", or "none". */
  error?: "ci" | "std" | "none";
  /** Confidence level of "ci" (default 0.95). */
  level?: number;
}

/**
 * Grouped bar chart: one bar per (category, series) at the mean of its
 * samples, with error bars over samples when there are at least 2.
 */
export function barChart(
  categories: readonly string[],
  series: readonly BarSeries[],
  opts: BarChartOptions,
): Figure {
  const who = "barChart";
  if (categories.length === 0 || series.length === 0) {
    throw new Error(`${who}: give at least one category and one series`);
  }
  const errorKind = opts.error ?? "ci";
  const counts: number[] = [];
  const labels = categories.map((c) => wrapLabel(c));
  const data: Trace[] = series.map((s, i) => {
    if (s.samples.length !== categories.length) {
      throw new Error(
        `${who}: series "${s.name}" has ${s.samples.length} sample lists for ` +
          `${categories.length} categories; give one list (e.g. one value per seed) per category`,
      );
    }
    const stats = s.samples.map((xs, c) => {
      if (xs.length === 0) {
        throw new Error(`${who}: series "${s.name}", category "${categories[c]}" has no values`);
      }
      counts.push(xs.length);
      return meanConfidenceInterval(xs, opts.level ?? 0.95);
    });
    const err = stats.map((st) =>
      st.n < 2 || errorKind === "none" ? NaN : errorKind === "std" ? st.std : st.halfWidth
    );
    const color = seriesColor(i);
    const trace: Trace = {
      type: "bar",
      name: s.name,
      x: labels,
      y: jsonNumbers(stats.map((st) => st.mean)),
      marker: { color, line: { width: 0 } },
      customdata: stats.map((st) => st.n),
      hovertemplate: `%{x}: %{y:.3g} (n=%{customdata})<extra>${s.name}</extra>`,
    };
    if (err.some(Number.isFinite)) {
      trace.error_y = {
        type: "data",
        array: jsonNumbers(err),
        color: STYLE.color,
        thickness: 1.2,
        width: 4,
      };
    }
    return trace;
  });
  const layout = styledLayout({ ...opts, note: opts.note ?? barNote(counts, errorKind, opts) }, {
    barmode: "group",
    bargap: 0.25,
    showlegend: series.length > 1,
    xaxis: styledAxis(opts.x, who, { type: "category", tickangle: 0 }),
    yaxis: styledAxis(opts.y, who, { rangemode: "tozero" }, valueTitleChars(opts)),
  });
  return { data, layout };
}

/** "Bars: mean of 3 seeds; error bars: 95% t-interval of the mean" (or std, or none). */
function barNote(counts: readonly number[], kind: "ci" | "std" | "none", opts: BarChartOptions) {
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  const n = lo === hi ? String(lo) : `${lo}-${hi}`;
  if (hi < 2) return `Bars: one run each (no error bars)`;
  if (kind === "none") return `Bars: mean of ${n} seeds (no error bars)`;
  const err = kind === "std"
    ? "sample standard deviation"
    : `${Math.round((opts.level ?? 0.95) * 1000) / 10}% t-interval of the mean`;
  return `Bars: mean of ${n} seeds; error bars: ${err}`;
}
