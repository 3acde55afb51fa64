import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { applyFlips, sampleFlips } from "./flip.ts";
import { normalizeChannels } from "./normalize.ts";
import { applyCrops, sampleCropBoxes } from "./random_resized_crop.ts";
import { evalRecipe, makeView, makeViewPair, simclrCifarRecipe } from "./views.ts";

await tf.setBackend("wasm");

Deno.test("makeView: shape and dtype kept, seed-deterministic, no leaks, input untouched", async () => {
  const x = tf.randomUniform([16, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const xd = await x.data();
  const recipe = simclrCifarRecipe();
  const before = tf.memory().numTensors;
  const a = makeView(x, recipe, new Rng(100));
  const b = makeView(x, recipe, new Rng(100));
  const c = makeView(x, recipe, new Rng(101));
  assert.deepEqual(a.shape, [16, 32, 32, 3]);
  assert.equal(a.dtype, "float32");
  const ad = await a.data();
  assert.deepEqual(ad, await b.data());
  assert.notDeepEqual(ad, await c.data());
  assert.ok(ad.every(Number.isFinite));
  tf.dispose([a, b, c]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(await x.data(), xd);
  x.dispose();
});

Deno.test("makeViewPair: the two views differ from each other and per image", async () => {
  const x = tf.randomUniform([8, 32, 32, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const [v1, v2] = makeViewPair(x, simclrCifarRecipe(), new Rng(7));
  const d1 = await v1.data();
  const d2 = await v2.data();
  const size = 32 * 32 * 3;
  for (let i = 0; i < 8; i++) {
    assert.notDeepEqual(
      d1.subarray(i * size, (i + 1) * size),
      d2.subarray(i * size, (i + 1) * size),
    );
  }
  tf.dispose([v1, v2]);
  const [e1, e2] = makeViewPair(x, [evalRecipe(), evalRecipe()], new Rng(7));
  assert.deepEqual(await e1.data(), await e2.data());
  tf.dispose([e1, e2]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

Deno.test("makeView's fused crop+flip equals a crop followed by a flip", async () => {
  const x = tf.randomUniform([12, 16, 16, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const recipe = {
    ...evalRecipe(),
    normalize: null,
    crop: simclrCifarRecipe().crop,
    flipProb: 0.5,
  };
  const fused = makeView(x, recipe, new Rng(9), "tensor");
  const rng = new Rng(9);
  const boxes = sampleCropBoxes(rng, 12, 16, 16, recipe.crop!);
  const flips = sampleFlips(rng, 12, 0.5);
  const cropped = applyCrops(x, boxes, [16, 16]);
  const twoStep = applyFlips(cropped, flips);
  const fd = await fused.data();
  const td = await twoStep.data();
  // 1e-4: applyCrops insets a crop end on the border by 4e-6 of the image, and which end that
  // is differs between a flipped crop and a crop that is flipped afterwards.
  fd.forEach((v, i) => assert.ok(Math.abs(v - td[i]) < 1e-4));
  tf.dispose([x, fused, cropped, twoStep]);
});

Deno.test("evalRecipe only normalises; a recipe with every step off is the identity", async () => {
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const recipe = evalRecipe();
  const v = makeView(x, recipe, new Rng(1));
  const ref = normalizeChannels(x, recipe.normalize!);
  assert.deepEqual(await v.data(), await ref.data());
  const off = makeView(x, { ...recipe, normalize: null }, new Rng(1));
  assert.deepEqual(await off.data(), await x.data());
  assert.throws(
    () => makeView(tf.zeros([1, 4, 4, 3], "int32") as tf.Tensor4D, recipe, new Rng(1)),
    /float32/,
  );
  tf.dispose([x, v, ref, off]);
});

Deno.test("SimCLR views, before normalisation, stay in [0,1] and vary in colour and layout", async () => {
  const x = tf.randomUniform([64, 16, 16, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const recipe = { ...simclrCifarRecipe(), normalize: null };
  const v = makeView(x, recipe, new Rng(3));
  const vd = await v.data();
  assert.ok(vd.every((e) => e >= 0 && e <= 1));
  // Grayscale hits about 20% of images: count images with equal channels.
  let gray = 0;
  const size = 16 * 16 * 3;
  for (let i = 0; i < 64; i++) {
    let eq = true;
    for (let p = i * size; p < (i + 1) * size && eq; p += 3) {
      eq = Math.abs(vd[p] - vd[p + 1]) < 1e-6 && Math.abs(vd[p] - vd[p + 2]) < 1e-6;
    }
    if (eq) gray++;
  }
  assert.ok(gray >= 3 && gray <= 25, `gray images: ${gray}`);
  tf.dispose([x, v]);
});

Deno.test("simclrCifarRecipe on 1-channel stats: brightness/contrast only, no grayscale; views run", async () => {
  const recipe = simclrCifarRecipe({ mean: [0.45], std: [0.22] });
  assert.equal(recipe.grayscaleProb, 0);
  assert.equal(recipe.colorJitter?.saturation, 0);
  assert.equal(recipe.colorJitter?.hue, 0);
  assert.equal(recipe.colorJitter?.brightness, 0.4);
  assert.equal(simclrCifarRecipe().grayscaleProb, 0.2, "RGB recipe unchanged");
  const x = tf.randomUniform([8, 16, 16, 1], 0, 1, "float32", 2) as tf.Tensor4D;
  const [a, b] = makeViewPair(x, recipe, new Rng(3));
  assert.deepEqual(a.shape, [8, 16, 16, 1]);
  assert.ok((await a.data()).every(Number.isFinite));
  assert.notDeepEqual(await a.data(), await b.data());
  tf.dispose([x, a, b]);
});
