import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import {
  type FeatureSource,
  SaliencyMasker,
  type SaliencyMaskingOptions,
} from "./saliency_masker.ts";
import { relaxedScdaMap, resizeGridMask, strictScdaMap } from "./saliency.ts";

await tf.setBackend("cpu");

const OPTIONS: SaliencyMaskingOptions = {
  fill: "mean",
  where: "saliency",
  maskBranch: "query",
  grid: 4,
  ratio: [0.25, 0.5],
  hardNegatives: true,
  hardRatio: [0.4, 0.7],
  alpha: 2,
  saliencyAlpha: 0.6,
  evalHighPass: false,
};

/** A feature source whose map is the 2x2-average-pooled image: saliency follows brightness. */
const pooled: FeatureSource = {
  featureMap: (x) => tf.avgPool(x, 2, 2, "valid") as tf.Tensor4D,
};

Deno.test("SaliencyMasker.foreground: relaxed or strict SCDA on the source's map, on the grid", () => {
  const x = tf.randomUniform([3, 16, 16, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  for (const saliencyMap of ["relaxed", "strict", undefined] as const) {
    const m = new SaliencyMasker({ ...OPTIONS, saliencyMap }, pooled);
    const got = m.foreground(x);
    const fmap = pooled.featureMap(x, { training: false });
    const map = saliencyMap === "strict" ? strictScdaMap(fmap) : relaxedScdaMap(fmap, 0.6);
    const want = resizeGridMask(map, 4, 4);
    assert.deepEqual(got.dataSync(), want.dataSync(), String(saliencyMap));
    tf.dispose([got, fmap, map, want]);
  }
  x.dispose();
});

Deno.test("ViewVariants: the hard negative masks foreground cells only; results ignore call order", () => {
  const x = tf.randomUniform([4, 16, 16, 3], 0, 1, "float32", 8) as tf.Tensor4D;
  const m = new SaliencyMasker(OPTIONS, pooled);
  const a = m.variants(x, new Rng(1));
  const b = m.variants(x, new Rng(1));
  const hardA = a.hard().dataSync();
  const maskedA = a.masked().dataSync();
  // Reverse order on b: the two masks come from streams forked at construction.
  assert.deepEqual(b.masked().dataSync(), maskedA);
  assert.deepEqual(b.hard().dataSync(), hardA);
  const fg = a.foreground().dataSync();
  const tokens = a.hardTokens!.dataSync();
  for (let i = 0; i < tokens.length; i++) if (tokens[i] === 0) assert.equal(fg[i], 1, `cell ${i}`);
  a.dispose();
  b.dispose();
  x.dispose();
});

Deno.test("SaliencyMasker: the hard negative's high-pass noise has hardNoiseStd, the light mask 0.18", () => {
  const base = { ...OPTIONS, fill: "highpass-noise" as const };
  const m = new SaliencyMasker({ ...base, hardNoiseStd: 0.14 }, pooled);
  assert.equal((m.maskFill as { std?: number }).std, undefined, "light mask: the fill's 0.18");
  assert.equal((m.hardFill as { std?: number }).std, 0.14);
  const plain = new SaliencyMasker(base, pooled);
  assert.deepEqual(plain.hardFill, plain.maskFill, "absent: the same fill as the light mask");
  // Measured: every cell foreground and a hard ratio of 1 masks everything with noise of 0.14.
  const x = tf.zeros([4, 32, 32, 3]) as tf.Tensor4D;
  const fg = tf.ones([4, 16]) as tf.Tensor2D;
  const strong = new SaliencyMasker({ ...base, hardNoiseStd: 0.14, hardRatio: [1, 1] }, pooled);
  const { images, tokens } = strong.mask(x, fg, true, new Rng(2));
  const v = images.dataSync();
  let ss = 0;
  for (const a of v) ss += a * a;
  const std = Math.sqrt(ss / v.length);
  assert.ok(Math.abs(std - 0.14) < 0.01, `noise std ${std}`);
  // With the authors' cap, at most round(0.55 * 16) = 9 of the 16 cells are masked.
  const capped = new SaliencyMasker({ ...base, hardRatio: [1, 1], hardMaxFraction: 0.55 }, pooled);
  const c = capped.mask(x, fg, true, new Rng(3));
  assert.deepEqual(Array.from(tf.sum(c.tokens, 1).dataSync()), [7, 7, 7, 7]);
  tf.dispose([x, fg, images, tokens, c.images, c.tokens]);
});

Deno.test("SaliencyMasker.mask: reusing the high-passed view gives the same masked views", () => {
  const base = { ...OPTIONS, fill: "highpass-noise" as const, hardNoiseStd: 0.14 };
  const m = new SaliencyMasker(base, pooled);
  const x = tf.randomUniform([4, 16, 16, 3], 0, 1, "float32", 9) as tf.Tensor4D;
  const fg = m.foreground(x);
  const plain = m.plain(x);
  for (const hard of [false, true]) {
    const fresh = m.mask(x, fg, hard, new Rng(4));
    const reused = m.mask(x, fg, hard, new Rng(4), plain);
    assert.deepEqual(reused.images.dataSync(), fresh.images.dataSync(), `hard ${hard}: pixels`);
    assert.deepEqual(reused.tokens.dataSync(), fresh.tokens.dataSync(), `hard ${hard}: tokens`);
    tf.dispose([fresh.images, fresh.tokens, reused.images, reused.tokens]);
  }
  // Other fills ignore `plain` (they never filter x).
  const blur = new SaliencyMasker({ ...OPTIONS, fill: "blur" }, pooled);
  const a = blur.mask(x, fg, false, new Rng(5));
  const b = blur.mask(x, fg, false, new Rng(5), plain);
  assert.deepEqual(b.images.dataSync(), a.images.dataSync());
  tf.dispose([x, fg, plain, a.images, a.tokens, b.images, b.tokens]);
});
