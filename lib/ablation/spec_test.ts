import assert from "node:assert/strict";
import { defaultExperiment, type ExperimentConfig } from "../config/experiment.ts";
import { Rng } from "../rng.ts";
import {
  applyPatch,
  defaultResultsDir,
  defineAblation,
  EVIDENCE_PROFILE,
  resultsFolderName,
} from "./spec.ts";
import { getAblation, listAblations, registerAblation } from "./ablations.ts";
import { armConfig, resolveOutDir } from "./runner.ts";

const leafPaths: [keyof ExperimentConfig, string][] = [
  ["optim", "batchSize"],
  ["optim", "epochs"],
  ["optim", "baseLr"],
  ["eval", "knnK"],
  ["eval", "linearMaxIter"],
  ["data", "trainSize"],
];

Deno.test("applyPatch sets exactly the patched leaves and leaves the input untouched", () => {
  const rng = new Rng(1);
  for (let trial = 0; trial < 50; trial++) {
    const base = defaultExperiment();
    const before = structuredClone(base);
    const patch: Record<string, Record<string, number>> = {};
    const chosen = leafPaths.filter(() => rng.bernoulli(0.5));
    for (const [group, key] of chosen) {
      (patch[group] ??= {})[key] = 1 + rng.int(1000);
    }
    const out = applyPatch(base, patch);
    assert.deepEqual(base, before, "input not modified");
    for (const [group, key] of leafPaths) {
      const got = (out[group] as unknown as Record<string, unknown>)[key];
      const want = patch[group]?.[key] ??
        (before[group] as unknown as Record<string, unknown>)[key];
      assert.equal(got, want, `${group}.${key}`);
    }
    assert.deepEqual(out.encoder, before.encoder);
  }
});

Deno.test("applyPatch replaces arrays and parts of another type whole; functions patch a copy", () => {
  const base = defaultExperiment();
  const out = applyPatch(base, {
    encoder: { backbone: { blocks: [2, 2] }, neck: { type: "gated", heads: 2 } },
  });
  assert.deepEqual(out.encoder.backbone.blocks, [2, 2]);
  assert.equal(out.encoder.backbone.width, base.encoder.backbone.width);
  assert.deepEqual(out.encoder.neck, { type: "gated", heads: 2 });
  const fn = applyPatch(base, (c) => {
    c.seed = 9;
    return c;
  });
  assert.equal(fn.seed, 9);
  assert.equal(base.seed, 0);
});

Deno.test("defineAblation rejects bad declarations with the fix", () => {
  const ok = {
    name: "x",
    title: "t",
    question: "q",
    arms: [{ name: "a", label: "A", patch: {} }],
    seeds: 2,
    metrics: ["linearTop1"],
  };
  assert.equal(defineAblation(ok).profiles.tiny !== undefined, true);
  assert.throws(() => defineAblation({ ...ok, name: "a b" }), /only letters/);
  assert.throws(() => defineAblation({ ...ok, arms: [ok.arms[0], ok.arms[0]] }), /used twice/);
  assert.throws(
    () => defineAblation({ ...ok, arms: [{ ...ok.arms[0], name: "a/b" }] }),
    /arm name/,
  );
  assert.throws(() => defineAblation({ ...ok, seeds: 0 }), /seeds must be a positive integer/);
  assert.throws(() => defineAblation({ ...ok, metrics: [] }), /at least one metric/);
  assert.throws(() => defineAblation({ ...ok, baseline: "zz" }), /baseline "zz" is not an arm/);
  assert.throws(() => defineAblation({ ...ok, arms: [] }), /at least one arm/);
  assert.throws(
    () => defineAblation({ ...ok, alsoCompare: [["a", "zz"]] }),
    /alsoCompare names "zz", which is not an arm/,
  );
  assert.throws(() => defineAblation({ ...ok, alsoCompare: [["a", "a"]] }), /with itself/);
});

Deno.test("registry finds simclr-temperature; profiles and --dataset shape its configs", async () => {
  const spec = await getAblation("simclr-temperature");
  assert.deepEqual(spec.arms.map((a) => a.name), ["tau0.1", "tau0.2", "tau0.5"]);
  const tiny = armConfig(spec, "tau0.2", 1, "tiny");
  assert.equal(tiny.methodOptions.temperature, 0.2);
  assert.equal(tiny.seed, 1);
  assert.equal(tiny.data.dataset, "synthetic");
  assert.equal(tiny.encoder.backbone.width, 4);
  const quick = armConfig(spec, "tau0.1", 0, "quick", "svhn");
  assert.equal(quick.data.dataset, "svhn");
  const paper = armConfig(spec, "tau0.5", 0, "paper");
  assert.equal(paper.optim.batchSize, 512);
  assert.equal(paper.optim.epochs, 500);
  assert.equal(paper.encoder.backbone.width, 64);
  assert.equal(armConfig(spec, "tau0.5", 0, "paper", "svhn").optim.epochs, 300);
  await assert.rejects(getAblation("nope"), /unknown ablation "nope".*simclr-temperature/);
  assert.throws(() => armConfig(spec, "tau9", 0, "tiny"), /no arm "tau9"/);
  registerAblation(defineAblation({ ...spec, name: "in-memory" }));
  assert.ok((await listAblations()).some((s) => s.name === "in-memory"));
});

Deno.test("results folders: the evidence profile owns results/<name>, others get a suffix", () => {
  const tauSpecForDirs = defineAblation({
    name: "t",
    title: "t",
    question: "q",
    arms: [{ name: "a", label: "A", patch: {} }],
    seeds: 1,
    metrics: ["linearTop1"],
  });
  assert.equal(EVIDENCE_PROFILE, "10k-15ep");
  assert.equal(defaultResultsDir("smag-mask", "10k-15ep"), "results/smag-mask");
  assert.equal(defaultResultsDir("smag-mask", "quick"), "results/smag-mask-quick");
  assert.equal(defaultResultsDir("smag-mask", "paper"), "results/smag-mask-paper");
  assert.equal(resultsFolderName("smag-mask", "10k-15ep"), "smag-mask");
  assert.equal(resultsFolderName("smag-mask", "tiny"), "smag-mask-tiny");
  assert.equal(resolveOutDir(tauSpecForDirs), "results/t");
  assert.equal(resolveOutDir(tauSpecForDirs, { profile: "tiny" }), "results/t-tiny");
  assert.equal(resolveOutDir(tauSpecForDirs, { profile: "tiny", outDir: "x" }), "x");
});
