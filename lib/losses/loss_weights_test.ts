import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { ParamStore, valueAndGrads } from "../nn/params.ts";
import { uncertaintyWeightedSum, UncertaintyWeighting, weightedLossSum } from "./loss_weights.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];
const NAMES = ["rec", "con", "kd"];

Deno.test("weightedLossSum: equals sum_i w_i L_i, and its gradient is w_i", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const values = NAMES.map(() => rng.uniform(0, 5));
    const w = Object.fromEntries(NAMES.map((n) => [n, rng.uniform(-1, 15)]));
    const manual = NAMES.reduce((s, n, i) => s + w[n] * values[i], 0);
    const got = tf.tidy(() =>
      weightedLossSum(Object.fromEntries(NAMES.map((n, i) => [n, tf.scalar(values[i])])), w)
        .dataSync()[0]
    );
    assert.ok(Math.abs(got - manual) <= 1e-5 * Math.max(1, Math.abs(manual)));
    const xs = values.map((v) => tf.scalar(v));
    const r = checkGradients(
      (ls) => weightedLossSum(Object.fromEntries(NAMES.map((n, i) => [n, ls[i] as tf.Scalar])), w),
      xs,
      { seed },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    r.entries.forEach((e) => assert.ok(Math.abs(e.analytic - w[NAMES[e.input]]) < 1e-5));
    tf.dispose(xs);
  }
});

Deno.test("weightedLossSum: a term without a weight or a weight without a term throws", () => {
  tf.tidy(() => {
    const one = tf.scalar(1);
    assert.throws(() => weightedLossSum({ rec: one, kd: one }, { rec: 1 }), /no weight for .*"kd"/);
    assert.throws(() => weightedLossSum({ rec: one }, { rec: 1, kd: 10 }), /"kd" has no loss/);
    assert.throws(() => weightedLossSum({ rec: one }, { rec: NaN }), /finite/);
    assert.throws(
      () => weightedLossSum({ rec: tf.ones([2]) as unknown as tf.Scalar }, { rec: 1 }),
      /scalar/,
    );
  });
});

Deno.test("UncertaintyWeighting: value and dL/ds_i = 1 - exp(-s_i) L_i match the analytic form", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 10);
    const store = new ParamStore(seed);
    const init = rng.uniform(-1, 1);
    const weighting = new UncertaintyWeighting(store, NAMES, { initialLogVar: init });
    const values = NAMES.map(() => rng.uniform(0.1, 5));
    const { value, grads } = valueAndGrads(
      () => weighting.combine(Object.fromEntries(NAMES.map((n, i) => [n, tf.scalar(values[i])]))),
      store.params(),
    );
    const want = values.reduce((s, l) => s + Math.exp(-init) * l + init, 0);
    assert.ok(Math.abs(value.dataSync()[0] - want) <= 1e-5 * Math.max(1, Math.abs(want)));
    assert.deepEqual([...grads.keys()], NAMES.map((n) => `lossWeights.${n}`));
    NAMES.forEach((n, i) => {
      const g = grads.get(`lossWeights.${n}`)!.dataSync()[0];
      const analytic = 1 - Math.exp(-init) * values[i];
      assert.ok(Math.abs(g - analytic) < 1e-5, `${n}: ${g} vs ${analytic}`);
    });
    const eff = weighting.weights();
    NAMES.forEach((n) => assert.ok(Math.abs(eff[n] - Math.exp(-init)) < 1e-6));
    tf.dispose([value, ...grads.values()]);
    store.dispose();
  }
});

Deno.test("uncertaintyWeightedSum: gradient agrees with central finite differences", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 20);
    const xs = [
      ...NAMES.map(() => tf.scalar(rng.uniform(0.1, 3))),
      tf.tensor1d(NAMES.map(() => rng.uniform(-1, 1))),
    ];
    const r = checkGradients(
      (t) => uncertaintyWeightedSum(t.slice(0, 3) as tf.Scalar[], t[3] as tf.Tensor1D),
      xs,
      { seed },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    tf.dispose(xs);
  }
});

Deno.test("UncertaintyWeighting: descent drives s_i towards log L_i", () => {
  const store = new ParamStore(0);
  const weighting = new UncertaintyWeighting(store, ["a", "b"]);
  const fixed = { a: 4, b: 0.25 };
  for (let step = 0; step < 400; step++) {
    const { value, grads } = valueAndGrads(
      () => weighting.combine({ a: tf.scalar(fixed.a), b: tf.scalar(fixed.b) }),
      store.params(),
    );
    for (const [name, g] of grads) {
      const v = store.params().get(name)!;
      tf.tidy(() => v.assign(tf.sub(v, tf.mul(g, 0.05))));
    }
    tf.dispose([value, ...grads.values()]);
  }
  const w = weighting.weights();
  assert.ok(Math.abs(w.a - 1 / fixed.a) < 1e-2, `a: ${w.a}`);
  assert.ok(Math.abs(w.b - 1 / fixed.b) < 5e-2, `b: ${w.b}`);
  store.dispose();
});

Deno.test("UncertaintyWeighting: rejects unknown, missing and duplicate terms", () => {
  const store = new ParamStore(0);
  const weighting = new UncertaintyWeighting(store, ["rec", "kd"]);
  tf.tidy(() => {
    const one = tf.scalar(1);
    assert.throws(() => weighting.combine({ rec: one }), /missing loss term "kd"/);
    assert.throws(() => weighting.combine({ rec: one, kd: one, c: one }), /unknown .*"c"/);
  });
  assert.throws(() => new UncertaintyWeighting(store, ["x", "x"]), /distinct/);
  assert.throws(() => new UncertaintyWeighting(store, ["rec"]), /already taken/);
  store.dispose();
});
