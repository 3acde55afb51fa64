/**
 * General InfoNCE with cosine similarity: the contrastive loss of S-MAG (F1)
 * in its one-directional query/key form, of MoCo (negatives from a queue), of
 * KDC-MAE's L_c, and of the saliency-masking paper's hard negatives (seed 001).
 *
 * Queries, keys and negatives are L2-normalised, so every similarity is a
 * cosine. For query i with positive key i:
 *
 * ```
 * in-batch (negatives = null):  logits_i = [ q_i.k_1, ..., q_i.k_N ] / tau          label i
 * bank (negatives = B [K,D]):    logits_i = [ q_i.k_i, q_i.b_1, ..., q_i.b_K ] / tau  label 0
 * with hard negatives H [N,D]:   logits_i += [ alpha * q_i.h_i / tau ]  (one extra column)
 * loss = mean_i [ log sum_j exp(logits_ij) - logits_i,label ]
 * ```
 *
 * The hard-negative column is the saliency paper's
 * `logits = [q.k+, q.queue, alpha * q.k_hard] / T`: each query has its own hard
 * negative (a more heavily masked copy of its key view), and alpha = 2 there.
 *
 * The loss is differentiable in every input. MoCo's stop-gradient on the keys
 * is the caller's job: compute the keys outside the function whose gradient is
 * taken (see `mocoLoss` in `moco_queue.ts`).
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { logSumExpRows } from "./log_sum_exp.ts";
import { diagonalMatrix } from "./diagonal.ts";
import { l2NormalizeRows } from "./nt_xent.ts";

/** Options of {@link infoNce}. */
export interface InfoNceOptions {
  /**
   * One extra negative per query, `[N, D]` (row i is the hard negative of
   * query i), entering the logits as `alpha * cos(q_i, h_i) / tau`.
   */
  hardNegatives?: tf.Tensor2D | null;
  /** Scale of the hard-negative similarity; default 2 (the saliency paper's value). */
  alpha?: number;
}

/** Default hard-negative scale (Chin et al., WACV 2024). */
export const DEFAULT_HARD_ALPHA = 2;

function checkInputs(
  fn: string,
  q: tf.Tensor,
  k: tf.Tensor,
  negatives: tf.Tensor | null | undefined,
  tau: number,
  opts: InfoNceOptions,
): void {
  if (q.rank !== 2 || !tf.util.arraysEqual(q.shape, k.shape)) {
    throw new Error(
      `${fn}: q and k must both be [N, D] with the same shape, got [${q.shape}] and ` +
        `[${k.shape}]; pair each query with its positive key row by row`,
    );
  }
  if (q.shape[0] < 1) throw new Error(`${fn}: the batch is empty; pass N >= 1 rows`);
  const d = q.shape[1];
  if (negatives != null && (negatives.rank !== 2 || negatives.shape[1] !== d)) {
    throw new Error(
      `${fn}: negatives must be [K, ${d}] (same feature size as q), got [${negatives.shape}]; ` +
        `pass null to use the other keys of the batch as negatives`,
    );
  }
  const hard = opts.hardNegatives;
  if (hard != null && !tf.util.arraysEqual(hard.shape, q.shape)) {
    throw new Error(
      `${fn}: hardNegatives must be [N, D] = [${q.shape}] (one per query), got ` +
        `[${hard.shape}]`,
    );
  }
  if (!(tau > 0 && Number.isFinite(tau))) {
    throw new RangeError(`${fn}: temperature tau must be a positive number, got ${tau}`);
  }
  const alpha = opts.alpha ?? DEFAULT_HARD_ALPHA;
  if (!Number.isFinite(alpha)) {
    throw new RangeError(`${fn}: alpha must be a finite number, got ${alpha}`);
  }
}

/** Logits without validation; call inside a tidy. */
function buildLogits(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  negatives: tf.Tensor2D | null,
  tau: number,
  opts: InfoNceOptions,
): tf.Tensor2D {
  const qn = l2NormalizeRows(q);
  const kn = l2NormalizeRows(k);
  const columns: tf.Tensor2D[] = [];
  if (negatives === null) {
    columns.push(tf.matMul(qn, kn, false, true));
  } else {
    columns.push(tf.sum(tf.mul(qn, kn), 1, true) as tf.Tensor2D);
    if (negatives.shape[0] > 0) {
      columns.push(tf.matMul(qn, l2NormalizeRows(negatives), false, true));
    }
  }
  const hard = opts.hardNegatives;
  if (hard != null) {
    const alpha = opts.alpha ?? DEFAULT_HARD_ALPHA;
    const hardSim = tf.sum(tf.mul(qn, l2NormalizeRows(hard)), 1, true);
    columns.push(tf.mul(hardSim, alpha) as tf.Tensor2D);
  }
  const sims = columns.length === 1 ? columns[0] : tf.concat(columns, 1);
  return tf.div(sims, tau) as tf.Tensor2D;
}

/**
 * InfoNCE loss with cosine similarity (see the module doc for the formula).
 *
 * @param q [N, D] float32 queries (not necessarily normalised).
 * @param k [N, D] float32 keys; row i is the positive of query i.
 * @param negatives [K, D] float32 negative bank, shared by every query (MoCo
 *   queue: K keys from earlier batches), or null: the negatives of query i are
 *   then the N - 1 other keys of the batch (one-directional, unlike NT-Xent,
 *   which also uses the other queries).
 * @param tau temperature > 0 (MoCo 0.1-0.2, SimCLR 0.5, KDC-MAE 0.05).
 * @param opts optional per-query hard negatives `[N, D]` scaled by `alpha`.
 * @returns scalar mean loss over the N queries, differentiable in every input.
 *
 * @example
 * ```ts
 * const loss = infoNce(q, k, null, 0.1);                 // in-batch negatives
 * const moco = infoNce(q, k, queueKeys, 0.2);            // [K, D] bank
 * const sal = infoNce(q, k, queueKeys, 0.2, { hardNegatives: kHard, alpha: 2 });
 * ```
 */
export function infoNce(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  negatives: tf.Tensor2D | null,
  tau: number,
  opts: InfoNceOptions = {},
): tf.Scalar {
  checkInputs("infoNce", q, k, negatives, tau, opts);
  const n = q.shape[0];
  return tf.tidy(() => {
    const logits = buildLogits(q, k, negatives, tau, opts);
    const positive = negatives === null
      ? tf.sum(tf.mul(logits, diagonalMatrix(n, logits.shape[1])), 1)
      : tf.squeeze(tf.slice(logits, [0, 0], [n, 1]), [1]);
    return tf.mean(tf.sub(logSumExpRows(logits), positive)) as tf.Scalar;
  });
}
