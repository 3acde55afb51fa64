import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { AdamW, defaultDecayExclusion } from "./adamw.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3];
const SHAPES: Record<string, number[]> = {
  "layer.kernel": [3, 4],
  "layer.bias": [4],
  "bn.gamma": [4],
  "conv.kernel": [2, 2, 1, 3],
};

function randArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.gaussian() * scale);
}

function makeParams(rng: Rng): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [name, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, tf.variable(tf.tensor(randArray(rng, n), shape), true));
  }
  return out;
}

function makeGrads(rng: Rng, scale = 1): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, tf.tensor(randArray(rng, n, scale), shape));
  }
  return out;
}

function disposeAll(...maps: Map<string, tf.Tensor>[]): void {
  for (const m of maps) for (const t of m.values()) t.dispose();
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    assert.ok(err <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]} (err ${err})`);
  }
}

/** Plain float64 AdamW (PyTorch semantics) on one flat parameter. */
function referenceAdamW(
  p0: Float32Array,
  grads: Float32Array[],
  lrs: number[],
  o: { beta1: number; beta2: number; eps: number; wd: number },
): Float64Array {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, k) => {
    const t = k + 1;
    const lr = lrs[k];
    for (let i = 0; i < p.length; i++) {
      p[i] -= lr * o.wd * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
      const mHat = m[i] / (1 - o.beta1 ** t);
      const vHat = v[i] / (1 - o.beta2 ** t);
      p[i] -= (lr * mHat) / (Math.sqrt(vHat) + o.eps);
    }
  });
  return p;
}

for (const engine of ["host", "tensor"] as const) {
  Deno.test(`AdamW (${engine} engine): matches a float64 reference update over several steps (with decay exclusions)`, () => {
    for (const seed of SEEDS) {
      const rng = new Rng(seed);
      const hp = { beta1: 0.9, beta2: 0.99, eps: 1e-6, wd: rng.uniform(0.01, 0.5) };
      const params = makeParams(rng);
      const initial = new Map([...params].map(([k, v]) => [k, v.dataSync().slice()]));
      const opt = new AdamW({
        lr: 0.1,
        beta1: hp.beta1,
        beta2: hp.beta2,
        eps: hp.eps,
        weightDecay: hp.wd,
        engine,
      });
      const steps = 5;
      const gradHistory = new Map<string, Float32Array[]>([...params.keys()].map((k) => [k, []]));
      const lrs: number[] = [];
      for (let s = 0; s < steps; s++) {
        const grads = makeGrads(rng, rng.uniform(0.1, 3));
        for (const [k, g] of grads) gradHistory.get(k)!.push(g.dataSync().slice() as Float32Array);
        const lr = rng.uniform(1e-3, 0.1);
        lrs.push(lr);
        opt.step(grads, params, lr);
        disposeAll(grads);
      }
      assert.equal(opt.stepCount, steps);
      for (const [name, p] of params) {
        const decayed = defaultDecayExclusion(name, p.shape) ? 0 : hp.wd;
        assert.equal(decayed === 0, name !== "layer.kernel" && name !== "conv.kernel");
        const expected = referenceAdamW(
          initial.get(name) as Float32Array,
          gradHistory.get(name)!,
          lrs,
          { ...hp, wd: decayed },
        );
        assertClose(p.dataSync(), expected, 2e-5, `seed ${seed} ${name}`);
      }
      opt.dispose();
      disposeAll(params);
    }
  });
}

Deno.test("AdamW: the host and tensor engines give the same parameters and state", () => {
  const rng = new Rng(7);
  const a = makeParams(rng);
  const b = new Map([...a].map(([k, v]) => [k, tf.variable(v, true)]));
  const host = new AdamW({ lr: 0.05, engine: "host" });
  const tensor = new AdamW({ lr: 0.05, engine: "tensor" });
  assert.equal(host.engine, "host");
  for (let s = 0; s < 6; s++) {
    const grads = makeGrads(rng, 2);
    const lr = 0.01 * (s + 1);
    host.step(grads, a, lr);
    tensor.step(grads, b, lr);
    disposeAll(grads);
  }
  for (const [k, v] of a) assertClose(v.dataSync(), b.get(k)!.dataSync(), 1e-6, k);
  const sa = host.state();
  const sb = tensor.state();
  assert.deepEqual([...sa.keys()], [...sb.keys()]);
  for (const [k, t] of sa) assertClose(t.dataSync(), sb.get(k)!.dataSync(), 1e-6, `state ${k}`);
  disposeAll(sa, sb, a, b);
  host.dispose();
  tensor.dispose();
});

Deno.test("AdamW: with weightDecay 0 it equals tfjs Adam", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 100);
    const a = makeParams(rng);
    const b = new Map<string, tf.Variable>();
    for (const [k, v] of a) b.set(k, tf.variable(v, true, `adam_cmp_${seed}_${k}`));
    const ours = new AdamW({ lr: 0.05, weightDecay: 0 });
    const theirs = tf.train.adam(0.05, 0.9, 0.999, 1e-8);
    for (let s = 0; s < 4; s++) {
      const grads = makeGrads(rng);
      ours.step(grads, a);
      const named = [...grads].map(([k, g]) => ({ name: b.get(k)!.name, tensor: g }));
      theirs.applyGradients(named);
      disposeAll(grads);
    }
    for (const [k, v] of a) assertClose(v.dataSync(), b.get(k)!.dataSync(), 1e-5, `${seed} ${k}`);
    ours.dispose();
    theirs.dispose();
    disposeAll(a, b);
  }
});

Deno.test("AdamW: decay is decoupled (m and v do not depend on it; zero gradient only shrinks)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 200);
    const p0 = makeParams(rng);
    const pA = new Map([...p0].map(([k, v]) => [k, tf.variable(v, true)]));
    const pB = new Map([...p0].map(([k, v]) => [k, tf.variable(v, true)]));
    const all = () => true;
    const noDecay = new AdamW({ lr: 0.01, weightDecay: 0 });
    const decay = new AdamW({ lr: 0.01, weightDecay: 0.3, excludeFromDecay: () => false });
    for (let s = 0; s < 3; s++) {
      const grads = makeGrads(rng);
      noDecay.step(grads, pA);
      decay.step(grads, pB);
      disposeAll(grads);
    }
    const sA = noDecay.state();
    const sB = decay.state();
    for (const [k, t] of sA) {
      if (k.startsWith("m/") || k.startsWith("v/")) {
        assert.deepEqual(sB.get(k)!.dataSync(), t.dataSync(), `${k} depends on weight decay`);
      }
    }
    disposeAll(sA, sB);
    // Zero gradient: Adam part is 0/(0+eps) = 0, so p <- p * (1 - lr * wd) exactly, m = v = 0.
    const fresh = new AdamW({ lr: 0.02, weightDecay: 0.5, excludeFromDecay: all });
    const q = makeParams(rng);
    const before = new Map([...q].map(([k, v]) => [k, v.dataSync().slice()]));
    const zeros = new Map([...q].map(([k, v]) => [k, tf.zerosLike(v)]));
    fresh.step(zeros, q);
    for (const [k, v] of q) {
      assert.deepEqual(v.dataSync(), before.get(k), `${k} excluded yet changed`);
    }
    const shrink = new AdamW({ lr: 0.02, weightDecay: 0.5, excludeFromDecay: () => false });
    shrink.step(zeros, q);
    for (const [k, v] of q) {
      assertClose(v.dataSync(), Array.from(before.get(k)!, (x) => x * (1 - 0.02 * 0.5)), 1e-7, k);
    }
    const st = shrink.state();
    for (const [k, t] of st) {
      if (k.startsWith("m/") || k.startsWith("v/")) {
        assert.ok(t.dataSync().every((x) => x === 0), k);
      }
    }
    disposeAll(st, zeros, p0, pA, pB, q);
    for (const o of [noDecay, decay, fresh, shrink]) o.dispose();
  }
});

Deno.test("AdamW: no tensor leaks per step; state()/loadState() resumes exactly", () => {
  const rng = new Rng(7);
  const params = makeParams(rng);
  const opt = new AdamW({ lr: 0.01 });
  const g0 = makeGrads(rng);
  opt.step(g0, params); // creates the slots
  const count = tf.memory().numTensors;
  for (let s = 0; s < 5; s++) opt.step(g0, params, 0.001 * (s + 1));
  assert.equal(tf.memory().numTensors, count, "tensors leaked by step()");

  const saved = opt.state();
  const copy = new Map([...params].map(([k, v]) => [k, tf.variable(v, true)]));
  const resumed = new AdamW({ lr: 0.01 });
  resumed.loadState(saved);
  assert.equal(resumed.stepCount, 6);
  disposeAll(saved);
  for (let s = 0; s < 3; s++) {
    const g = makeGrads(rng);
    opt.step(g, params);
    resumed.step(g, copy);
    disposeAll(g);
  }
  for (const [k, v] of params) assert.deepEqual(copy.get(k)!.dataSync(), v.dataSync(), k);
  opt.dispose();
  resumed.dispose();
  disposeAll(g0, params, copy);
});

Deno.test("AdamW: rejects mismatched gradients and bad hyper-parameters with actionable errors", () => {
  const rng = new Rng(8);
  const params = makeParams(rng);
  const opt = new AdamW({ lr: 0.01 });
  const g = new Map([["nope", tf.zeros([2])]]);
  assert.throws(() => opt.step(g, params), /no parameter of that name/);
  const g2 = new Map([["layer.bias", tf.zeros([5])]]);
  assert.throws(() => opt.step(g2, params), /shape \[5\].*\[4\]/);
  assert.throws(() => new AdamW({ lr: -1 }), /learning rate/);
  assert.throws(() => new AdamW({ lr: 1, beta1: 1 }), /beta1/);
  const bad = new Map<string, tf.Tensor>([["m/x", tf.zeros([2])]]);
  assert.throws(() => opt.loadState(bad), /incomplete state/);
  disposeAll(g, g2, bad, params);
  opt.dispose();
});
