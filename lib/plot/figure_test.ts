import assert from "node:assert/strict";
import { axisLabel, jsonNumbers, validateFigure } from "./figure.ts";

Deno.test("axisLabel renders 'Title (unit)' and refuses a missing title or unit", () => {
  assert.equal(axisLabel({ title: "Loss", unit: null }), "Loss");
  assert.equal(axisLabel({ title: "Top-1", unit: "%" }), "Top-1 (%)");
  assert.throws(() => axisLabel({ title: "", unit: "%" }), /needs a title/);
  assert.throws(() => axisLabel({ title: "Top-1", unit: " " }), /needs a unit/);
  assert.throws(() => axisLabel({ title: "Top-1" } as never), /needs a unit/);
});

Deno.test("validateFigure accepts plain JSON figures and rejects untitled axes, NaN and typed arrays", () => {
  const ok = {
    data: [{ type: "scatter", x: [1, 2], y: [3, null] }],
    layout: { xaxis: { title: { text: "Epoch (epochs)" } }, yaxis: { title: { text: "Loss" } } },
  };
  validateFigure(ok);
  assert.throws(
    () => validateFigure({ ...ok, layout: { ...ok.layout, yaxis2: { title: {} } } }),
    /yaxis2 has no title/,
  );
  assert.throws(() => validateFigure({ data: [{ type: "bar", y: [NaN] }], layout: {} }), /NaN/);
  assert.throws(
    () => validateFigure({ data: [{ type: "bar", y: new Float32Array(2) }], layout: {} }),
    /not plain JSON.*Float32Array/,
  );
  assert.throws(() => validateFigure({ data: [{} as never], layout: {} }), /no "type"/);
  assert.deepEqual(jsonNumbers([1, NaN, Infinity, -2]), [1, null, null, -2]);
});
