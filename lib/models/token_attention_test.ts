import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { attentionWeights } from "./token_attention.ts";

await tf.setBackend("cpu");

Deno.test("attentionWeights: softmax over tokens of a per-token score, masked tokens excluded", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const [n, t, c] = [1 + rng.int(3), 2 + rng.int(5), 1 + rng.int(4)];
    const tok = Float32Array.from({ length: n * t * c }, () => rng.gaussian());
    const u = Float32Array.from({ length: c }, () => rng.gaussian());
    const mask = Float32Array.from({ length: n * t }, () => (rng.bernoulli(0.5) ? 1 : 0));
    for (let i = 0; i < n; i++) mask[i * t + rng.int(t)] = 1; // one visible token per row
    const tokens = tf.tensor3d(tok, [n, t, c]);
    const vec = tf.tensor2d(u, [c, 1]);
    const score = (rows: tf.Tensor2D) => tf.tanh(tf.matMul(rows, vec)) as tf.Tensor2D;
    for (const mode of ["exclude", "keep"] as const) {
      const before = tf.memory().numTensors;
      const a = tf.tidy(() => attentionWeights(tokens, score, tf.tensor2d(mask, [n, t]), mode));
      assert.equal(tf.memory().numTensors, before + 1);
      assert.deepEqual(a.shape, [n, t]);
      const got = a.dataSync();
      a.dispose();
      for (let i = 0; i < n; i++) {
        // Reference: e_k = tanh(u . h_k), softmax over the tokens that count.
        const e = Array.from({ length: t }, (_, k) => {
          let s = 0;
          for (let j = 0; j < c; j++) s += u[j] * tok[(i * t + k) * c + j];
          return Math.tanh(s);
        });
        const counts = (k: number) => mode === "keep" || mask[i * t + k] === 1;
        const z = e.reduce((acc, ek, k) => acc + (counts(k) ? Math.exp(ek) : 0), 0);
        for (let k = 0; k < t; k++) {
          const want = counts(k) ? Math.exp(e[k]) / z : 0;
          const g = got[i * t + k];
          if (want === 0) assert.equal(g, 0, `masked token ${k} of row ${i} has weight ${g}`);
          else assert.ok(Math.abs(g - want) < 1e-5, `row ${i} token ${k}: ${g} vs ${want}`);
        }
      }
    }
    tf.dispose([tokens, vec]);
  }
});
