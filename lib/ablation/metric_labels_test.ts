import assert from "node:assert/strict";
import { METRIC_LABELS, metricHeading, metricLabel } from "./metric_labels.ts";
import { STANDARD_METRICS } from "./row.ts";
import { metricAxis } from "./figures.ts";

Deno.test("every metric a run reports has a label", () => {
  const missing = STANDARD_METRICS.filter((m) => !(m in METRIC_LABELS));
  assert.deepEqual(missing, [], `add labels for ${missing.join(", ")} to METRIC_LABELS`);
});

Deno.test("tables and figure axes name a metric the same way", () => {
  assert.equal(metricHeading("linearTop1"), "linear probe top-1 accuracy (%)");
  assert.deepEqual(metricAxis("linearTop1"), { title: "Linear probe top-1 accuracy", unit: "%" });
  assert.equal(metricHeading("knnTop1"), "kNN top-1 accuracy (%)");
  assert.equal(metricAxis("knnTop1").title, "kNN top-1 accuracy");
  assert.equal(metricHeading("featureRank"), "effective rank of the features");
  assert.deepEqual(metricAxis("featureRank").unit, null);
});

Deno.test("an unknown metric keeps its name; one ending in seconds is in s", () => {
  assert.deepEqual(metricLabel("lossAtEnd"), { name: "lossAtEnd", unit: null });
  assert.deepEqual(metricLabel("trainSeconds"), { name: "trainSeconds", unit: "s" });
  assert.equal(metricHeading("trainSeconds"), "trainSeconds (s)");
});
