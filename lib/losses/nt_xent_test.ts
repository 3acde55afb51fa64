import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { ntXent, ntXentAccuracy } from "./nt_xent.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];

function randRows(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.gaussian()));
}

/** Plain float64 NT-Xent: mean over 2N anchors of -s_pos + log sum_{j != i} exp(s_ij). */
function referenceNtXent(a: number[][], b: number[][], tau: number): { loss: number; acc: number } {
  const rows = [...a, ...b].map((r) => {
    const norm = Math.sqrt(r.reduce((s, x) => s + x * x, 0));
    return r.map((x) => x / norm);
  });
  const n = a.length;
  let loss = 0;
  let hits = 0;
  for (let i = 0; i < 2 * n; i++) {
    const pos = i < n ? i + n : i - n;
    let denom = 0;
    let best = -1;
    let bestSim = -Infinity;
    for (let j = 0; j < 2 * n; j++) {
      if (j === i) continue;
      const s = rows[i].reduce((acc, x, k) => acc + x * rows[j][k], 0);
      denom += Math.exp(s / tau);
      if (s > bestSim) [bestSim, best] = [s, j];
    }
    const sPos = rows[i].reduce((acc, x, k) => acc + x * rows[pos][k], 0);
    loss += -sPos / tau + Math.log(denom);
    if (best === pos) hits++;
  }
  return { loss: loss / (2 * n), acc: hits / (2 * n) };
}

Deno.test("ntXent: equals a plain float64 computation on random inputs", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const n = 2 + rng.int(7);
    const d = 1 + rng.int(8);
    const tau = rng.uniform(0.05, 1);
    const a = randRows(rng, n, d);
    const b = randRows(rng, n, d);
    const z1 = tf.tensor2d(a);
    const z2 = tf.tensor2d(b);
    const before = tf.memory().numTensors;
    const lossT = ntXent(z1, z2, tau);
    const loss = lossT.dataSync()[0];
    const acc = ntXentAccuracy(z1, z2);
    lossT.dispose();
    assert.equal(tf.memory().numTensors, before, "ntXent leaked tensors");
    const ref = referenceNtXent(a, b, tau);
    assert.ok(Math.abs(loss - ref.loss) <= 1e-5 * Math.max(1, ref.loss), `${loss} vs ${ref.loss}`);
    assert.equal(acc, ref.acc);
    tf.dispose([z1, z2]);
  }
});

Deno.test("ntXent: invariant to positive rescaling of each embedding (cosine similarity)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 10);
    const a = randRows(rng, 5, 4);
    const b = randRows(rng, 5, 4);
    const scale = (rows: number[][]) =>
      rows.map((r) => {
        const c = Math.exp(rng.uniform(-3, 3));
        return r.map((x) => x * c);
      });
    const l0 = tf.tidy(() => ntXent(tf.tensor2d(a), tf.tensor2d(b), 0.2).dataSync()[0]);
    const l1 = tf.tidy(() =>
      ntXent(tf.tensor2d(scale(a)), tf.tensor2d(scale(b)), 0.2).dataSync()[0]
    );
    assert.ok(Math.abs(l0 - l1) <= 1e-5 * Math.max(1, l0), `${l0} vs ${l1}`);
  }
});

Deno.test("ntXent: aligned pairs give a lower loss and perfect retrieval than random pairs", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 20);
    const a = randRows(rng, 8, 16);
    const aligned = a.map((r) => r.map((x) => x + 0.05 * rng.gaussian()));
    const random = randRows(rng, 8, 16);
    tf.tidy(() => {
      const z1 = tf.tensor2d(a);
      const la = ntXent(z1, tf.tensor2d(aligned), 0.5).dataSync()[0];
      const lr = ntXent(z1, tf.tensor2d(random), 0.5).dataSync()[0];
      assert.ok(la < lr, `aligned ${la} >= random ${lr}`);
      assert.equal(ntXentAccuracy(z1, tf.tensor2d(aligned)), 1);
    });
  }
});

Deno.test("ntXent: gradient agrees with central finite differences", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 30);
    const tau = rng.uniform(0.2, 1);
    const z1 = tf.tensor2d(randRows(rng, 4, 3));
    const z2 = tf.tensor2d(randRows(rng, 4, 3));
    const r = checkGradients(
      ([x, y]) => ntXent(x as tf.Tensor2D, y as tf.Tensor2D, tau),
      [z1, z2],
      { eps: 1e-2, seed },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: maxRelError ${r.maxRelError}`);
    tf.dispose([z1, z2]);
  }
});

Deno.test("ntXent: rejects mismatched views and bad temperatures", () => {
  tf.tidy(() => {
    assert.throws(() => ntXent(tf.zeros([3, 2]), tf.zeros([4, 2]), 0.5), /same shape/);
    assert.throws(() => ntXent(tf.ones([3, 2]), tf.ones([3, 2]), 0), /tau/);
    assert.throws(() => ntXentAccuracy(tf.zeros([3, 2]), tf.zeros([3, 3])), /same shape/);
  });
});
