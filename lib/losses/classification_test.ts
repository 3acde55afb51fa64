import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { softmaxCrossEntropy, sslWithClassification, UNLABELLED } from "./classification.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];

function randLogits(rng: Rng, n: number, c: number, scale = 3): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: c }, () => scale * rng.gaussian()));
}

/** Float64 mean cross-entropy over labelled rows (label >= 0). */
function referenceCe(logits: number[][], labels: number[]): number {
  let sum = 0;
  let count = 0;
  logits.forEach((row, i) => {
    if (labels[i] < 0) return;
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, x) => s + Math.exp(x - mx), 0));
    sum += lse - row[labels[i]];
    count++;
  });
  return count === 0 ? 0 : sum / count;
}

Deno.test("softmaxCrossEntropy: equals a float64 reference; unlabelled rows are ignored", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const [n, c] = [1 + rng.int(8), 2 + rng.int(9)];
    const logits = randLogits(rng, n, c);
    const labels = Array.from({ length: n }, () => (rng.bernoulli(0.3) ? UNLABELLED : rng.int(c)));
    const want = referenceCe(logits, labels);
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => softmaxCrossEntropy(tf.tensor2d(logits), labels).dataSync()[0]);
    const viaTensor = tf.tidy(() =>
      softmaxCrossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, "int32")).dataSync()[0]
    );
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, want), `${got} vs ${want}`);
    assert.equal(viaTensor, got);
    // Changing the logits of an unlabelled row changes nothing.
    const u = labels.indexOf(UNLABELLED);
    if (u >= 0) {
      const moved = logits.map((r, i) => (i === u ? r.map((x) => x + 5 * rng.gaussian()) : r));
      const again = tf.tidy(() => softmaxCrossEntropy(tf.tensor2d(moved), labels).dataSync()[0]);
      assert.equal(again, got);
    }
  }
});

Deno.test("softmaxCrossEntropy: ln C at uniform logits; -> 0 as the true logit dominates", () => {
  for (const c of [2, 3, 10]) {
    const uniform = tf.tidy(() =>
      softmaxCrossEntropy(tf.zeros([4, c]), [0, 1, 1, 0]).dataSync()[0]
    );
    assert.ok(Math.abs(uniform - Math.log(c)) < 1e-6);
    const confident = tf.tidy(() =>
      softmaxCrossEntropy(tf.mul(tf.oneHot([1, 0], c), 50) as tf.Tensor2D, [1, 0]).dataSync()[0]
    );
    assert.ok(confident < 1e-6, `${confident}`);
  }
  const none = tf.tidy(() => softmaxCrossEntropy(tf.ones([3, 4]), [-1, -1, -1]).dataSync()[0]);
  assert.equal(none, 0);
});

Deno.test("softmaxCrossEntropy: gradient agrees with finite differences (softmax - onehot)/N", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 10);
    const [n, c] = [4, 5];
    const labels = Array.from({ length: n }, (_, i) => (i === 0 ? UNLABELLED : rng.int(c)));
    const x = tf.tensor2d(randLogits(rng, n, c, 1));
    const r = checkGradients(
      ([z]) => softmaxCrossEntropy(z as tf.Tensor2D, labels),
      [x],
      { seed, samplesPerInput: 20 },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    // Closed form: (softmax - onehot) / (#labelled), 0 on the unlabelled row.
    const probs = tf.tidy(() => tf.softmax(x).arraySync() as number[][]);
    for (const e of r.entries) {
      const [i, j] = [Math.floor(e.index / c), e.index % c];
      const want = labels[i] < 0 ? 0 : (probs[i][j] - (j === labels[i] ? 1 : 0)) / (n - 1);
      assert.ok(Math.abs(e.analytic - want) < 1e-6, `(${i},${j}): ${e.analytic} vs ${want}`);
    }
    x.dispose();
  }
});

Deno.test("sslWithClassification: L_ssl + lambda * L_cls, gradient (1, lambda)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 20);
    const [a, b, lambda] = [rng.uniform(0, 5), rng.uniform(0, 5), rng.uniform(0, 2)];
    const got = tf.tidy(() =>
      sslWithClassification(tf.scalar(a), tf.scalar(b), lambda).dataSync()[0]
    );
    assert.ok(Math.abs(got - (a + lambda * b)) < 1e-5);
    const xs = [tf.scalar(a), tf.scalar(b)];
    const r = checkGradients(
      ([s, cl]) => sslWithClassification(s as tf.Scalar, cl as tf.Scalar, lambda),
      xs,
      { seed },
    );
    assert.ok(r.maxRelError < 1e-2);
    assert.ok(Math.abs(r.entries[1].analytic - lambda) < 1e-6);
    tf.dispose(xs);
  }
});

Deno.test("classification: bad labels and weights throw with the fix", () => {
  tf.tidy(() => {
    const z = tf.zeros([3, 4]) as tf.Tensor2D;
    assert.throws(() => softmaxCrossEntropy(z, [0, 1]), /one label per row/);
    assert.throws(() => softmaxCrossEntropy(z, [0, 4, 1]), /label 4 at row 1 .*\[0, 4\)/);
    assert.throws(() => softmaxCrossEntropy(z, [0, -2, 1]), /label -2/);
    assert.throws(() => softmaxCrossEntropy(z, tf.tensor1d([0, 1, 2])), /int32/);
    assert.throws(() => sslWithClassification(tf.scalar(1), tf.scalar(1), -1), /lambdaCls/);
  });
});
