import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { featureCellMask } from "./feature_cell_mask.ts";

await tf.setBackend("cpu");

function randomMask(rng: Rng, n: number, H: number, W: number, keep: number): Float32Array {
  return Float32Array.from({ length: n * H * W }, () => (rng.bernoulli(keep) ? 1 : 0));
}

Deno.test("featureCellMask: a cell is visible iff strictly more than half its pixels are kept", () => {
  const rng = new Rng(1);
  for (const [H, h] of [[32, 4], [32, 16], [12, 3], [8, 8]]) {
    const s = H / h;
    const m = randomMask(rng, 3, H, H, rng.uniform(0.2, 0.8));
    const got = featureCellMask(tf.tensor4d(m, [3, H, H, 1]), h, h).dataSync();
    for (let i = 0; i < 3; i++) {
      for (let cy = 0; cy < h; cy++) {
        for (let cx = 0; cx < h; cx++) {
          let kept = 0;
          for (let y = cy * s; y < (cy + 1) * s; y++) {
            for (let x = cx * s; x < (cx + 1) * s; x++) kept += m[(i * H + y) * H + x];
          }
          assert.equal(got[(i * h + cy) * h + cx], kept > (s * s) / 2 ? 1 : 0);
        }
      }
    }
  }
});

Deno.test("featureCellMask: masks with disjoint kept pixels give disjoint visible cells", () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 5; trial++) {
    const a = randomMask(rng, 2, 16, 16, 0.5);
    const b = Float32Array.from(a, (v) => (v === 1 ? 0 : (rng.bernoulli(0.7) ? 1 : 0)));
    const ca = featureCellMask(tf.tensor4d(a, [2, 16, 16, 1]), 4, 4).dataSync();
    const cb = featureCellMask(tf.tensor4d(b, [2, 16, 16, 1]), 4, 4).dataSync();
    for (let k = 0; k < ca.length; k++) assert.ok(ca[k] + cb[k] <= 1);
  }
});

Deno.test("featureCellMask: rejects maps that do not tile the image", () => {
  const m = tf.ones([1, 32, 32, 1]) as tf.Tensor4D;
  assert.throws(() => featureCellMask(m, 5, 5), /5x5 feature map does not tile a 32x32 image/);
  assert.throws(
    () => featureCellMask(tf.ones([1, 32, 32, 3]) as tf.Tensor4D, 4, 4),
    /must be \[N,H,W,1\]/,
  );
});
