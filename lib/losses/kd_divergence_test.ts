import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import {
  embeddingToDistribution,
  jensenShannon,
  KD_EPS,
  multiStreamKd,
  symmetricKl,
} from "./kd_divergence.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];

/**
 * Random rows whose minimum is separated from every other entry by >= `gap`,
 * so finite differences of size <= gap/2 never move the argmin.
 */
function separatedRows(rng: Rng, n: number, d: number, gap = 0.1): number[][] {
  return Array.from({ length: n }, () => {
    for (;;) {
      const r = Array.from({ length: d }, () => rng.gaussian());
      const sorted = [...r].sort((x, y) => x - y);
      if (sorted[1] - sorted[0] >= gap) return r;
    }
  });
}

function distribution(r: number[]): number[] {
  const mn = Math.min(...r);
  const s = r.map((x) => x - mn);
  const total = s.reduce((a, b) => a + b, 0);
  return s.map((x) => x / (total + KD_EPS));
}

function kl(p: number[], q: number[]): number {
  return p.reduce((s, pj, j) => s + pj * Math.log((pj + KD_EPS) / (q[j] + KD_EPS)), 0);
}

function refSymKl(a: number[][], b: number[][]): number {
  return a.reduce((s, r, i) => {
    const [p, q] = [distribution(r), distribution(b[i])];
    return s + (kl(p, q) + kl(q, p)) / 2;
  }, 0) / a.length;
}

function refJs(a: number[][], b: number[][]): number {
  return a.reduce((s, r, i) => {
    const [p, q] = [distribution(r), distribution(b[i])];
    const m = p.map((pj, j) => (pj + q[j]) / 2);
    return s + (kl(p, m) + kl(q, m)) / 2;
  }, 0) / a.length;
}

const scalar = (f: () => tf.Scalar) => tf.tidy(() => f().dataSync()[0]);

Deno.test("embeddingToDistribution: non-negative rows summing to 1, min entry 0, no softmax", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    // Rows shifted up and down: the result depends on z - min(z) only.
    const rows = separatedRows(rng, 4, 6).map((r, i) => r.map((x) => x + (i - 2) * 3));
    const got = tf.tidy(() => embeddingToDistribution(tf.tensor2d(rows)).arraySync());
    rows.forEach((r, i) => {
      const want = distribution(r);
      assert.ok(Math.abs(got[i].reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal(Math.min(...got[i]), 0);
      got[i].forEach((x, j) => assert.ok(Math.abs(x - want[j]) < 1e-5, `${x} vs ${want[j]}`));
    });
  }
});

Deno.test("symmetricKl and jensenShannon: equal a float64 reference", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 10);
    const [n, d] = [1 + rng.int(5), 2 + rng.int(6)];
    const a = separatedRows(rng, n, d, 0);
    const b = separatedRows(rng, n, d, 0);
    const before = tf.memory().numTensors;
    const kl = scalar(() => symmetricKl(tf.tensor2d(a), tf.tensor2d(b)));
    const js = scalar(() => jensenShannon(tf.tensor2d(a), tf.tensor2d(b)));
    assert.equal(tf.memory().numTensors, before);
    const [wantKl, wantJs] = [refSymKl(a, b), refJs(a, b)];
    assert.ok(Math.abs(kl - wantKl) <= 1e-4 * Math.max(1, wantKl), `${kl} vs ${wantKl}`);
    assert.ok(Math.abs(js - wantJs) <= 1e-5, `${js} vs ${wantJs}`);
  }
});

Deno.test("divergences: symmetric, >= 0, zero for equal inputs, JS <= ln 2", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 20);
    const n = 1 + rng.int(5);
    const d = 2 + rng.int(8);
    const a = tf.tensor2d(separatedRows(rng, n, d, 0));
    const b = tf.tensor2d(separatedRows(rng, n, d, 0));
    for (const f of [symmetricKl, jensenShannon]) {
      const ab = scalar(() => f(a, b));
      const ba = scalar(() => f(b, a));
      const aa = scalar(() => f(a, a));
      assert.ok(Math.abs(ab - ba) <= 1e-6 * Math.max(1, ab), `${f.name} not symmetric`);
      assert.ok(ab > 0, `${f.name} = ${ab} for different inputs`);
      assert.ok(Math.abs(aa) < 1e-6, `${f.name}(a, a) = ${aa}`);
    }
    assert.ok(scalar(() => jensenShannon(a, b)) <= Math.LN2 + 1e-6);
    tf.dispose([a, b]);
  }
  // Disjoint supports reach the JS bound ln 2.
  const disjoint = scalar(() => jensenShannon(tf.tensor2d([[0, 0, 1]]), tf.tensor2d([[1, 0, 0]])));
  assert.ok(Math.abs(disjoint - Math.LN2) < 1e-5, `${disjoint}`);
});

Deno.test("multiStreamKd: 3 streams give the mean of the 3 pairwise divergences", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 30);
    const [n, d] = [3, 5];
    const streams = [0, 1, 2].map(() => tf.tensor2d(separatedRows(rng, n, d, 0)));
    const [z1, z2, z3] = streams;
    for (const [kind, f] of [["kl", symmetricKl], ["js", jensenShannon]] as const) {
      const manual = (scalar(() => f(z1, z2)) + scalar(() => f(z1, z3)) +
        scalar(() => f(z2, z3))) / 3;
      const got = scalar(() => multiStreamKd(streams, kind));
      assert.ok(Math.abs(got - manual) <= 1e-6 * Math.max(1, manual), `${kind}: ${got}`);
      assert.equal(scalar(() => multiStreamKd([z1, z2], kind)), scalar(() => f(z1, z2)));
    }
    tf.dispose(streams);
  }
});

Deno.test("divergences: gradient agrees with central finite differences", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 40);
    const xs = [0, 1, 2].map(() => tf.tensor2d(separatedRows(rng, 2, 4, 0.1)));
    for (const kind of ["kl", "js"] as const) {
      const r = checkGradients(
        (zs) => multiStreamKd(zs as tf.Tensor2D[], kind),
        xs,
        { seed, eps: 2e-2 },
      );
      assert.ok(r.maxRelError < 1e-2, `seed ${seed} ${kind}: ${r.maxRelError}`);
    }
    tf.dispose(xs);
  }
});

Deno.test("divergences: reject mismatched shapes and fewer than 2 streams", () => {
  tf.tidy(() => {
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    assert.throws(() => symmetricKl(a, tf.ones([2, 4])), /mean-pool/);
    assert.throws(() => jensenShannon(a, tf.ones([3]) as unknown as tf.Tensor2D), /same shape/);
    assert.throws(() => multiStreamKd([a], "kl"), /at least 2 streams/);
    assert.throws(() => multiStreamKd([a, a], "l2" as "kl"), /"kl" or "js"/);
  });
});
