import assert from "node:assert/strict";
import { defaultExperiment } from "../config/experiment.ts";
import { configHash } from "../config/experiment.ts";
import { methodSpec, withDefaultOptions } from "./all.ts";

Deno.test("withDefaultOptions: writes every default out under the given values", () => {
  const cfg = { ...defaultExperiment(), method: "smag", methodOptions: { ratio: 0.3 } };
  const full = withDefaultOptions(cfg);
  const defaults = methodSpec("smag").defaults;
  assert.deepEqual(Object.keys(full.methodOptions).sort(), Object.keys(defaults).sort());
  assert.equal(full.methodOptions.ratio, 0.3, "a given value wins");
  for (const [k, v] of Object.entries(defaults)) {
    if (k !== "ratio") assert.deepEqual(full.methodOptions[k], v, k);
  }
  assert.deepEqual(cfg.methodOptions, { ratio: 0.3 }, "the input is not modified");
});

Deno.test("withDefaultOptions: a default written out keys the run like the same value given", async () => {
  const base = { ...defaultExperiment(), method: "simclr" };
  const implicit = withDefaultOptions({ ...base, methodOptions: {} });
  const explicit = withDefaultOptions({
    ...base,
    methodOptions: { temperature: methodSpec("simclr").defaults.temperature },
  });
  assert.equal(await configHash(implicit), await configHash(explicit));
  assert.notEqual(
    await configHash(implicit),
    await configHash(withDefaultOptions({ ...base, methodOptions: { temperature: 0.35 } })),
  );
});

Deno.test("withDefaultOptions: unknown methods and option names are refused with the fix", () => {
  assert.throws(
    () => withDefaultOptions({ ...defaultExperiment(), method: "nope" }),
    /unknown method "nope".*--list-methods/,
  );
  assert.throws(
    () => withDefaultOptions({ ...defaultExperiment(), methodOptions: { temprature: 0.2 } }),
    /temprature/,
  );
});
