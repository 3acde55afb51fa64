/**
 * Top-k accuracy from per-class scores (logits, probabilities or votes).
 *
 * A sample counts as correct at k when its true class ranks among the k
 * highest scores; ties are broken towards the lower class index (as a stable
 * descending sort would), so ties never inflate the accuracy of later classes.
 *
 * @module
 */
import type * as tf from "../tfjs.ts";

function checkScores(scores: Float32Array, numClasses: number, labels: Int32Array): void {
  if (
    !(Number.isInteger(numClasses) && numClasses > 0) ||
    scores.length !== labels.length * numClasses
  ) {
    throw new Error(
      `topk: scores have ${scores.length} values, expected labels.length * numClasses = ` +
        `${labels.length} * ${numClasses}; pass scores as [n, numClasses] row-major`,
    );
  }
}

/** Rank (0 = best) of class `label` in one score row. */
function rankOf(scores: Float32Array, row: number, numClasses: number, label: number): number {
  const base = row * numClasses;
  const s = scores[base + label];
  if (Number.isNaN(s)) return numClasses;
  let rank = 0;
  for (let j = 0; j < numClasses; j++) {
    const v = scores[base + j];
    if (v > s || (v === s && j < label)) rank++;
  }
  return rank;
}

/**
 * Fraction of rows whose label is within the top `k` scores, for each k in `ks`.
 * scores: `[n*numClasses]` row-major; labels: `[n]`. Returns one accuracy per k.
 */
export function topKAccuracies(
  scores: Float32Array,
  numClasses: number,
  labels: Int32Array,
  ks: readonly number[],
): number[] {
  checkScores(scores, numClasses, labels);
  if (labels.length === 0) return ks.map(() => NaN);
  const correct = ks.map(() => 0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!(label >= 0 && label < numClasses)) {
      throw new RangeError(
        `topk: label ${label} at row ${i} is outside [0, ${numClasses}); check numClasses`,
      );
    }
    const r = rankOf(scores, i, numClasses, label);
    ks.forEach((k, j) => {
      if (r < k) correct[j]++;
    });
  }
  return correct.map((c) => c / labels.length);
}

/** Top-k accuracy for a single k. scores: `[n*numClasses]`; labels: `[n]`. */
export function topKAccuracy(
  scores: Float32Array,
  numClasses: number,
  labels: Int32Array,
  k = 1,
): number {
  return topKAccuracies(scores, numClasses, labels, [k])[0];
}

/**
 * Top-k accuracies from a logits tensor (read asynchronously; not disposed).
 * logits: `[n, numClasses]`; labels: `[n]`. Returns one accuracy per k.
 */
export async function topKAccuraciesFromTensor(
  logits: tf.Tensor2D,
  labels: Int32Array,
  ks: readonly number[],
): Promise<number[]> {
  const raw = await logits.data();
  const data = raw instanceof Float32Array ? raw : Float32Array.from(raw as ArrayLike<number>);
  return topKAccuracies(data, logits.shape[1], labels, ks);
}
