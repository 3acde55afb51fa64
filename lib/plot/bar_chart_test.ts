import assert from "node:assert/strict";
import { meanConfidenceInterval } from "../ablation/stats.ts";
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
