/**
 * Throughput of the SimCLR CIFAR view recipe: `deno bench -A lib/augment/views_bench.ts`.
 * Set TFJS_BACKEND=cpu|wasm (default wasm).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../rng.ts";
import { makeView, simclrCifarRecipe } from "./views.ts";

await tf.setBackend(Deno.env.get("TFJS_BACKEND") ?? "wasm");
const x = tf.randomUniform([256, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
const recipe = simclrCifarRecipe();
const blurRecipe = {
  ...recipe,
  blur: { prob: 0.5, sigma: [0.1, 2] as [number, number], kernelFraction: 0.1 },
};
const rng = new Rng(0);

Deno.bench(`makeView SimCLR CIFAR, 256x32x32x3 (${tf.getBackend()})`, async () => {
  const v = makeView(x, recipe, rng);
  await v.data();
  v.dispose();
});

Deno.bench(`makeView SimCLR CIFAR + blur p=0.5, 256x32x32x3 (${tf.getBackend()})`, async () => {
  const v = makeView(x, blurRecipe, rng);
  await v.data();
  v.dispose();
});
