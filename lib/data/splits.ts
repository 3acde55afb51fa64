/**
 * Seeded subsets of a split: class-balanced label budgets for semi-supervised
 * evaluation (e.g. CIFAR-10 with 4000 labels = 400 per class, SVHN with 1000
 * = 100 per class, or 1% / 10% of the labels), stratified subsamples for
 * `--train-size`, and materialising a subset as a new split.
 *
 * All index lists are returned sorted ascending so that a subset keeps the
 * original order; randomness only decides which images are chosen.
 *
 * @module
 */

import type { ImageSplit } from "./dataset.ts";
import { Rng } from "../rng.ts";

/** A label budget: exactly one of total count, per-class count, or fraction of each class. */
export type LabelBudget = { total: number } | { perClass: number } | { fraction: number };

function indicesByClass(labels: Int32Array, numClasses: number): number[][] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l < 0 || l >= numClasses) {
      throw new Error(
        `label ${l} at index ${i} is outside 0..${numClasses - 1}; pass the dataset's class count`,
      );
    }
    byClass[l].push(i);
  }
  return byClass;
}

function pick(pool: number[], k: number, rng: Rng): number[] {
  const copy = pool.slice();
  // Partial Fisher-Yates: the first k entries become a uniform sample.
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, k);
}

/**
 * Indices of a seeded, class-balanced labelled subset.
 * `{ total }` must divide evenly by the class count (4000 over 10 classes = 400 each);
 * `{ perClass }` takes that many of every class; `{ fraction }` (0 < f <= 1) takes
 * round(f * size of class), at least 1, from each class.
 * Throws, saying how many images it has, when a class is too small.
 */
export function labelBudgetIndices(
  labels: Int32Array,
  numClasses: number,
  budget: LabelBudget,
  seed: number,
): Int32Array {
  const byClass = indicesByClass(labels, numClasses);
  let want: (size: number) => number;
  if ("total" in budget) {
    const { total } = budget;
    if (!Number.isInteger(total) || total < numClasses || total % numClasses !== 0) {
      throw new Error(
        `label budget ${total} cannot be split evenly over ${numClasses} classes; use a multiple ` +
          `of ${numClasses} (e.g. ${Math.max(1, Math.round(total / numClasses)) * numClasses})`,
      );
    }
    want = () => total / numClasses;
  } else if ("perClass" in budget) {
    const { perClass } = budget;
    if (!Number.isInteger(perClass) || perClass < 1) {
      throw new Error(`labels per class must be a positive integer, got ${perClass}`);
    }
    want = () => perClass;
  } else {
    const { fraction } = budget;
    if (!(fraction > 0 && fraction <= 1)) {
      throw new Error(`label fraction must be in (0, 1], got ${fraction}; e.g. 0.01 for 1%`);
    }
    want = (size) => Math.max(1, Math.round(fraction * size));
  }
  const rng = new Rng(seed);
  const chosen: number[] = [];
  byClass.forEach((pool, cls) => {
    const k = want(pool.length);
    if (k > pool.length) {
      throw new Error(
        `class ${cls} has only ${pool.length} images but the label budget needs ${k} per class; ` +
          `lower the budget`,
      );
    }
    chosen.push(...pick(pool, k, rng.fork()));
  });
  return Int32Array.from(chosen).sort();
}

/**
 * Indices of a seeded subsample of size `n` whose class proportions match the
 * split's (largest-remainder rounding); n >= count returns every index.
 */
export function stratifiedSubsampleIndices(
  labels: Int32Array,
  numClasses: number,
  n: number,
  seed: number,
): Int32Array {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`subsample size must be a positive integer, got ${n}`);
  }
  if (n >= labels.length) return Int32Array.from(labels, (_, i) => i);
  const byClass = indicesByClass(labels, numClasses);
  const exact = byClass.map((p) => (p.length * n) / labels.length);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) =>
    b[0] - a[0] || a[1] - b[1]
  );
  for (const [, i] of order) {
    if (left === 0) break;
    counts[i]++;
    left--;
  }
  const rng = new Rng(seed);
  const chosen: number[] = [];
  byClass.forEach((pool, cls) => chosen.push(...pick(pool, counts[cls], rng.fork())));
  return Int32Array.from(chosen).sort();
}

/** Indices 0..n-1 (the first n images, no randomness); n >= count returns all. */
export function firstNIndices(count: number, n: number): Int32Array {
  return Int32Array.from({ length: Math.min(count, n) }, (_, i) => i);
}

/** A new split holding the images and labels at `indices` (copied, in the given order). */
export function subsetSplit(split: ImageSplit, indices: ArrayLike<number>): ImageSplit {
  const per = split.count > 0 ? split.images.length / split.count : 0;
  const images = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= split.count) {
      throw new Error(`subset index ${i} is outside 0..${split.count - 1}`);
    }
    images.set(split.images.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = split.labels[i];
  }
  return { images, labels, count: indices.length };
}
