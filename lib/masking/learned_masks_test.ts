import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { ParamStore, valueAndGrads } from "../nn/params.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { AttentionMaskMlp, ConvMaskGenerator, reverseGradient } from "./learned_masks.ts";
import { tokenMaskToPixels } from "./token_masks.ts";
import { applyVisualMask } from "./visual_mask.ts";

await tf.setBackend("cpu");

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.gaussian()), shape);
}

function norm(t: tf.Tensor): number {
  return tf.tidy(() => tf.norm(t).dataSync()[0]);
}

Deno.test("AttentionMaskMlp (F3) equals tanh(W2 relu(W1 A + b1) + b2) and its range", () => {
  for (const seed of [1, 2]) {
    const rng = new Rng(seed);
    const store = new ParamStore(seed);
    const [n, L, hidden] = [3, 2 + rng.int(10), 1 + rng.int(10)];
    const gen = new AttentionMaskMlp(store, "f3", { tokens: L, hidden });
    const unit = new AttentionMaskMlp(store, "f3u", { tokens: L, hidden, range: "unit" });
    for (const [k, v] of store.paramsUnder("f3.")) {
      store.params().get(k.replace("f3.", "f3u."))!.assign(v);
    }
    const a = randomTensor(rng, [n, L]) as tf.Tensor2D;
    const m = gen.apply(a);
    assert.deepEqual(m.shape, [n, L]);
    // Reference in plain JS.
    const [w1, b1, w2, b2] = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"].map((p) =>
      store.params().get(`f3.${p}`)!.arraySync()
    ) as [number[][], number[], number[][], number[]];
    const av = a.arraySync();
    const mv = m.arraySync();
    const uv = unit.apply(a).arraySync();
    for (let i = 0; i < n; i++) {
      const h = b1.map((b, j) => Math.max(0, b + av[i].reduce((s, x, k) => s + x * w1[k][j], 0)));
      for (let j = 0; j < L; j++) {
        const ref = Math.tanh(b2[j] + h.reduce((s, x, k) => s + x * w2[k][j], 0));
        assert.ok(Math.abs(mv[i][j] - ref) < 1e-5);
        assert.ok(Math.abs(uv[i][j] - (ref + 1) / 2) < 1e-5);
        assert.ok(uv[i][j] >= 0 && uv[i][j] <= 1);
      }
    }
    assert.throws(() => gen.apply(tf.zeros([n, L + 1])), /flatten/);
    store.dispose();
  }
});

Deno.test("AttentionMaskMlp: gradients reach every parameter and match finite differences", () => {
  const rng = new Rng(3);
  const store = new ParamStore(3);
  const gen = new AttentionMaskMlp(store, "f3", { tokens: 6, hidden: 5 });
  const a = randomTensor(rng, [4, 6]) as tf.Tensor2D;
  const target = randomTensor(rng, [4, 6]);
  const before = tf.memory().numTensors;
  const { value, grads } = valueAndGrads(
    () => tf.mean(tf.square(tf.sub(gen.apply(a), target))) as tf.Scalar,
    store.params(),
  );
  assert.deepEqual([...grads.keys()].sort(), [...store.params().keys()].sort());
  for (const [name, g] of grads) assert.ok(norm(g) > 0, `zero gradient for ${name}`);
  tf.dispose([value, ...grads.values()]);
  assert.equal(tf.memory().numTensors, before);
  const check = checkGradients(
    ([x]) => tf.sum(tf.mul(gen.apply(x as tf.Tensor2D), target)) as tf.Scalar,
    [a],
  );
  assert.ok(check.maxRelError < 2e-2, `max rel error ${check.maxRelError}`);
  store.dispose();
});

Deno.test("ConvMaskGenerator (F4): shape, range (0,1), and the single-layer formula", () => {
  const rng = new Rng(5);
  const store = new ParamStore(5);
  const [n, h, w, c] = [2, 5, 6, 3];
  const gen = new ConvMaskGenerator(store, "f4", { inChannels: c, hidden: [4, 4] });
  const f = randomTensor(rng, [n, h, w, c]) as tf.Tensor4D;
  const m = gen.apply(f);
  assert.deepEqual(m.shape, [n, h, w, 1]);
  assert.ok(m.dataSync().every((v) => v > 0 && v < 1));
  assert.equal(gen.convs.length, 3);
  // One layer, 1x1 kernel: M = sigmoid(relu(F) . w + b) per pixel.
  const one = new ConvMaskGenerator(store, "f4one", { inChannels: c, hidden: [], kernelSize: 1 });
  one.biases[0].assign(tf.tensor1d([0.3]));
  const k = one.convs[0].kernel.dataSync();
  const fv = f.dataSync();
  const ov = one.apply(f).dataSync();
  for (let p = 0; p < n * h * w; p++) {
    let s = 0.3;
    for (let ch = 0; ch < c; ch++) s += Math.max(0, fv[p * c + ch]) * k[ch];
    assert.ok(Math.abs(ov[p] - 1 / (1 + Math.exp(-s))) < 1e-5);
  }
  assert.throws(() => gen.apply(tf.zeros([1, 4, 4, c + 1])), /inChannels|NHWC/);
  store.dispose();
});

Deno.test("ConvMaskGenerator: gradients flow from a masked-image loss to every parameter", () => {
  const rng = new Rng(8);
  const store = new ParamStore(8);
  const [n, h, w, c] = [2, 4, 4, 3];
  const gen = new ConvMaskGenerator(store, "f4", { inChannels: c, hidden: [5] });
  // Make the first layer's input strictly positive so the ReLU passes everything.
  const f = tf.abs(randomTensor(rng, [n, h, w, c])) as tf.Tensor4D;
  const images = randomTensor(rng, [n, 16, 16, 3]) as tf.Tensor4D;
  const { value, grads } = valueAndGrads(() => {
    const m = gen.apply(f);
    const px = tokenMaskToPixels(tf.reshape(m, [n, h * w]), h, w, 16, 16);
    const masked = applyVisualMask(images, px, { kind: "zero" });
    return tf.mean(tf.square(masked)) as tf.Scalar;
  }, store.params());
  assert.equal(grads.size, store.params().size);
  for (const [name, g] of grads) assert.ok(norm(g) > 0, `zero gradient for ${name}`);
  assert.ok(Number.isFinite(value.dataSync()[0]));
  const check = checkGradients(([x]) => tf.sum(gen.apply(x as tf.Tensor4D)) as tf.Scalar, [f]);
  assert.ok(check.maxRelError < 2e-2, `max rel error ${check.maxRelError}`);
  store.dispose();
});

Deno.test("reverseGradient: identity forward, negated gradient backward", () => {
  const x = tf.tensor2d([[0.5, -1], [2, 3]]);
  const c = tf.tensor2d([[1, 2], [3, 4]]);
  const y = reverseGradient(x);
  assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
  const g = tf.grad((a) => tf.sum(tf.mul(reverseGradient(a), c)))(x);
  assert.deepEqual(Array.from(g.dataSync()), [-1, -2, -3, -4]);
  tf.dispose([x, c, y, g]);
});
