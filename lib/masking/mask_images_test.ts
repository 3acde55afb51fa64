import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { allVisibleCells, maskImages } from "./mask_images.ts";
import { gridMask, randomTokenMask, tokenMaskToPixels } from "./token_masks.ts";
import { applyVisualMask } from "./visual_mask.ts";
import { featureCellMask } from "./feature_cell_mask.ts";
import { saliencyGuidedMask } from "./saliency.ts";
import { complementaryMasks } from "./multi_masks.ts";
import { complementaryTokenMasks, overlappingMasks, overlappingTokenMasks } from "./multi_masks.ts";

await tf.setBackend("cpu");

Deno.test("maskImages given: masked patches hold the fill, kept ones the image; cells follow", () => {
  const rng = new Rng(4);
  const view = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const mask = tf.tensor2d(Float32Array.from({ length: 32 }, () => (rng.bernoulli(0.5) ? 1 : 0)), [
    2,
    16,
  ]);
  const out = maskImages({
    images: view,
    spec: { kind: "given", tokens: mask, gridH: 4, gridW: 4 },
    fill: { kind: "constant", value: 7 },
    featureSize: [8, 8],
    rng,
  });
  assert.equal(out.tokens, undefined);
  const [v, o, m, c] = [
    view.dataSync(),
    out.images.dataSync(),
    mask.dataSync(),
    out.cells!.dataSync(),
  ];
  for (let i = 0; i < v.length; i++) {
    const [n, y, x] = [Math.floor(i / 768), Math.floor((i % 768) / 48), Math.floor((i % 48) / 3)];
    const kept = m[n * 16 + Math.floor(y / 4) * 4 + Math.floor(x / 4)] === 1;
    assert.equal(o[i], kept ? v[i] : 7);
  }
  // Stride-2 map: 8x8 cells, each inside one 4-px patch.
  for (let n = 0; n < 2; n++) {
    for (let k = 0; k < 64; k++) {
      const patch = Math.floor(Math.floor(k / 8) / 2) * 4 + Math.floor((k % 8) / 2);
      assert.equal(c[n * 64 + k], m[n * 16 + patch]);
    }
  }
  tf.dispose([view, mask, out.images, out.cells!]);
});

Deno.test("maskImages token: the same draws and values as the step-by-step pipeline", () => {
  const x = tf.randomNormal([3, 32, 32, 3], 0, 1, "float32", 2) as tf.Tensor4D;
  const fill = { kind: "noise", std: 0.5 } as const;
  const a = maskImages({
    images: x,
    spec: { kind: "token", tokenSize: 3, tokenCount: 171 },
    fill,
    featureSize: [4, 4],
    rng: new Rng(9),
  });
  const rng = new Rng(9);
  const pixels = randomTokenMask({
    n: 3,
    height: 32,
    width: 32,
    tokenSize: 3,
    tokenCount: 171,
    rng,
  });
  const images = applyVisualMask(x, pixels, fill, rng);
  const cells = featureCellMask(pixels, 4, 4);
  assert.deepEqual(a.images.dataSync(), images.dataSync());
  assert.deepEqual(a.cells!.dataSync(), cells.dataSync());
  tf.dispose([x, a.images, a.cells!, pixels, images, cells]);
});

Deno.test("maskImages grid: the token mask equals gridMask's for the same stream, without indices", () => {
  const x = tf.randomUniform([4, 16, 16, 1], 0, 1, "float32", 3) as tf.Tensor4D;
  const out = maskImages({
    images: x,
    spec: { kind: "grid", gridH: 4, gridW: 4, ratio: 0.75 },
    fill: { kind: "zero" },
    rng: new Rng(5),
  });
  const g = gridMask({ n: 4, gridH: 4, gridW: 4, ratio: 0.75, rng: new Rng(5) });
  assert.deepEqual(out.tokens!.dataSync(), g.mask.dataSync());
  assert.equal(out.cells, undefined);
  const expected = applyVisualMask(x, tokenMaskToPixels(g.mask, 4, 4, 16, 16), { kind: "zero" });
  assert.deepEqual(out.images.dataSync(), expected.dataSync());
  tf.dispose([x, out.images, out.tokens!, g.mask, g.idsKeep, g.idsRestore, g.idsShuffle, expected]);
});

Deno.test("maskImages saliency: draws the saliency-guided token mask from the same stream", () => {
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const fg = tf.tensor2d([
    1,
    1,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    0,
    1,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    1,
    1,
    0,
    0,
    0,
    1,
  ], [2, 16]);
  const out = maskImages({
    images: x,
    spec: { kind: "saliency", fg, gridH: 4, gridW: 4, ratioRange: [0.2, 0.5] },
    fill: { kind: "mean" },
    rng: new Rng(6),
  });
  const drawn = saliencyGuidedMask({ fg, rng: new Rng(6), ratioRange: [0.2, 0.5] });
  assert.deepEqual(out.tokens!.dataSync(), drawn.mask.dataSync());
  tf.dispose([x, fg, out.images, out.tokens!, drawn.mask]);
});

Deno.test("token-only multi masks equal the masks of complementaryMasks / overlappingMasks", () => {
  for (
    const [full, only] of [[complementaryMasks, complementaryTokenMasks], [
      overlappingMasks,
      overlappingTokenMasks,
    ]] as const
  ) {
    const opts = { n: 3, L: 16, ratio: 0.75, streams: 3 };
    const a = full({ ...opts, rng: new Rng(1) });
    const b = only({ ...opts, rng: new Rng(1) });
    assert.equal(a.length, b.length);
    a.forEach((g, s) => assert.deepEqual(g.mask.dataSync(), b[s].dataSync()));
    tf.dispose([...a.flatMap((g) => [g.mask, g.idsKeep, g.idsRestore, g.idsShuffle]), ...b]);
  }
});

Deno.test("allVisibleCells: ones of [n, h*w]", () => {
  const c = allVisibleCells(2, [3, 4]);
  assert.deepEqual(c.shape, [2, 12]);
  assert.ok(Array.from(c.dataSync()).every((v) => v === 1));
  c.dispose();
});

Deno.test("maskImages learned: soft cell masks expand exactly and carry gradients", () => {
  const x = tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const soft = tf.tensor2d([0.2, 0.9, 0.5, 1, 0, 0.3, 0.7, 0.6], [2, 4]);
  const run = (cells: tf.Tensor2D) =>
    maskImages({
      images: x,
      spec: { kind: "learned", cells, h: 2, w: 2 },
      fill: { kind: "constant", value: 3 },
      rng: new Rng(0),
    }).images;
  const out = run(soft);
  const xs = x.dataSync();
  const o = out.dataSync();
  const m = soft.dataSync();
  for (let i = 0; i < xs.length; i++) {
    const [n, y, c] = [Math.floor(i / 64), Math.floor((i % 64) / 8), i % 8];
    const k = m[n * 4 + Math.floor(y / 4) * 2 + Math.floor(c / 4)];
    assert.ok(Math.abs(o[i] - (xs[i] * k + (1 - k) * 3)) < 1e-6);
  }
  // d/dm sum(out) = sum over the cell's pixels of (x - 3).
  const g = tf.grad((c) => tf.sum(run(c as tf.Tensor2D)))(soft).dataSync();
  for (let n = 0; n < 2; n++) {
    for (let k = 0; k < 4; k++) {
      let want = 0;
      for (let y = 0; y < 8; y++) {
        for (let c = 0; c < 8; c++) {
          if (Math.floor(y / 4) * 2 + Math.floor(c / 4) === k) want += xs[n * 64 + y * 8 + c] - 3;
        }
      }
      assert.ok(Math.abs(g[n * 4 + k] - want) < 1e-4, `cell ${n},${k}: ${g[n * 4 + k]} vs ${want}`);
    }
  }
  tf.dispose([x, soft, out]);
});
