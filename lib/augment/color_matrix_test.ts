import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { applyColorMatrices, setIdentity } from "./color_matrix.ts";

await tf.setBackend("wasm");

Deno.test("applyColorMatrices: every pixel of image i becomes x @ A_i + t_i", async () => {
  const rng = new Rng(81);
  const [n, h, w, c] = [5, 4, 3, 3];
  const data = Float32Array.from({ length: n * h * w * c }, () => rng.next());
  const mats = Float32Array.from({ length: n * c * c }, () => rng.gaussian());
  setIdentity(mats, 2, c);
  const offs = Float32Array.from({ length: n * c }, () => rng.gaussian());
  offs.fill(0, 2 * c, 3 * c);
  const x = tf.tensor4d(data, [n, h, w, c]);
  const t = tf.tensor3d(offs, [n, 1, c]);
  const before = tf.memory().numTensors;
  const y = applyColorMatrices(x, mats, t);
  const yd = await y.data();
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++) {
      const base = (i * h * w + p) * c;
      for (let j = 0; j < c; j++) {
        let want = offs[i * c + j];
        for (let r = 0; r < c; r++) want += data[base + r] * mats[i * c * c + r * c + j];
        if (i === 2) assert.equal(yd[base + j], data[base + j]); // identity is exact
        else assert.ok(Math.abs(yd[base + j] - want) < 1e-5);
      }
    }
  }
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => applyColorMatrices(x, new Float32Array(4)), /one 3x3 matrix per image/);
  tf.dispose([x, t]);
});
