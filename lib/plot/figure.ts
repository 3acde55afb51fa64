/**
 * The figure model: a plain-JSON plotly.js spec (`{data, layout}`) that can be
 * saved, reloaded and re-rendered anywhere plotly.js runs (Jupyter, a browser,
 * the headless exporter in `export.ts`).
 *
 * Every axis of a kit figure carries a title with its unit, given as an
 * {@link AxisSpec}; builders refuse figures without them.
 *
 * @module
 */

/** One plotly trace (e.g. `{type: "scatter", x, y}`); any plotly.js trace attribute is allowed. */
export type Trace = Record<string, unknown> & { type: string };

/** A plotly layout object. */
export type Layout = Record<string, unknown>;

/** A plotly figure as plain JSON. */
export interface Figure {
  data: Trace[];
  layout: Layout;
}

/**
 * Title and unit of an axis. `unit` is required so that every axis states its
 * unit; pass `null` only for quantities that truly have none (e.g. a class index),
 * which then renders without a unit suffix.
 */
export interface AxisSpec {
  /** Quantity shown, e.g. "Training loss" or "Linear probe top-1". */
  title: string;
  /** Unit, e.g. "%", "s", "epochs", "px"; `null` = dimensionless. */
  unit: string | null;
  /**
   * Smallest and largest value the axis may show (default [0, 100] for a "%"
   * axis, none otherwise): autorange stays inside, error bands are clipped.
   */
  limits?: readonly [number, number];
  /** Whole numbers only (epochs, counts): integer ticks, never 1.2. */
  integer?: boolean;
}

/** Axis label text: "Title (unit)" or "Title" for a dimensionless axis. */
export function axisLabel(axis: AxisSpec, who = "figure"): string {
  if (!axis || typeof axis.title !== "string" || axis.title.trim() === "") {
    throw new Error(
      `${who}: every axis needs a title, e.g. { title: "Epoch", unit: "epochs" }; got ${
        JSON.stringify(axis)
      }`,
    );
  }
  if (axis.unit === undefined || (axis.unit !== null && axis.unit.trim() === "")) {
    throw new Error(
      `${who}: axis "${axis.title}" needs a unit (e.g. unit: "%"); ` +
        `pass unit: null only for a dimensionless quantity`,
    );
  }
  return axis.unit === null ? axis.title : `${axis.title} (${axis.unit})`;
}

/** Names of the axis objects (`xaxis`, `yaxis2`, ...) in a layout. */
export function layoutAxes(layout: Layout): string[] {
  return Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k)).sort();
}

/**
 * Checks that `fig` is a figure this kit can save and render: `data` is an
 * array of traces with a `type`, `layout` is an object, it survives a JSON
 * round trip unchanged, and every visible axis has a non-empty title.
 * Throws an Error naming the problem.
 */
export function validateFigure(fig: Figure, who = "figure"): void {
  if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== "object" || fig.layout === null) {
    throw new Error(
      `${who}: a figure is { data: Trace[], layout: {...} }; build one with lib/plot`,
    );
  }
  fig.data.forEach((t, i) => {
    if (typeof t?.type !== "string") {
      throw new Error(`${who}: trace ${i} has no "type" (e.g. "scatter", "bar", "heatmap")`);
    }
  });
  const axes = layoutAxes(fig.layout);
  for (const name of axes) {
    const axis = fig.layout[name] as { visible?: boolean; title?: { text?: string } };
    if (axis.visible === false) continue;
    if (!axis.title?.text) {
      throw new Error(`${who}: layout.${name} has no title; give every axis a title with its unit`);
    }
  }
  assertPlainJson(fig, who, "figure");
}

/** Throws unless `value` is plain JSON: finite numbers, strings, booleans, null, arrays, objects. */
function assertPlainJson(value: unknown, who: string, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new Error(`${who}: ${path} is ${value}; use null for gaps (see jsonNumbers)`);
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertPlainJson(v, who, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) assertPlainJson(v, who, `${path}.${k}`);
    return;
  }
  throw new Error(
    `${who}: ${path} is not plain JSON (${Object.prototype.toString.call(value)}); ` +
      `convert typed arrays with Array.from / jsonNumbers`,
  );
}

/** Converts numbers for JSON: non-finite values become `null` (a gap in plotly). */
export function jsonNumbers(values: ArrayLike<number>): (number | null)[] {
  return Array.from(values, (v) => (Number.isFinite(v) ? v : null));
}
