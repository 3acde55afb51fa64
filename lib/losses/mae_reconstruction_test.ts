import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { maskedPatchMse, normalizePatches, patchify, unpatchify } from "./mae_reconstruction.ts";

/** MAE's reconstruction loss as the methods compose it: (normalised) patches, masked MSE. */
function maeReconstructionLoss(
  pred: tf.Tensor3D,
  images: tf.Tensor4D,
  visible: tf.Tensor2D,
  opts: { patchSize: number; normPixLoss?: boolean },
): tf.Scalar {
  return tf.tidy(() => {
    const patches = patchify(images, opts.patchSize);
    const target = (opts.normPixLoss ?? true) ? normalizePatches(patches) : patches;
    return maskedPatchMse(pred, target, visible);
  });
}

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];

function gaussians(rng: Rng, size: number): Float32Array {
  return Float32Array.from({ length: size }, () => rng.gaussian());
}

function randomVisible(rng: Rng, n: number, l: number): Float32Array {
  const v = Float32Array.from({ length: n * l }, () => (rng.bernoulli(0.5) ? 1 : 0));
  v[rng.int(n * l)] = 0; // at least one masked patch
  return v;
}

/** Random problem: images [N,H,W,C], patch p, grid sizes. */
function problem(rng: Rng) {
  const p = 1 + rng.int(3);
  const [gh, gw] = [1 + rng.int(3), 1 + rng.int(3)];
  const n = 1 + rng.int(3);
  const c = 1 + rng.int(3);
  const [h, w] = [gh * p, gw * p];
  const l = gh * gw;
  const dim = p * p * c;
  return { p, n, h, w, c, l, dim };
}

Deno.test("patchify: element (n, i*gw+j, (py*p+px)*C+ch) is pixel (n, i*p+py, j*p+px, ch)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const { p, n, h, w, c, l, dim } = problem(rng);
    const x = gaussians(rng, n * h * w * c);
    const got = tf.tidy(() => patchify(tf.tensor4d(x, [n, h, w, c]), p).dataSync());
    const gw = w / p;
    for (let b = 0; b < n; b++) {
      for (let t = 0; t < l; t++) {
        const [i, j] = [Math.floor(t / gw), t % gw];
        for (let py = 0; py < p; py++) {
          for (let px = 0; px < p; px++) {
            for (let ch = 0; ch < c; ch++) {
              const pix = x[((b * h + i * p + py) * w + j * p + px) * c + ch];
              assert.equal(got[(b * l + t) * dim + (py * p + px) * c + ch], pix);
            }
          }
        }
      }
    }
  }
});

Deno.test("unpatchify(patchify(x)) = x and patchify(unpatchify(z)) = z", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 10);
    const { p, n, h, w, c, l, dim } = problem(rng);
    const x = gaussians(rng, n * h * w * c);
    const z = gaussians(rng, n * l * dim);
    const before = tf.memory().numTensors;
    const [back, again] = tf.tidy(() => [
      unpatchify(patchify(tf.tensor4d(x, [n, h, w, c]), p), p, [h, w]).dataSync(),
      patchify(unpatchify(tf.tensor3d(z, [n, l, dim]), p, [h, w]), p).dataSync(),
    ]);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(Array.from(back), Array.from(x));
    assert.deepEqual(Array.from(again), Array.from(z));
  }
});

Deno.test("maeReconstructionLoss: equals a float64 reference (both normPixLoss settings)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 20);
    const { p, n, h, w, c, l, dim } = problem(rng);
    if (dim < 2) continue;
    const x = gaussians(rng, n * h * w * c);
    const pred = gaussians(rng, n * l * dim);
    const vis = randomVisible(rng, n, l);
    const patches = tf.tidy(() => patchify(tf.tensor4d(x, [n, h, w, c]), p).dataSync());
    for (const norm of [true, false]) {
      let sum = 0;
      let count = 0;
      for (let t = 0; t < n * l; t++) {
        if (vis[t] === 1) continue;
        const tgt = Array.from(patches.subarray(t * dim, (t + 1) * dim));
        if (norm) {
          const mean = tgt.reduce((s, v) => s + v, 0) / dim;
          const variance = tgt.reduce((s, v) => s + (v - mean) ** 2, 0) / (dim - 1);
          for (let k = 0; k < dim; k++) tgt[k] = (tgt[k] - mean) / Math.sqrt(variance + 1e-6);
        }
        let se = 0;
        for (let k = 0; k < dim; k++) se += (pred[t * dim + k] - tgt[k]) ** 2;
        sum += se / dim;
        count++;
      }
      const want = sum / count;
      const got = tf.tidy(() =>
        maeReconstructionLoss(
          tf.tensor3d(pred, [n, l, dim]),
          tf.tensor4d(x, [n, h, w, c]),
          tf.tensor2d(vis, [n, l]),
          { patchSize: p, normPixLoss: norm },
        ).dataSync()[0]
      );
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, want), `${got} vs ${want}`);
    }
  }
});

Deno.test("maeReconstructionLoss: predictions at visible patches do not change the loss", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 30);
    const { p, n, h, w, c, l, dim } = problem(rng);
    if (dim < 2) continue;
    const x = tf.tensor4d(gaussians(rng, n * h * w * c), [n, h, w, c]);
    const vis = randomVisible(rng, n, l);
    const pred = gaussians(rng, n * l * dim);
    const changed = pred.slice();
    for (let t = 0; t < n * l; t++) {
      if (vis[t] === 1) {
        for (let k = 0; k < dim; k++) changed[t * dim + k] += 10 * rng.gaussian();
      }
    }
    const loss = (pr: Float32Array) =>
      tf.tidy(() =>
        maeReconstructionLoss(tf.tensor3d(pr, [n, l, dim]), x, tf.tensor2d(vis, [n, l]), {
          patchSize: p,
        }).dataSync()[0]
      );
    assert.equal(loss(changed), loss(pred));
    // ... while changing a masked patch does.
    const masked = vis.indexOf(0);
    const moved = pred.slice();
    moved[masked * dim] += 1;
    assert.notEqual(loss(moved), loss(pred));
    x.dispose();
  }
});

Deno.test("maeReconstructionLoss: zero when the prediction is the normalised target", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 40);
    const { p, n, h, w, c, l } = problem(rng);
    if (p * p * c < 2) continue;
    const x = tf.tensor4d(gaussians(rng, n * h * w * c), [n, h, w, c]);
    const vis = tf.tensor2d(randomVisible(rng, n, l), [n, l]);
    const [normLoss, rawLoss, wrongLoss] = tf.tidy(() => {
      const patches = patchify(x, p);
      const target = normalizePatches(patches);
      return [
        maeReconstructionLoss(target, x, vis, { patchSize: p }).dataSync()[0],
        maeReconstructionLoss(patches, x, vis, { patchSize: p, normPixLoss: false })
          .dataSync()[0],
        maeReconstructionLoss(patches, x, vis, { patchSize: p }).dataSync()[0],
      ];
    });
    assert.ok(normLoss < 1e-10, `normalised: ${normLoss}`);
    assert.equal(rawLoss, 0);
    assert.ok(wrongLoss > 1e-3, "raw pixels are not the normalised target");
    tf.dispose([x, vis]);
  }
});

Deno.test("maskedPatchMse: nothing masked gives 0; bad shapes throw with the fix", () => {
  tf.tidy(() => {
    const a = tf.ones([2, 3, 4]) as tf.Tensor3D;
    const b = tf.zeros([2, 3, 4]) as tf.Tensor3D;
    assert.equal(maskedPatchMse(a, b, tf.ones([2, 3])).dataSync()[0], 0);
    assert.equal(maskedPatchMse(a, b, tf.zeros([2, 3])).dataSync()[0], 1);
    assert.throws(() => maskedPatchMse(a, b, tf.ones([3, 2])), /visible must be \[N, L\]/);
    assert.throws(() => maskedPatchMse(a, tf.zeros([2, 3, 5]), tf.ones([2, 3])), /same shape/);
    assert.throws(() => patchify(tf.zeros([1, 5, 4, 1]), 2), /not a multiple/);
    assert.throws(() => unpatchify(a, 2, [4, 4]), /do not tile/);
  });
});

Deno.test("maeReconstructionLoss: gradient agrees with central finite differences", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 50);
    const [n, h, w, c, p] = [2, 4, 4, 2, 2];
    const l = 4;
    const dim = p * p * c;
    const x = tf.tensor4d(gaussians(rng, n * h * w * c), [n, h, w, c]);
    const pred = tf.tensor3d(gaussians(rng, n * l * dim), [n, l, dim]);
    const vis = tf.tensor2d(randomVisible(rng, n, l), [n, l]);
    // In pred (the trained path) and, with normalisation, in the images too.
    const r = checkGradients(
      ([pr, im]) =>
        maeReconstructionLoss(pr as tf.Tensor3D, im as tf.Tensor4D, vis, { patchSize: p }),
      [pred, x],
      { seed, eps: 1e-2 },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    tf.dispose([x, pred, vis]);
  }
});
