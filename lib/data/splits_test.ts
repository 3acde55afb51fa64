import assert from "node:assert/strict";
import {
  firstNIndices,
  labelBudgetIndices,
  stratifiedSubsampleIndices,
  subsetSplit,
} from "./splits.ts";
import { Rng } from "../rng.ts";

function randomLabels(rng: Rng, n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(k));
}

function countPerClass(labels: Int32Array, idx: Int32Array, k: number): number[] {
  const c = new Array(k).fill(0);
  for (const i of idx) c[labels[i]]++;
  return c;
}

Deno.test("labelBudgetIndices: balanced, distinct, sorted, seeded (total / perClass / fraction)", () => {
  const rng = new Rng(90);
  for (let t = 0; t < 10; t++) {
    const k = 2 + rng.int(9);
    const labels = randomLabels(rng, 500 + rng.int(1000), k);
    const per = 1 + rng.int(20);
    const a = labelBudgetIndices(labels, k, { total: per * k }, t);
    assert.deepEqual(countPerClass(labels, a, k), new Array(k).fill(per));
    assert.equal(new Set(a).size, a.length);
    assert.ok(a.every((v, i) => i === 0 || a[i - 1] < v));
    assert.deepEqual(a, labelBudgetIndices(labels, k, { perClass: per }, t));
    assert.notDeepEqual(a, labelBudgetIndices(labels, k, { perClass: per }, t + 100));
    const f = labelBudgetIndices(labels, k, { fraction: 0.1 }, t);
    const sizes = countPerClass(labels, Int32Array.from(labels, (_, i) => i), k);
    assert.deepEqual(
      countPerClass(labels, f, k),
      sizes.map((s) => Math.max(1, Math.round(0.1 * s))),
    );
  }
});

Deno.test("labelBudgetIndices: CIFAR-style 4000 = 400/class, and errors for too-small classes", () => {
  const labels = Int32Array.from({ length: 50000 }, (_, i) => i % 10);
  assert.deepEqual(
    countPerClass(labels, labelBudgetIndices(labels, 10, { total: 4000 }, 1), 10),
    new Array(10).fill(400),
  );
  const small = Int32Array.from([0, 0, 0, 1, 1]);
  assert.throws(
    () => labelBudgetIndices(small, 2, { perClass: 3 }, 0),
    /class 1 has only 2 images .* needs 3/,
  );
  assert.throws(() => labelBudgetIndices(labels, 10, { total: 4005 }, 0), /multiple of 10/);
  assert.throws(() => labelBudgetIndices(labels, 10, { fraction: 0 }, 0), /\(0, 1\]/);
});

Deno.test("stratifiedSubsampleIndices: exact size, proportional classes (within 1), seeded", () => {
  const rng = new Rng(91);
  for (let t = 0; t < 10; t++) {
    const k = 2 + rng.int(8);
    const labels = randomLabels(rng, 300 + rng.int(700), k);
    const n = 1 + rng.int(labels.length - 1);
    const idx = stratifiedSubsampleIndices(labels, k, n, t);
    assert.equal(idx.length, n);
    assert.equal(new Set(idx).size, n);
    const all = countPerClass(labels, Int32Array.from(labels, (_, i) => i), k);
    countPerClass(labels, idx, k).forEach((c, j) =>
      assert.ok(Math.abs(c - (all[j] * n) / labels.length) < 1)
    );
    assert.deepEqual(idx, stratifiedSubsampleIndices(labels, k, n, t));
  }
  assert.equal(stratifiedSubsampleIndices(Int32Array.from([0, 1]), 2, 5, 0).length, 2);
});

Deno.test("subsetSplit / firstNIndices: images and labels follow the indices", () => {
  const rng = new Rng(92);
  const count = 30, per = 12;
  const split = {
    images: new Uint8Array(count * per).map(() => rng.int(256)),
    labels: randomLabels(rng, count, 3),
    count,
  };
  const idx = Int32Array.from({ length: 10 }, () => rng.int(count));
  const sub = subsetSplit(split, idx);
  assert.equal(sub.count, 10);
  idx.forEach((i, k) => {
    assert.deepEqual(
      sub.images.subarray(k * per, (k + 1) * per),
      split.images.subarray(i * per, (i + 1) * per),
    );
    assert.equal(sub.labels[k], split.labels[i]);
  });
  assert.deepEqual(subsetSplit(split, firstNIndices(count, 5)).labels, split.labels.subarray(0, 5));
  assert.equal(firstNIndices(3, 10).length, 3);
  assert.throws(() => subsetSplit(split, [30]), /outside 0\.\.29/);
});
