import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { validateFigure } from "./figure.ts";
import { heatmap } from "./heatmap.ts";

const opts = {
  x: { title: "Token size", unit: "px" },
  y: { title: "Token count", unit: null },
  value: { title: "Top-1", unit: "%" },
};

Deno.test("heatmap keeps z[row][col], labels and a colour bar titled with its unit", () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 4; trial++) {
    const rows = 1 + rng.int(6);
    const cols = 1 + rng.int(6);
    const z = Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.next()));
    const fig = heatmap(z, { ...opts, annotateDigits: 2 });
    validateFigure(fig);
    const t = fig.data[0] as unknown as {
      z: number[][];
      x: string[];
      y: string[];
      text: string[][];
    };
    assert.deepEqual(t.z, z);
    assert.equal(t.x.length, cols);
    assert.equal(t.y.length, rows);
    assert.equal(t.text[rows - 1][cols - 1], z[rows - 1][cols - 1].toFixed(2));
    const bar = (fig.data[0].colorbar as { title: { text: string } }).title.text;
    assert.equal(bar, "Top-1 (%)");
  }
});

Deno.test("heatmap rejects ragged grids and wrong label counts; NaN becomes a gap", () => {
  assert.throws(() => heatmap([[1, 2], [3]], opts), /rectangular/);
  assert.throws(() => heatmap([[1, 2]], { ...opts, xLabels: [1] }), /one label per column/);
  const fig = heatmap([[NaN, 1]], opts);
  assert.deepEqual(fig.data[0].z, [[null, 1]]);
});
