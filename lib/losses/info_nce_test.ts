import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { infoNce } from "./info_nce.ts";
import { ntXent } from "./nt_xent.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];

function randRows(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.gaussian()));
}

function cos(a: number[], b: number[]): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Float64 InfoNCE: per query, -s_pos + log sum exp over [positive, negatives, alpha*hard]. */
function referenceInfoNce(
  q: number[][],
  k: number[][],
  bank: number[][] | null,
  tau: number,
  hard: number[][] | null,
  alpha: number,
): number {
  let total = 0;
  for (let i = 0; i < q.length; i++) {
    const pos = cos(q[i], k[i]) / tau;
    const logits = [pos];
    const negs = bank ?? k.filter((_, j) => j !== i);
    for (const b of negs) logits.push(cos(q[i], b) / tau);
    if (hard) logits.push((alpha * cos(q[i], hard[i])) / tau);
    const mx = Math.max(...logits);
    const lse = mx + Math.log(logits.reduce((s, x) => s + Math.exp(x - mx), 0));
    total += lse - pos;
  }
  return total / q.length;
}

Deno.test("infoNce: equals a float64 reference (in-batch, bank, hard negatives)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const n = 1 + rng.int(6);
    const d = 2 + rng.int(6);
    const kBank = rng.int(9);
    const tau = rng.uniform(0.05, 1);
    const alpha = rng.uniform(0.5, 3);
    const q = randRows(rng, n, d);
    const k = randRows(rng, n, d);
    const bank = randRows(rng, kBank, d);
    const hard = randRows(rng, n, d);
    const [qt, kt, bt, ht] = [q, k, bank, hard].map((r) =>
      r.length ? tf.tensor2d(r) : tf.zeros([0, d]) as tf.Tensor2D
    );
    const before = tf.memory().numTensors;
    const cases: [tf.Tensor2D | null, tf.Tensor2D | null, number][] = [
      [null, null, referenceInfoNce(q, k, null, tau, null, alpha)],
      [bt, null, referenceInfoNce(q, k, bank, tau, null, alpha)],
      [null, ht, referenceInfoNce(q, k, null, tau, hard, alpha)],
      [bt, ht, referenceInfoNce(q, k, bank, tau, hard, alpha)],
    ];
    for (const [negs, h, ref] of cases) {
      if (negs === null && h === null && n === 1) continue; // 1 logit: loss 0 both ways
      const lossT = infoNce(qt, kt, negs, tau, { hardNegatives: h, alpha });
      const loss = lossT.dataSync()[0];
      lossT.dispose();
      assert.ok(Math.abs(loss - ref) <= 1e-5 * Math.max(1, ref), `seed ${seed}: ${loss} vs ${ref}`);
    }
    assert.equal(tf.memory().numTensors, before, "infoNce leaked tensors");
    tf.dispose([qt, kt, bt, ht]);
  }
});

Deno.test("infoNce: NT-Xent is the mean over 2N anchors of InfoNCE with a per-anchor bank", () => {
  // Anchor i of view 1: positive z2_i, negatives {z2_j, z1_j : j != i}; symmetric for view 2.
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 100);
    const n = 2 + rng.int(5);
    const d = 2 + rng.int(5);
    const tau = rng.uniform(0.1, 1);
    const z = [randRows(rng, n, d), randRows(rng, n, d)];
    const nt = tf.tidy(() => ntXent(tf.tensor2d(z[0]), tf.tensor2d(z[1]), tau).dataSync()[0]);
    let sum = 0;
    for (let view = 0; view < 2; view++) {
      const own = z[view];
      const other = z[1 - view];
      for (let i = 0; i < n; i++) {
        const bank = [...other.filter((_, j) => j !== i), ...own.filter((_, j) => j !== i)];
        sum += tf.tidy(() =>
          infoNce(tf.tensor2d([own[i]]), tf.tensor2d([other[i]]), tf.tensor2d(bank), tau)
            .dataSync()[0]
        );
      }
    }
    const viaInfoNce = sum / (2 * n);
    assert.ok(Math.abs(nt - viaInfoNce) <= 1e-5 * Math.max(1, nt), `${nt} vs ${viaInfoNce}`);
  }
});

Deno.test("infoNce: invariant to positive rescaling of every row (cosine)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 200);
    const [q, k, bank, hard] = [4, 4, 6, 4].map((n) => randRows(rng, n, 3));
    const scale = (rows: number[][]) =>
      rows.map((r) => {
        const c = Math.exp(rng.uniform(-3, 3));
        return r.map((x) => x * c);
      });
    const run = (a: number[][], b: number[][], c: number[][], h: number[][]) =>
      tf.tidy(() =>
        infoNce(tf.tensor2d(a), tf.tensor2d(b), tf.tensor2d(c), 0.2, {
          hardNegatives: tf.tensor2d(h),
        }).dataSync()[0]
      );
    const l0 = run(q, k, bank, hard);
    const l1 = run(scale(q), scale(k), scale(bank), scale(hard));
    assert.ok(Math.abs(l0 - l1) <= 1e-5 * Math.max(1, l0), `${l0} vs ${l1}`);
  }
});

Deno.test("infoNce: a larger alpha on a hard negative similar to q raises the loss", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 400);
    const q = randRows(rng, 4, 8);
    const k = randRows(rng, 4, 8);
    const hard = q.map((r) => r.map((x) => x + 0.1 * rng.gaussian())); // cos(q, hard) > 0
    const at = (alpha: number) =>
      tf.tidy(() =>
        infoNce(tf.tensor2d(q), tf.tensor2d(k), null, 0.2, {
          hardNegatives: tf.tensor2d(hard),
          alpha,
        }).dataSync()[0]
      );
    assert.ok(at(2) > at(1) && at(1) > at(0.5), `${at(0.5)} ${at(1)} ${at(2)}`);
  }
});

Deno.test("infoNce: gradient agrees with central finite differences (all inputs)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 500);
    const tau = rng.uniform(0.2, 1);
    const xs = [3, 3, 4, 3].map((n) => tf.tensor2d(randRows(rng, n, 3)));
    const withBank = checkGradients(
      ([q, k, b, h]) =>
        infoNce(q as tf.Tensor2D, k as tf.Tensor2D, b as tf.Tensor2D, tau, {
          hardNegatives: h as tf.Tensor2D,
          alpha: 2,
        }),
      xs,
      { seed },
    );
    assert.ok(withBank.maxRelError < 1e-2, `seed ${seed}: bank ${withBank.maxRelError}`);
    const inBatch = checkGradients(
      ([q, k]) => infoNce(q as tf.Tensor2D, k as tf.Tensor2D, null, tau),
      xs.slice(0, 2),
      { seed },
    );
    assert.ok(inBatch.maxRelError < 1e-2, `seed ${seed}: in-batch ${inBatch.maxRelError}`);
    tf.dispose(xs);
  }
});

Deno.test("infoNce: rejects bad shapes and temperatures, naming the fix", () => {
  tf.tidy(() => {
    const q = tf.ones([3, 2]) as tf.Tensor2D;
    assert.throws(() => infoNce(q, tf.ones([4, 2]), null, 0.5), /same shape/);
    assert.throws(() => infoNce(q, q, tf.ones([5, 3]), 0.5), /negatives must be \[K, 2\]/);
    assert.throws(
      () => infoNce(q, q, null, 0.5, { hardNegatives: tf.ones([2, 2]) }),
      /one per query/,
    );
    assert.throws(() => infoNce(q, q, null, 0), /tau/);
    assert.throws(() => infoNce(q, q, null, 0.1, { alpha: NaN }), /alpha/);
  });
});
