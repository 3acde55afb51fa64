import assert from "node:assert/strict";
import { plainFigureTitle } from "./style.ts";
import { meanConfidenceInterval } from "../stats/t_interval.ts";
import { Rng } from "../rng.ts";
import { validateFigure } from "./figure.ts";
import { barChart } from "./bar_chart.ts";

const axes = { x: { title: "Masking", unit: null }, y: { title: "Top-1", unit: "%" } };

Deno.test("barChart: bar height = mean over seeds, error bar = CI half-width (or std)", () => {
  const rng = new Rng(11);
  const cats = ["none", "random", "block"];
  const series = ["A", "B"].map((name) => ({
    name,
    samples: cats.map(() => Array.from({ length: 2 + rng.int(4) }, () => rng.uniform(30, 60))),
  }));
  for (const error of ["ci", "std"] as const) {
    const fig = barChart(cats, series, { ...axes, error });
    validateFigure(fig);
    assert.equal(fig.data.length, 2);
    fig.data.forEach((t, s) => {
      assert.deepEqual(t.x, cats);
      assert.equal((t.error_y as { color: string }).color, "#222222");
      series[s].samples.forEach((xs, c) => {
        const st = meanConfidenceInterval(xs);
        assert.ok(Math.abs((t.y as number[])[c] - st.mean) < 1e-9);
        const e = (t.error_y as { array: number[] }).array[c];
        assert.ok(Math.abs(e - (error === "ci" ? st.halfWidth : st.std)) < 1e-9);
      });
    });
    assert.equal((fig.layout.yaxis as { title: { text: string } }).title.text, "Top-1 (%)");
  }
});

Deno.test("barChart: single samples get no error bars; shape mismatches throw", () => {
  const fig = barChart(["a", "b"], [{ name: "x", samples: [[1], [2]] }], axes);
  assert.equal(fig.data[0].error_y, undefined);
  assert.throws(
    () => barChart(["a", "b"], [{ name: "x", samples: [[1]] }], axes),
    /1 sample lists for 2/,
  );
  assert.throws(() => barChart(["a"], [{ name: "x", samples: [[]] }], axes), /has no values/);
});

Deno.test("barChart: the note says what bars and error bars are; long labels wrap, axis in [0, 100]", () => {
  const cats = ["Baseline (GAP)", "HSAGM (MLP + GRU + GAM)"];
  const fig = barChart(cats, [{ name: "linear", samples: [[30, 31, 32], [29, 30, 31]] }], axes);
  const title = plainFigureTitle(fig.layout)!;
  assert.match(title, /Bars: mean of 3 seeds; error bars: 95% t-interval of the mean/);
  // Two categories of a column figure: each label has about 23 characters of room.
  assert.deepEqual(fig.data[0].x, cats);
  const six = [...cats, "c", "d", "e", "f"];
  const crowded = barChart(six, [{ name: "l", samples: six.map(() => [1, 2]) }], axes);
  assert.deepEqual((crowded.data[0].x as string[]).slice(0, 2), [
    "Baseline<br>(GAP)",
    "HSAGM (MLP +<br>GRU + GAM)",
  ]);
  // The second line of the labels adds its height to the figure instead of taking the plot's.
  assert.ok((crowded.layout.height as number) > (fig.layout.height as number));
  const xaxis = fig.layout.xaxis as { tickangle: number };
  assert.equal(xaxis.tickangle, 0);
  const yaxis = fig.layout.yaxis as { autorangeoptions: { clipmax: number } };
  assert.equal(yaxis.autorangeoptions.clipmax, 100);
  const std = barChart(["a"], [{ name: "x", samples: [[1, 2]] }], { ...axes, error: "std" });
  assert.match(plainFigureTitle(std.layout)!, /sample standard deviation/);
  const one = barChart(["a"], [{ name: "x", samples: [[1]] }], axes);
  assert.match(plainFigureTitle(one.layout)!, /one run each/);
});

Deno.test("barChart: given intervals draw asymmetric error bars; they must contain the bar", () => {
  const fig = barChart(["a", "b", "c"], [{
    name: "diff",
    samples: [[0.5], [-1], [2]],
    intervals: [[-0.35, 1.35], null, [1.5, 4]],
  }], axes);
  validateFigure(fig);
  type Bars = { symmetric: boolean; array: (number | null)[]; arrayminus: (number | null)[] };
  const e = fig.data[0].error_y as Bars;
  const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  assert.equal(e.symmetric, false);
  assert.equal((fig.data[0].error_y as { width: number }).width, 0, "no caps: b has none");
  assert.deepEqual(e.array.map(round), [0.85, null, 2]); // high - value; none for b
  assert.deepEqual(e.arrayminus.map(round), [0.85, null, 0.5]); // value - low
  assert.match(plainFigureTitle(fig.layout)!, /intervals given per series/);
  assert.throws(
    () => barChart(["a"], [{ name: "x", samples: [[3]], intervals: [[0, 1]] }], axes),
    /does not contain its bar's value/,
  );
  assert.throws(
    () => barChart(["a", "b"], [{ name: "x", samples: [[1], [2]], intervals: [[0, 2]] }], axes),
    /1 intervals for 2 categories/,
  );
});

Deno.test("barChart: horizontal bars list categories top to bottom with the value axis along x", () => {
  const cats = ["S-MAG Table 3: HSAGM vs GAP", "saliency poster: saliency vs random"];
  const fig = barChart(cats, [{ name: "x", samples: [[1, 2, 3], [2, 3, 4]] }], {
    ...axes,
    orientation: "horizontal",
  });
  validateFigure(fig);
  const t = fig.data[0];
  assert.equal(t.orientation, "h");
  assert.deepEqual(t.x, [2, 3]);
  assert.equal((t.y as string[]).length, 2);
  assert.ok(t.error_x !== undefined && t.error_y === undefined);
  const yaxis = fig.layout.yaxis as { type: string; autorange: string };
  assert.equal(yaxis.type, "category");
  assert.equal(yaxis.autorange, "reversed");
  assert.equal((fig.layout.xaxis as { title: { text: string } }).title.text, "Top-1 (%)");
});
