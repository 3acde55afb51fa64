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
  categoryLabelChars,
  type FigureOptions,
  printSize,
  seriesColor,
  STYLE,
  styledAxis,
  styledLayout,
  valueTitleChars,
  wrapLabel,
} from "./style.ts";

/**
 * One group of bars: `samples[c]` are the values (e.g. one per seed) of category c. With
 * `intervals`, the error bar of category c spans `intervals[c]` = [low, high] as given (e.g. a
 * comparison's Welch or paired interval, which a t-interval of `samples` would not reproduce);
 * `null` draws none for that category.
 */
export interface BarSeries {
  name: string;
  samples: readonly (readonly number[])[];
  intervals?: readonly (readonly [number, number] | null)[];
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
  /**
   * "vertical" bars (default) or "horizontal" ones, categories listed top to bottom: long or
   * many category labels stay readable. `x` stays the category axis and `y` the value axis.
   */
  orientation?: "vertical" | "horizontal";
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
  const horizontal = opts.orientation === "horizontal";
  const counts: number[] = [];
  let given = false;
  const { width } = printSize(opts);
  const labels = categories.map((c) =>
    wrapLabel(c, horizontal ? 2 * STYLE.labelChars : categoryLabelChars(categories.length, width))
  );
  const data: Trace[] = series.map((s, i) => {
    if (s.samples.length !== categories.length) {
      throw new Error(
        `${who}: series "${s.name}" has ${s.samples.length} sample lists for ` +
          `${categories.length} categories; give one list (e.g. one value per seed) per category`,
      );
    }
    if (s.intervals && s.intervals.length !== categories.length) {
      throw new Error(
        `${who}: series "${s.name}" has ${s.intervals.length} intervals for ` +
          `${categories.length} categories; give one [low, high] (or null) per category`,
      );
    }
    const stats = s.samples.map((xs, c) => {
      if (xs.length === 0) {
        throw new Error(`${who}: series "${s.name}", category "${categories[c]}" has no values`);
      }
      counts.push(xs.length);
      return meanConfidenceInterval(xs, opts.level ?? 0.95);
    });
    let plus: number[];
    let minus: number[] | null = null;
    if (s.intervals) {
      given = true;
      plus = stats.map((st, c) => s.intervals![c] ? s.intervals![c]![1] - st.mean : NaN);
      minus = stats.map((st, c) => s.intervals![c] ? st.mean - s.intervals![c]![0] : NaN);
      if ([...plus, ...minus].some((e) => e < 0)) {
        throw new Error(
          `${who}: series "${s.name}" has an interval that does not contain its bar's value; ` +
            `give [low, high] around the mean of the samples`,
        );
      }
    } else {
      plus = stats.map((st) =>
        st.n < 2 || errorKind === "none" ? NaN : errorKind === "std" ? st.std : st.halfWidth
      );
    }
    const color = seriesColor(i);
    const values = jsonNumbers(stats.map((st) => st.mean));
    const trace: Trace = {
      type: "bar",
      name: s.name,
      ...(horizontal ? { orientation: "h", y: labels, x: values } : { x: labels, y: values }),
      marker: { color, line: { width: 0 } },
      customdata: stats.map((st) => st.n),
      hovertemplate: horizontal
        ? `%{y}: %{x:.3g} (n=%{customdata})<extra>${s.name}</extra>`
        : `%{x}: %{y:.3g} (n=%{customdata})<extra>${s.name}</extra>`,
    };
    if (plus.some(Number.isFinite)) {
      trace[horizontal ? "error_x" : "error_y"] = {
        type: "data",
        ...(minus ? { symmetric: false, arrayminus: jsonNumbers(minus) } : {}),
        array: jsonNumbers(plus),
        color: STYLE.color,
        thickness: 1.2,
        // plotly draws a missing interval as a zero-length bar; without caps it stays invisible.
        width: s.intervals?.some((iv) => iv === null) ? 0 : 4,
      };
    }
    return trace;
  });
  const note = opts.note ?? barNote(counts, errorKind, opts, given);
  const categoryAxis = styledAxis(
    opts.x,
    who,
    horizontal ? { type: "category", autorange: "reversed" } : { type: "category", tickangle: 0 },
  );
  const valueAxis = styledAxis(
    opts.y,
    who,
    { rangemode: "tozero" },
    horizontal ? undefined : valueTitleChars(opts),
  );
  const layout = styledLayout(
    { ...opts, note },
    {
      barmode: "group",
      bargap: 0.25,
      showlegend: series.length > 1,
      xaxis: horizontal ? valueAxis : categoryAxis,
      yaxis: horizontal ? categoryAxis : valueAxis,
    },
    series.map((s) => s.name),
    horizontal ? 1 : Math.max(...labels.map((l) => l.split("<br>").length)),
  );
  return { data, layout };
}

/** "Bars: mean of 3 seeds; error bars: 95% t-interval of the mean" (or std, or none). */
function barNote(
  counts: readonly number[],
  kind: "ci" | "std" | "none",
  opts: BarChartOptions,
  given: boolean,
) {
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  const n = lo === hi ? String(lo) : `${lo}-${hi}`;
  if (given) return `Bars: mean of ${n} value(s); error bars: the intervals given per series`;
  if (hi < 2) return `Bars: one run each (no error bars)`;
  if (kind === "none") return `Bars: mean of ${n} seeds (no error bars)`;
  const err = kind === "std"
    ? "sample standard deviation"
    : `${Math.round((opts.level ?? 0.95) * 1000) / 10}% t-interval of the mean`;
  return `Bars: mean of ${n} seeds; error bars: ${err}`;
}
