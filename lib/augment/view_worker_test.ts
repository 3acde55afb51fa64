import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { CIFAR10_STATS } from "./normalize.ts";
import { makeViewPair, planHostView, simclrCifarRecipe, type ViewRecipe } from "./views.ts";
import { shouldUseViewWorker, ViewWorker } from "./view_worker.ts";

await tf.setBackend("cpu");

const rgb = simclrCifarRecipe(CIFAR10_STATS, { cropScale: [0.08, 1] });
const gray = simclrCifarRecipe({ mean: [0.5], std: [0.25] });
const noCrop: ViewRecipe = { ...rgb, crop: null };

function images(n: number, c: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, 32, 32, c], 0, 1, "float32", seed) as tf.Tensor4D;
}

Deno.test("makeViewPair on a view worker gives the same bits and draws as on one thread", async () => {
  const worker = ViewWorker.open();
  try {
    const cases: [string, number, ViewRecipe | [ViewRecipe, ViewRecipe]][] = [
      ["SimCLR CIFAR", 3, rgb],
      ["asymmetric (crop / no crop)", 3, [rgb, noCrop]],
      ["1 channel", 1, gray],
    ];
    for (const [name, c, recipe] of cases) {
      for (let step = 0; step < 3; step++) {
        const x = images(48, c, step);
        const ra = new Rng(step);
        const rb = new Rng(step);
        const plain = makeViewPair(x, recipe, ra, "host");
        const shared = makeViewPair(x, recipe, rb, "host", worker);
        assert.equal(ra.nextUint32(), rb.nextUint32(), `${name}: different random draws`);
        for (let v = 0; v < 2; v++) {
          assert.deepEqual(await shared[v].data(), await plain[v].data(), `${name}: view ${v + 1}`);
        }
        tf.dispose([x, ...plain, ...shared]);
      }
    }
    assert.ok(worker.usable, "the worker stopped being used without a failure");
  } finally {
    worker.close();
  }
});

Deno.test("a view that fails on the worker is rebuilt on the caller, which raises the error", () => {
  const worker = ViewWorker.open();
  try {
    const x = images(8, 3, 1);
    const plan = planHostView(x, rgb, new Rng(0));
    // Boxes for 2 of the 8 images: the crop loop fails on image 3 (on the worker, then here).
    const broken = { ...plan, boxes: plan.boxes!.slice(0, 2) };
    const pixels = x.dataSync() as Float32Array;
    assert.throws(() => worker.start(pixels, x.shape, broken).result(), TypeError);
    assert.equal(worker.usable, false, "a failed worker stays in use");
    // Later views run on the calling thread.
    const again = worker.start(pixels, x.shape, plan).result();
    assert.equal(again.length, pixels.length);
    x.dispose();
  } finally {
    worker.close();
  }
});

Deno.test("shouldUseViewWorker: host engine on 2+ threads, unless KIT_VIEW_WORKER=0", () => {
  const saved = Deno.env.get("KIT_VIEW_WORKER");
  try {
    Deno.env.delete("KIT_VIEW_WORKER");
    assert.equal(shouldUseViewWorker("host", 2), true);
    assert.equal(shouldUseViewWorker("host", 1), false);
    assert.equal(shouldUseViewWorker("tensor", 8), false);
    Deno.env.set("KIT_VIEW_WORKER", "0");
    assert.equal(shouldUseViewWorker("host", 2), false);
  } finally {
    if (saved === undefined) Deno.env.delete("KIT_VIEW_WORKER");
    else Deno.env.set("KIT_VIEW_WORKER", saved);
  }
});
