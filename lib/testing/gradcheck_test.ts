import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "./gradcheck.ts";

await tf.setBackend("cpu");

function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.gaussian()), shape, "float32");
}

const SEEDS = [1, 2, 3, 4];

Deno.test("checkGradients: correct gradients of known smooth functions pass", () => {
  const fns: [string, (xs: tf.Tensor[]) => tf.Scalar, number[][]][] = [
    ["sum(x^3)/3", ([x]) => tf.div(tf.sum(tf.pow(x, 3)), 3), [[3, 4]]],
    ["sum(sin(x)*y)", ([x, y]) => tf.sum(tf.mul(tf.sin(x), y)), [[5], [5]]],
    ["logSumExp(xW)", ([x, w]) => tf.logSumExp(tf.matMul(x, w)), [[2, 3], [3, 4]]],
    ["mean(tanh(x))^2", ([x]) => tf.square(tf.mean(tf.tanh(x))), [[4, 2]]],
  ];
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    for (const [name, f, shapes] of fns) {
      const xs = shapes.map((s) => randn(rng, s));
      const before = tf.memory().numTensors;
      const r = checkGradients(f, xs, { seed });
      assert.equal(tf.memory().numTensors, before, `${name}: checkGradients leaked tensors`);
      assert.ok(r.maxRelError < 5e-3, `${name} seed ${seed}: maxRelError ${r.maxRelError}`);
      xs.forEach((x) => x.dispose());
    }
  }
});

Deno.test("checkGradients: detects a deliberately wrong gradient (sign, 5% scale, one coordinate)", () => {
  const wrong = (mutate: (g: tf.Tensor, x: tf.Tensor) => tf.Tensor) =>
    tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor;
      (args[1] as tf.GradSaveFunc)([x]);
      return {
        value: tf.sum(tf.square(x)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          mutate(tf.mul(dy, tf.mul(2, saved[0])), saved[0]),
      };
    });
  const variants: [string, (g: tf.Tensor, x: tf.Tensor) => tf.Tensor][] = [
    ["correct", (g) => g],
    ["negated", (g) => tf.neg(g)],
    ["scaled 1.05", (g) => tf.mul(g, 1.05)],
    ["one coordinate off", (g) => tf.add(g, tf.reshape(tf.oneHot([3], g.size), g.shape))],
  ];
  for (const seed of SEEDS) {
    const x = randn(new Rng(seed), [2, 4]);
    for (const [name, mutate] of variants) {
      const f = wrong(mutate);
      const r = checkGradients(([t]) => f(t) as tf.Scalar, [x], { seed });
      if (name === "correct") {
        assert.ok(r.maxRelError < 5e-3, `correct customGrad flagged: ${r.maxRelError}`);
      } else {
        assert.ok(r.maxRelError > 2e-2, `${name} not detected: maxRelError ${r.maxRelError}`);
      }
    }
    x.dispose();
  }
});

Deno.test("checkGradients: samples the requested number of coordinates and validates input", () => {
  const x = randn(new Rng(9), [10, 10]);
  const r = checkGradients(([t]) => tf.sum(tf.square(t)), [x], { samplesPerInput: 7, seed: 3 });
  assert.equal(r.entries.length, 7);
  assert.equal(new Set(r.entries.map((e) => e.index)).size, 7);
  const xi = tf.tensor([1, 2], [2], "int32");
  assert.throws(() => checkGradients(([t]) => tf.sum(t), [xi]), /dtype int32.*float32/);
  assert.throws(() => checkGradients(([t]) => tf.square(t) as tf.Scalar, [x]), /scalar/);
  assert.throws(() => checkGradients(([t]) => tf.sum(t), [x], { eps: 0 }), /eps/);
  x.dispose();
  xi.dispose();
});
