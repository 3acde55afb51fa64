import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { ParamStore } from "../nn/params.ts";
import { Rng } from "../rng.ts";
import { Gru, type GruGate } from "./gru.ts";

await tf.setBackend("cpu");

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Plain-JS F6-F8 for one row: W_g [h, x] + b_g with W_g stored as blocks wh (h part), wx (x part). */
function stepByHand(gru: Gru, x: Float32Array, h: Float32Array): Float32Array {
  const H = gru.hidden;
  const D = gru.inFeatures;
  const affine = (g: GruGate, hIn: Float32Array): Float32Array => {
    const wx = g.wx.dataSync();
    const wh = g.wh.dataSync();
    const b = g.b.dataSync();
    const out = new Float32Array(H);
    for (let j = 0; j < H; j++) {
      let s = b[j];
      for (let i = 0; i < H; i++) s += hIn[i] * wh[i * H + j];
      for (let i = 0; i < D; i++) s += x[i] * wx[i * H + j];
      out[j] = s;
    }
    return out;
  };
  const z = affine(gru.z, h).map(sigmoid); // F6
  const r = affine(gru.r, h).map(sigmoid); // F7
  const rh = h.map((v, i) => r[i] * v);
  const cand = affine(gru.h, rh).map(Math.tanh);
  return z.map((zj, j) => zj * h[j] + (1 - zj) * cand[j]); // F8
}

function gaussians(rng: Rng, n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.gaussian();
  return v;
}

Deno.test("GRU step matches F6-F8 computed by hand on random weights", () => {
  for (const seed of [1, 2, 3, 4]) {
    const rng = new Rng(seed);
    const [n, d, hDim] = [3, 2 + rng.int(5), 2 + rng.int(5)];
    const store = new ParamStore(seed);
    const gru = new Gru(store, "gru", { inFeatures: d, hidden: hDim });
    const x = gaussians(rng, n * d);
    const h = gaussians(rng, n * hDim);
    const got = gru.step(tf.tensor2d(x, [n, d]), tf.tensor2d(h, [n, hDim])).dataSync();
    for (let row = 0; row < n; row++) {
      const want = stepByHand(
        gru,
        x.subarray(row * d, row * d + d),
        h.subarray(row * hDim, row * hDim + hDim),
      );
      for (let j = 0; j < hDim; j++) {
        assert.ok(
          Math.abs(got[row * hDim + j] - want[j]) < 1e-5,
          `seed ${seed} row ${row} unit ${j}`,
        );
      }
    }
    store.dispose();
  }
});

Deno.test("GRU run over a sequence equals repeated steps from h0 = 0", () => {
  for (const seed of [5, 6]) {
    const rng = new Rng(seed);
    const [n, t, d, hDim] = [2, 5, 3, 4];
    const store = new ParamStore(seed);
    const gru = new Gru(store, "gru", { inFeatures: d, hidden: hDim });
    const xs = gaussians(rng, n * t * d);
    const before = tf.memory().numTensors;
    const states = gru.run(tf.tensor3d(xs, [n, t, d]));
    assert.deepEqual(states.shape, [n, t, hDim]);
    const got = states.dataSync();
    for (let row = 0; row < n; row++) {
      let h: Float32Array = new Float32Array(hDim);
      for (let k = 0; k < t; k++) {
        const off = (row * t + k) * d;
        h = stepByHand(gru, xs.subarray(off, off + d), h);
        for (let j = 0; j < hDim; j++) {
          assert.ok(Math.abs(got[(row * t + k) * hDim + j] - h[j]) < 1e-5);
        }
      }
    }
    states.dispose();
    assert.equal(tf.memory().numTensors, before + 1, "run leaked tensors"); // only the input tensor
    assert.throws(
      () => gru.run(tf.zeros([1, 2, d + 1]) as tf.Tensor3D),
      /expects 3 input features/,
    );
    assert.equal(gru.macsPerStep(), 3 * (d * hDim + hDim * hDim));
    store.dispose();
  }
});
