import assert from "node:assert/strict";
import { meanConfidenceInterval } from "../ablation/stats.ts";
import { Rng } from "../rng.ts";
import { validateFigure } from "./figure.ts";
import { lineChart, seriesOverSeeds } from "./line_chart.ts";
import { PALETTE } from "./style.ts";

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
    const fig = lineChart(series, axes);
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
    { ...axes, errorStyle: "bars" },
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
