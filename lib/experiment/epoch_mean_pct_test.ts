import assert from "node:assert/strict";
import { epochMeanPct } from "./run.ts";

Deno.test("epochMeanPct: mean over the epochs that logged a metric, in percent; absent ones left out", () => {
  const history: { metrics: Record<string, number> }[] = [
    { metrics: { visibleCells: 0.03, noVisibleCell: 0.6 } },
    { metrics: { visibleCells: 0.05, noVisibleCell: 0.7 } },
    { metrics: {} },
  ];
  assert.deepEqual(
    epochMeanPct(history, {
      visibleCells: "visibleCellPct",
      noVisibleCell: "noVisibleCellPct",
      other: "otherPct",
    }),
    { visibleCellPct: 4, noVisibleCellPct: 65 },
  );
  assert.deepEqual(epochMeanPct([], { visibleCells: "visibleCellPct" }), {});
});
