import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { infoNce } from "./info_nce.ts";
import { maskedPatchMse } from "./mae_reconstruction.ts";
import { cosineSimilarityLoss, infoNceSimilarity, pixelL2 } from "./similarity.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];

function gaussians(rng: Rng, size: number): Float32Array {
  return Float32Array.from({ length: size }, () => rng.gaussian());
}

const value = (f: () => tf.Scalar) => tf.tidy(() => f().dataSync()[0]);

Deno.test("pixelL2: 0 at pred = target, > 0 when a masked patch differs, = maskedPatchMse", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const [n, l, p] = [2, 6, 4];
    const target = tf.tensor3d(gaussians(rng, n * l * p), [n, l, p]);
    const vis = Float32Array.from({ length: n * l }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const visible = tf.tensor2d(vis, [n, l]);
    const pred = tf.tensor3d(gaussians(rng, n * l * p), [n, l, p]);
    assert.equal(value(() => pixelL2(target, target, visible)), 0);
    const moved = value(() =>
      pixelL2(
        tf.add(target, tf.mul(tf.oneHot([p], n * l * p).reshape([n, l, p]), 0.5)),
        target,
        visible,
      )
    );
    assert.ok(moved > 0, "a change on token 1 of image 0 (masked) must count");
    assert.equal(
      value(() => pixelL2(pred, target, visible)),
      value(() => maskedPatchMse(pred, target, visible)),
    );
    const r = checkGradients(
      ([pr]) => pixelL2(pr as tf.Tensor3D, target, visible),
      [pred],
      { seed, samplesPerInput: 24 },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    tf.dispose([target, visible, pred]);
  }
});

Deno.test("cosineSimilarityLoss: 0 at pred = target (its minimum), scale invariant, in [0, 2]", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 10);
    const shape = rng.bernoulli(0.5) ? [4, 6] : [2, 3, 5];
    const size = shape.reduce((a, b) => a * b, 1);
    const d = shape[shape.length - 1];
    const pred = tf.tensor(gaussians(rng, size), shape);
    const target = tf.tensor(gaussians(rng, size), shape);
    const rowScales = (t: tf.Tensor) =>
      tf.mul(
        t,
        tf.tensor(
          Float32Array.from({ length: size / d }, () => Math.exp(rng.uniform(-3, 3))),
          [...shape.slice(0, -1), 1],
        ),
      );
    const base = value(() => cosineSimilarityLoss(pred, target));
    assert.ok(Math.abs(value(() => cosineSimilarityLoss(target, target))) < 1e-6);
    assert.ok(Math.abs(value(() => cosineSimilarityLoss(rowScales(target), target))) < 1e-6);
    assert.ok(base > 0 && base < 2);
    assert.ok(Math.abs(value(() => cosineSimilarityLoss(tf.neg(target), target)) - 2) < 1e-6);
    const scaled = value(() => cosineSimilarityLoss(rowScales(pred), rowScales(target)));
    assert.ok(Math.abs(scaled - base) < 1e-5, `${scaled} vs ${base}`);
    const r = checkGradients(
      ([a, b]) => cosineSimilarityLoss(a, b),
      [pred, target],
      { seed },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    tf.dispose([pred, target]);
  }
});

Deno.test("infoNceSimilarity: is infoNce with in-batch negatives; matched beats shuffled", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 20);
    const [n, d] = [6, 16];
    const target = tf.tensor2d(gaussians(rng, n * d), [n, d]);
    const pred = tf.tensor2d(gaussians(rng, n * d), [n, d]);
    const tau = 0.1;
    assert.equal(
      value(() => infoNceSimilarity(pred, target, tau)),
      value(() => infoNce(pred, target, null, tau)),
    );
    // pred = target scores better than any cyclic shift of the targets.
    const matched = value(() => infoNceSimilarity(target, target, tau));
    for (let shift = 1; shift < n; shift++) {
      const order = Array.from({ length: n }, (_, i) => (i + shift) % n);
      const shuffled = value(() => infoNceSimilarity(tf.gather(target, order), target, tau));
      assert.ok(matched < shuffled, `shift ${shift}: ${matched} >= ${shuffled}`);
    }
    tf.dispose([pred, target]);
    const small = [0, 1].map(() => tf.tensor2d(gaussians(rng, 12), [4, 3]));
    const r = checkGradients(
      ([a, b]) => infoNceSimilarity(a as tf.Tensor2D, b as tf.Tensor2D, 0.5),
      small,
      { seed },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    tf.dispose(small);
  }
});

Deno.test("cosineSimilarityLoss: mismatched shapes throw", () => {
  tf.tidy(() => {
    assert.throws(() => cosineSimilarityLoss(tf.ones([2, 3]), tf.ones([2, 4])), /same shape/);
  });
});
