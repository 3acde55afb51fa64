import assert from "node:assert/strict";
import { meanConfidenceInterval } from "../stats/t_interval.ts";
import { Rng } from "../rng.ts";
import { validateFigure } from "./figure.ts";
import { intervalNote, lineChart, seriesOverSeeds } from "./line_chart.ts";
import { PALETTE, plainFigureTitle } from "./style.ts";

const axes = { x: { title: "Epoch", unit: "epochs" }, y: { title: "Loss", unit: null } };

Deno.test("lineChart: one line per series in palette order, bands drawn as fill pairs, axis titles set", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 5; trial++) {
    const nSeries = 1 + rng.int(4);
    const n = 2 + rng.int(40);
    const x = Array.from({ length: n }, (_, i) => i);
    const withError = Array.from({ length: nSeries }, () => rng.bernoulli(0.5));
    const series = withError.map((err, s) => ({
      name: `s${s}`,
      x,
      y: x.map(() => rng.gaussian()),
      ...(err ? { error: x.map(() => rng.uniform(0, 1)) } : {}),
    }));
    const fig = lineChart(series, { ...axes, errorNote: "bands: ± error" });
    validateFigure(fig);
    const lines = fig.data.filter((t) => t.showlegend !== false);
    assert.equal(lines.length, nSeries);
    lines.forEach((t, s) => {
      assert.equal((t.line as { color: string }).color, PALETTE[s]);
      assert.deepEqual(t.y, series[s].y);
    });
    const bands = fig.data.filter((t) => t.fill === "tonexty");
    assert.equal(bands.length, withError.filter(Boolean).length);
    assert.equal((fig.layout.xaxis as { title: { text: string } }).title.text, "Epoch (epochs)");
    assert.equal((fig.layout.yaxis as { title: { text: string } }).title.text, "Loss");
  }
});

Deno.test("lineChart: error bars span lower..upper; mismatched lengths and missing units throw", () => {
  const fig = lineChart(
    [{ name: "a", x: [0, 1], y: [1, 2], lower: [0.5, 1.0], upper: [2, 2.5] }],
    { ...axes, errorStyle: "bars", errorNote: intervalNote(3, "bars") },
  );
  const err = fig.data[0].error_y as { array: number[]; arrayminus: number[] };
  assert.deepEqual(err.array, [1, 0.5]);
  assert.deepEqual(err.arrayminus, [0.5, 1]);
  assert.throws(() => lineChart([{ name: "a", x: [0, 1], y: [1] }], axes), /2 x values but 1 y/);
  assert.throws(
    () => lineChart([{ name: "a", x: [0], y: [1] }], { ...axes, y: { title: "Loss" } as never }),
    /needs a unit/,
  );
});

Deno.test("seriesOverSeeds gives the per-point mean and Student-t interval over seeds", () => {
  const rng = new Rng(3);
  const x = [1, 2, 3, 4];
  const ys = Array.from({ length: 5 }, () => x.map(() => rng.gaussian()));
  const s = seriesOverSeeds("m", x, ys);
  x.forEach((_, k) => {
    const ci = meanConfidenceInterval(ys.map((r) => r[k]));
    assert.ok(Math.abs((s.y as number[])[k] - ci.mean) < 1e-12);
    assert.ok(Math.abs((s.lower as number[])[k] - ci.low) < 1e-12);
    assert.ok((s.upper as number[])[k] > (s.y as number[])[k]);
  });
  assert.equal(seriesOverSeeds("one", x, [ys[0]]).lower, undefined);
});

Deno.test("lineChart: every band lies below every line, so no band tints a line", () => {
  const rng = new Rng(19);
  const x = [1, 2, 3, 4, 5];
  const ys = () => Array.from({ length: 3 }, () => x.map(() => rng.uniform(20, 60)));
  const fig = lineChart(
    ["a", "b", "c"].map((name) => seriesOverSeeds(name, x, ys())),
    {
      x: { title: "Epoch", unit: null, integer: true },
      y: { title: "Top-1", unit: "%" },
      errorNote: intervalNote(3, "band"),
    },
  );
  const isBand = (t: Record<string, unknown>) => t.showlegend === false;
  const lastBand = fig.data.map(isBand).lastIndexOf(true);
  const firstLine = fig.data.map(isBand).indexOf(false);
  assert.equal(fig.data.filter(isBand).length, 6);
  assert.ok(lastBand < firstLine, `band at ${lastBand} drawn after a line at ${firstLine}`);
  // Each lower band fills to its own upper band (the trace right before it).
  fig.data.forEach((t, i) => {
    if (t.fill === "tonexty") assert.equal(fig.data[i - 1].legendgroup, t.legendgroup);
  });
  const title = plainFigureTitle(fig.layout)!;
  assert.match(title, /Lines: mean of 3 seeds; bands: 95% t-interval of the mean/);
});

Deno.test("lineChart: errors without a note throw; % axes stay in [0, 100]; integer axes tick on integers", () => {
  const series = [{ name: "a", x: [1, 2], y: [3, 99], lower: [-20, 90], upper: [10, 120] }];
  const y = { title: "kNN top-1", unit: "%" };
  assert.throws(() => lineChart(series, { x: axes.x, y }), /does not say what they are/);
  const fig = lineChart(series, {
    x: { title: "Epoch", unit: null, integer: true },
    y,
    errorNote: "bands: 95% CI",
  });
  const yaxis = fig.layout.yaxis as {
    autorangeoptions: { clipmin: number; clipmax: number };
  };
  assert.deepEqual(yaxis.autorangeoptions, { clipmin: 0, clipmax: 100 });
  const band = fig.data.filter((t) => t.showlegend === false).map((t) => t.y as number[]);
  assert.deepEqual(band, [[10, 100], [0, 90]]);
  const xaxis = fig.layout.xaxis as { tickvals: number[]; title: { text: string } };
  assert.deepEqual(xaxis.tickvals, [1, 2]);
  assert.equal(xaxis.title.text, "Epoch");
  const long = lineChart([{ name: "a", x: [0, 100], y: [1, 2] }], {
    x: { title: "Epoch", unit: null, integer: true },
    y: { title: "Loss", unit: null },
  });
  const lx = long.layout.xaxis as { dtick: number; tickformat: string };
  assert.ok(Number.isInteger(lx.dtick) && lx.dtick >= 1);
  assert.equal(lx.tickformat, "d");
});

Deno.test("lineChart: a reference line is dashed, has no markers and takes no palette colour", () => {
  const x = [1, 2, 3];
  const fig = lineChart([
    { name: "target", x, y: [50, 50, 50], reference: true },
    { name: "a", x, y: [51, 60, 55] },
    { name: "b", x, y: [49, 52, 50] },
  ], { ...axes, markers: true });
  const [target, a, b] = fig.data;
  assert.equal((target.line as { dash: string }).dash, "dash");
  assert.equal(target.mode, "lines");
  assert.notEqual((target.line as { color: string }).color, PALETTE[0]);
  assert.equal((a.line as { color: string }).color, PALETTE[0]);
  assert.equal((b.line as { color: string }).color, PALETTE[1]);
  assert.equal(a.mode, "lines+markers");
});
