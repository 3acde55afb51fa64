import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { BatchNorm, Conv2d, Linear } from "./layers.ts";
import { ParamStore } from "./params.ts";
import { Rng } from "../rng.ts";

await tf.setBackend("cpu");

Deno.test("BatchNorm in training normalises every channel to mean 0, var 1 and moves running stats", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const c = 1 + rng.int(5);
    const store = new ParamStore(seed);
    const bn = new BatchNorm(store, "bn", c, { momentum: 0.25 });
    const x = tf.tidy(() =>
      tf.add(tf.mul(tf.randomNormal([4, 3, 5, c], 0, 1, "float32", seed), 3), 7)
    );
    const y = bn.apply(x, { training: true });
    const m = tf.moments(y, [0, 1, 2]);
    for (const v of m.mean.dataSync()) assert.ok(Math.abs(v) < 1e-4);
    for (const v of m.variance.dataSync()) assert.ok(Math.abs(v - 1) < 1e-3);
    const batchMean = tf.moments(x, [0, 1, 2]).mean.dataSync();
    const rm = bn.runningMean.dataSync();
    for (let i = 0; i < c; i++) assert.ok(Math.abs(rm[i] - 0.25 * batchMean[i]) < 1e-4);
    store.dispose();
  }
});

Deno.test("BatchNorm in eval mode uses running statistics and is affine per channel", () => {
  const store = new ParamStore(0);
  const bn = new BatchNorm(store, "bn", 2);
  bn.runningMean.assign(tf.tensor1d([1, -2]));
  bn.runningVar.assign(tf.tensor1d([4, 9]));
  bn.gamma.assign(tf.tensor1d([2, 1]));
  bn.beta.assign(tf.tensor1d([0.5, 0]));
  const y = bn.apply(tf.tensor2d([[3, 1]]), { training: false }).dataSync();
  assert.ok(Math.abs(y[0] - (2 * (3 - 1) / Math.sqrt(4 + 1e-5) + 0.5)) < 1e-5);
  assert.ok(Math.abs(y[1] - (1 - -2) / Math.sqrt(9 + 1e-5)) < 1e-5);
  store.dispose();
});

Deno.test("Conv2d output shape and MAC count agree for stride 1 and 2", () => {
  const store = new ParamStore(0);
  for (const stride of [1, 2]) {
    const conv = new Conv2d(store, `c${stride}`, {
      inChannels: 3,
      outChannels: 4,
      size: 3,
      stride,
    });
    const y = conv.apply(tf.zeros([2, 9, 7, 3]));
    const [, h, w, c] = y.shape;
    assert.deepEqual([h, w, c], [Math.ceil(9 / stride), Math.ceil(7 / stride), 4]);
    assert.equal(conv.macs(9, 7), h * w * 9 * 3 * 4);
  }
  store.dispose();
});

Deno.test("ParamStore rejects duplicate names and checkpoint shape mismatches with the name", () => {
  const store = new ParamStore(0);
  new Linear(store, "fc", { inFeatures: 3, outFeatures: 2 });
  assert.throws(() => new Linear(store, "fc", { inFeatures: 3, outFeatures: 2 }), /fc.weight/);
  const bad = new Map([["fc.weight", tf.zeros([2, 2])], ["fc.bias", tf.zeros([2])]]);
  assert.throws(() => store.assignFrom(bad), /fc.weight.*\[2,2\].*\[3,2\]/);
  store.dispose();
});

Deno.test("ParamStore initialisation is reproducible from the seed", () => {
  const a = new ParamStore(42);
  const b = new ParamStore(42);
  const c = new ParamStore(43);
  const wa = a.param("w", [10], { kind: "normal", std: 1 }).dataSync();
  const wb = b.param("w", [10], { kind: "normal", std: 1 }).dataSync();
  const wc = c.param("w", [10], { kind: "normal", std: 1 }).dataSync();
  assert.deepEqual(Array.from(wa), Array.from(wb));
  assert.notDeepEqual(Array.from(wa), Array.from(wc));
  [a, b, c].forEach((s) => s.dispose());
});
