import * as tf from "../tfjs.ts";
import { maxAbsDiff } from "../testing/max_abs_diff.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { CIFAR10_STATS } from "./normalize.ts";
import { makeView, simclrCifarRecipe, type ViewRecipe } from "./views.ts";

await tf.setBackend("wasm");

/** Views of both engines from the same seed; also checks they drew the same numbers. */
async function bothEngines(x: tf.Tensor4D, recipe: ViewRecipe, seed: number) {
  const rh = new Rng(seed);
  const rt = new Rng(seed);
  const before = tf.memory().numTensors;
  const host = makeView(x, recipe, rh, "host");
  const tensor = makeView(x, recipe, rt, "tensor");
  assert.equal(rh.nextUint32(), rt.nextUint32(), "the engines drew different numbers");
  assert.deepEqual(host.shape, tensor.shape);
  const out = { host: await host.data(), tensor: await tensor.data() };
  tf.dispose([host, tensor]);
  assert.equal(tf.memory().numTensors, before, "a view leaked tensors");
  return out;
}

/**
 * In normalised units (pixel / std, ~4 x pixel): 3e-3 is under a fifth of one 8-bit grey level.
 * The tensor path insets some crop ends by 4e-6 of the image (random_resized_crop.ts: tfjs
 * would blank that row) where the host path clamps, and computes the hue in float32; on these
 * noise images (neighbours differ by up to 1) that moves values by ~1e-3 at most. A wrong
 * transform, order or parameter moves them by 0.1 or more.
 */
const TOLERANCE = 3e-3;

const RECIPES: Record<string, ViewRecipe> = {
  "SimCLR CIFAR (crop, flip, jitter in random order, grayscale, normalise)": simclrCifarRecipe(
    CIFAR10_STATS,
    { cropScale: [0.08, 1] },
  ),
  "always jitter, fixed order, strong hue": {
    ...simclrCifarRecipe(),
    colorJitter: {
      brightness: 0.8,
      contrast: 0.8,
      saturation: 0.8,
      hue: 0.5,
      prob: 1,
      randomOrder: false,
    },
    grayscaleProb: 0.5,
  },
  "flip only, no normalisation": {
    crop: null,
    flipProb: 0.5,
    colorJitter: null,
    grayscaleProb: 0,
    blur: null,
    normalize: null,
  },
  "with Gaussian blur (tensor op after the host steps)": {
    ...simclrCifarRecipe(),
    blur: { prob: 0.5, sigma: [0.1, 2], kernelFraction: 0.1 },
  },
};

for (const [name, recipe] of Object.entries(RECIPES)) {
  Deno.test(`host and tensor view engines agree: ${name}`, async () => {
    const x = tf.randomUniform([24, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    // Gray and saturated pixels: the hue's tie rules and its delta = 0 case.
    const d = await x.data();
    const edited = Float32Array.from(d);
    for (let j = 0; j < 300; j += 3) edited[j] = edited[j + 1] = edited[j + 2] = 0.5;
    for (let j = 300; j < 600; j += 3) edited[j] = edited[j + 1] = 1;
    const input = tf.tensor4d(edited, x.shape);
    for (const seed of [1, 2, 3]) {
      const { host, tensor } = await bothEngines(input, recipe, seed);
      const diff = maxAbsDiff(host, tensor);
      assert.ok(diff < TOLERANCE, `seed ${seed}: engines differ by ${diff}`);
    }
    tf.dispose([x, input]);
  });
}

Deno.test("host and tensor view engines agree on 1-channel images (brightness and contrast)", async () => {
  const x = tf.randomUniform([16, 28, 28, 1], 0, 1, "float32", 4) as tf.Tensor4D;
  const recipe = simclrCifarRecipe({ mean: [0.13], std: [0.31] });
  for (const seed of [5, 6]) {
    const { host, tensor } = await bothEngines(x, recipe, seed);
    assert.ok(maxAbsDiff(host, tensor) < TOLERANCE);
  }
  x.dispose();
});

Deno.test("host engine refuses what the tensor engine refuses, with the same fix", () => {
  const x = tf.zeros([2, 8, 8, 2]) as tf.Tensor4D;
  const gray = { ...simclrCifarRecipe(), crop: null, colorJitter: null, normalize: null };
  assert.throws(() => makeView(x, gray, new Rng(0), "host"), /expects RGB images/);
  const stats = { ...simclrCifarRecipe(), grayscaleProb: 0, colorJitter: null };
  assert.throws(() => makeView(x, stats, new Rng(0), "host"), /2 channels but mean\/std have 3/);
  x.dispose();
  const oneChannel = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D;
  const hue = {
    ...simclrCifarRecipe({ mean: [0.5], std: [0.2] }),
    colorJitter: { ...simclrCifarRecipe().colorJitter!, prob: 1 },
  };
  for (const engine of ["host", "tensor"] as const) {
    assert.throws(
      () => makeView(oneChannel, hue, new Rng(0), engine),
      /saturation and hue need RGB/,
    );
  }
  oneChannel.dispose();
});
