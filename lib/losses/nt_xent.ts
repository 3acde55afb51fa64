/**
 * NT-Xent (normalised temperature-scaled cross-entropy), the InfoNCE form of
 * SimCLR and of S-MAG's contrastive loss (F1).
 *
 * For a batch of N images with two views each, the 2N embeddings are
 * L2-normalised and compared by cosine similarity divided by the temperature
 * tau. Each of the 2N embeddings is an anchor: its positive is the other view
 * of the same image, its negatives are the remaining 2N - 2 embeddings, and
 * self-similarity is excluded:
 *
 * ```
 * s_ij = <u_i, u_j> / tau,   u = z / ||z||
 * loss = (1 / 2N) * sum_i [ -s_{i,pos(i)} + log sum_{j != i} exp(s_ij) ]
 * ```
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { logSumExpRows } from "./log_sum_exp.ts";
import { diagonalMatrix } from "./diagonal.ts";

/** Small constant under the norm: rows with ||z|| below it are not rescaled up. */
const NORM_EPS = 1e-8;

function checkViews(fn: string, z1: tf.Tensor, z2: tf.Tensor): void {
  if (z1.rank !== 2 || !tf.util.arraysEqual(z1.shape, z2.shape)) {
    throw new Error(
      `${fn}: z1 and z2 must both be [N, D] with the same shape, got [${z1.shape}] and ` +
        `[${z2.shape}]; flatten embeddings to [N, D] and pair view 1 with view 2 row by row`,
    );
  }
  if (z1.shape[0] < 1) throw new Error(`${fn}: the batch is empty; pass N >= 1 rows`);
}

/** Row-wise L2 normalisation `z / max(||z||, 1e-8)`; z: [N, D] -> [N, D]. */
export function l2NormalizeRows(z: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(z), 1, true);
    return tf.mul(z, tf.rsqrt(tf.maximum(sq, NORM_EPS * NORM_EPS))) as tf.Tensor2D;
  });
}

/** Logit added to the diagonal: its exp is 0 in float32, so self-similarity drops out. */
const SELF_LOGIT = -1e9;

/**
 * The [2N, 2N] logit matrix `s_ij / tau` of the concatenated, normalised views
 * `[z1; z2]`, with a large negative value added on the diagonal (self-similarity).
 */
function maskedLogits(z1: tf.Tensor2D, z2: tf.Tensor2D, tau: number): tf.Tensor2D {
  const u = l2NormalizeRows(tf.concat([z1, z2], 0));
  const sim = tf.div(tf.matMul(u, u, false, true), tau);
  const twoN = u.shape[0];
  return tf.add(sim, diagonalMatrix(twoN, twoN, SELF_LOGIT)) as tf.Tensor2D;
}

/** Column index of each anchor's positive: i + N for i < N, i - N otherwise. */
function positiveIndex(n: number): Int32Array {
  return Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? i + n : i - n));
}

/**
 * NT-Xent loss of two views.
 *
 * @param z1 [N, D] float32 embeddings of view 1 (not necessarily normalised).
 * @param z2 [N, D] float32 embeddings of view 2; row i is the positive of z1 row i.
 * @param tau temperature > 0 (SimCLR CIFAR 0.5, MoCo 0.1-0.2, KDC-MAE 0.05).
 * @returns scalar mean loss over the 2N anchors; differentiable in z1 and z2.
 */
export function ntXent(z1: tf.Tensor2D, z2: tf.Tensor2D, tau: number): tf.Scalar {
  checkViews("ntXent", z1, z2);
  if (!(tau > 0 && Number.isFinite(tau))) {
    throw new RangeError(`ntXent: temperature tau must be a positive number, got ${tau}`);
  }
  const n = z1.shape[0];
  return tf.tidy(() => {
    const logits = maskedLogits(z1, z2, tau);
    const index = positiveIndex(n);
    const pos = diagonalMatrix(2 * n, 2 * n, 1, (i) => index[i]);
    const positive = tf.sum(tf.mul(logits, pos), 1);
    return tf.mean(tf.sub(logSumExpRows(logits), positive)) as tf.Scalar;
  });
}

/**
 * Fraction of the 2N anchors whose most similar other embedding (cosine,
 * self excluded) is their positive: the "positive retrieval" top-1 accuracy
 * that SimCLR-style trainers log next to the loss. Not differentiable.
 *
 * @param z1 [N, D] view-1 embeddings; z2 [N, D] view-2 embeddings.
 * @returns a number in [0, 1].
 */
export function ntXentAccuracy(z1: tf.Tensor2D, z2: tf.Tensor2D): number {
  checkViews("ntXentAccuracy", z1, z2);
  const n = z1.shape[0];
  const best = tf.tidy(() => tf.argMax(maskedLogits(z1, z2, 1), 1));
  const idx = best.dataSync();
  best.dispose();
  const pos = positiveIndex(n);
  let hits = 0;
  for (let i = 0; i < 2 * n; i++) if (idx[i] === pos[i]) hits++;
  return hits / (2 * n);
}
