import assert from "node:assert/strict";
import {
  backboneChannels,
  isNeckPreset,
  NECK_PRESETS,
  neckPreset,
  paperTokenSpecs,
  PROJECTION_HEAD,
  saliencyGeometry,
  smagTokenSpec,
} from "./presets.ts";
import { canonicalJson, defaultExperiment } from "./experiment.ts";

Deno.test("neck presets are exactly the configs the ablations have always used (cache keys)", () => {
  // The literals below are the ones the ablation files spelled out before the presets existed;
  // configs (and so run hashes and cached results) must not change.
  assert.deepEqual(neckPreset("gap"), { type: "gap" });
  assert.deepEqual(neckPreset("sam"), { type: "sam", hidden: 128, maskedTokens: "exclude" });
  assert.deepEqual(neckPreset("gam"), { type: "gam", hidden: 128, maskedTokens: "exclude" });
  assert.deepEqual(neckPreset("hsagm", 128), {
    type: "hsagm",
    mlpDim: 128,
    gruDim: 128,
    attnDim: 128,
    outDim: 128,
    maskedTokens: "exclude",
  });
  assert.throws(() => neckPreset("hsagm"), /sized by the backbone's output channels/);
  assert.deepEqual(neckPreset("hsagm", 64, { attnHidden: 32, outDim: 16 }).attnDim, 32);
  assert.deepEqual(neckPreset("hsagm", 64, { attnHidden: 32, outDim: 16 }).outDim, 16);
  assert.deepEqual([...NECK_PRESETS], ["gap", "sam", "gam", "hsagm"]);
  assert.equal(neckPreset("hsagm", 64).scorer, undefined, "F9's ReLU scorer: the default");
  assert.equal(neckPreset("hsagm", 64, { scorer: "gated" }).scorer, "gated");
  assert.ok(isNeckPreset("gam") && !isNeckPreset("mlp"));
});

Deno.test("the default head is the projection preset; channels follow the ResNet width", () => {
  const cfg = defaultExperiment();
  assert.equal(canonicalJson(cfg.encoder.head), '{"hidden":256,"out":256,"type":"projection"}');
  assert.deepEqual(cfg.encoder.head, { ...PROJECTION_HEAD });
  assert.equal(backboneChannels({ type: "resnet", blocks: [1, 1, 1, 1], width: 16 }), 128);
  assert.throws(() => backboneChannels({ type: "vit" }, "x"), /x: the backbone config needs/);
});

Deno.test("paper token settings rescale to 32x32 as documented (Fig. 4: 3x3 x 171)", () => {
  const fig4 = smagTokenSpec(32);
  assert.deepEqual([fig4.tokenSize, fig4.tokenCount], [3, 171]);
  assert.deepEqual(
    paperTokenSpecs(32).map(({ scaled }) => [scaled.tokenSize, scaled.tokenCount]),
    [[1, 203], [1, 404], [3, 89], [3, 171]],
  );
});

Deno.test("saliencyGeometry: the poster's 7x7 grid and filters, as given or rescaled to the image", () => {
  const paper = saliencyGeometry(32, "paper");
  assert.deepEqual(paper, {
    grid: 7,
    blur: { kernel: 31, sigma: 10 },
    highPass: { kernel: 11, sigma: 5 },
  });
  const scaled = saliencyGeometry(32, "image");
  assert.equal(scaled.grid, 7);
  assert.equal(scaled.blur.kernel, 5);
  assert.equal(scaled.highPass.kernel, 3);
  assert.ok(Math.abs(scaled.blur.sigma - 10 / 7) < 1e-12);
  assert.deepEqual(saliencyGeometry(224, "image"), paper);
  assert.equal(saliencyGeometry(4, "image").grid, 4, "the grid never exceeds the image");
});
