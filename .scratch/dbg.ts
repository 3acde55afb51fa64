import * as tf from "../lib/tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../lib/rng.ts";
import { makeView, simclrCifarRecipe } from "../lib/augment/views.ts";
import { sampleCropBoxes } from "../lib/augment/random_resized_crop.ts";
await tf.setBackend("wasm");
const x = tf.randomUniform([24, 32, 32, 3], 0, 1, "float32", 3) as tf.Tensor4D;
const recipe = { ...simclrCifarRecipe(), colorJitter: null, grayscaleProb: 0, normalize: null, flipProb: 0 };
const h = await makeView(x, recipe, new Rng(3), "host").data();
const t = await makeView(x, recipe, new Rng(3), "tensor").data();
const boxes = sampleCropBoxes(new Rng(3), 24, 32, 32, recipe.crop!);
for (let i = 0; i < 24; i++) {
  let m = 0, at = -1;
  for (let j = 0; j < 3072; j++) { const d = Math.abs(h[i*3072+j]-t[i*3072+j]); if (d > m) { m = d; at = j; } }
  if (m > 1e-5) console.log(i, m, at, JSON.stringify(boxes[i]), Math.floor(at/96), Math.floor(at/3)%32);
}
