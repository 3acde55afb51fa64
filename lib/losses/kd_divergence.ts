/**
 * KDC-MAE's self-distillation loss L_kd between the mean-pooled embeddings of
 * the mask streams (seed 002, section on knowledge distillation).
 *
 * Embeddings become distributions **without softmax** (the paper avoids
 * softmax on purpose): per row, subtract the row minimum (the paper adds
 * |min| when the minimum is negative and subtracts it when positive, which is
 * `z - min(z)` in both cases), so every entry is >= 0 and the minimum entry is
 * exactly 0, then divide by the row sum:
 *
 * ```
 * s = z - min_j z_j,   p = s / (sum_j s_j + eps)
 * KL(p||q) = sum_j p_j log((p_j + eps) / (q_j + eps))
 * symmetric KL = (KL(p||q) + KL(q||p)) / 2          (the paper's L_kd)
 * JS(p, q) = (KL(p||m) + KL(q||m)) / 2, m = (p+q)/2 (what their code uses)
 * ```
 *
 * Both are averaged over the N rows. With more than two streams the loss is
 * the mean over all unordered pairs of streams.
 *
 * Gradient note: the minimum entry of a row is identically 0 near any input
 * without ties, so it carries no gradient. It goes through a relu (whose
 * gradient at exactly 0 is 0) rather than plain `z_m - min`: otherwise the
 * autodiff would form `g_m - g_m`, where
 * `g_m ~ p_m / eps` is the huge gradient of `log(q_m + eps)` at `q_m = 0`,
 * and float32 cancellation would swamp the true gradient.
 *
 * @module
 */

import * as tf from "../tfjs.ts";

/** Default eps of the normalisation and of the logarithms. */
export const KD_EPS = 1e-8;

/** Which divergence {@link multiStreamKd} uses. */
export type KdKind = "kl" | "js";

function checkPair(fn: string, a: tf.Tensor2D, b: tf.Tensor2D): void {
  if (a.rank !== 2 || !tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(
      `${fn}: both embeddings must be [N, D] with the same shape, got [${a.shape}] and ` +
        `[${b.shape}]; mean-pool each stream's tokens to [N, D] first`,
    );
  }
  if (a.shape[0] < 1 || a.shape[1] < 1) {
    throw new Error(`${fn}: embeddings [${a.shape}] are empty; pass N >= 1 rows of D >= 1`);
  }
}

/**
 * Row-wise linear normalisation of embeddings into distributions, without
 * softmax: `p = (z - min z) / (sum (z - min z) + eps)`. A constant row maps to
 * all zeros (no mass), whose divergence to anything is then ~0.
 *
 * @param z [N, D] float32 embeddings.
 * @param eps added to the row sum.
 * @returns [N, D] non-negative rows summing to ~1, minimum entry exactly 0.
 */
export function embeddingToDistribution(z: tf.Tensor2D, eps: number = KD_EPS): tf.Tensor2D {
  if (z.rank !== 2) {
    throw new Error(`embeddingToDistribution: z must be [N, D], got [${z.shape}]`);
  }
  return tf.tidy(() => {
    // relu is the identity on z - min >= 0, but its gradient at the minimum
    // entry (exactly 0) is 0 in tfjs (step(x) = x > 0), which cuts g_m.
    const shifted = tf.relu(tf.sub(z, tf.min(z, 1, true)));
    return tf.div(shifted, tf.add(tf.sum(shifted, 1, true), eps)) as tf.Tensor2D;
  });
}

/** Per-row KL(p||q) of distributions [N, D] -> [N]. */
function rowKl(p: tf.Tensor2D, q: tf.Tensor2D, eps: number): tf.Tensor1D {
  return tf.sum(tf.mul(p, tf.sub(tf.log(tf.add(p, eps)), tf.log(tf.add(q, eps)))), 1);
}

/**
 * Symmetric KL divergence `(KL(p||q) + KL(q||p)) / 2` between the
 * distributions of two embedding batches (KDC-MAE's L_kd), averaged over rows.
 *
 * @param a [N, D] embeddings of stream 1; b [N, D] of stream 2 (row i pairs with row i).
 * @param eps see {@link embeddingToDistribution}; also inside the logs.
 * @returns scalar >= 0, 0 when a = b; symmetric in a and b.
 */
export function symmetricKl(a: tf.Tensor2D, b: tf.Tensor2D, eps: number = KD_EPS): tf.Scalar {
  checkPair("symmetricKl", a, b);
  return tf.tidy(() => {
    const p = embeddingToDistribution(a, eps);
    const q = embeddingToDistribution(b, eps);
    return tf.mul(tf.mean(tf.add(rowKl(p, q, eps), rowKl(q, p, eps))), 0.5) as tf.Scalar;
  });
}

/**
 * Jensen-Shannon divergence `(KL(p||m) + KL(q||m)) / 2`, `m = (p + q) / 2`,
 * between the distributions of two embedding batches, averaged over rows
 * (natural log: bounded by ln 2).
 *
 * @param a [N, D] embeddings of stream 1; b [N, D] of stream 2.
 * @returns scalar in [0, ln 2], 0 when a = b; symmetric in a and b.
 */
export function jensenShannon(a: tf.Tensor2D, b: tf.Tensor2D, eps: number = KD_EPS): tf.Scalar {
  checkPair("jensenShannon", a, b);
  return tf.tidy(() => {
    const p = embeddingToDistribution(a, eps);
    const q = embeddingToDistribution(b, eps);
    const m = tf.mul(tf.add(p, q), 0.5) as tf.Tensor2D;
    return tf.mul(tf.mean(tf.add(rowKl(p, m, eps), rowKl(q, m, eps))), 0.5) as tf.Scalar;
  });
}

/**
 * Multi-stream distillation loss: the mean of {@link symmetricKl} ("kl") or
 * {@link jensenShannon} ("js") over all unordered pairs of streams
 * (2 streams: 1 pair; 3 streams: 3 pairs).
 *
 * @param embeddings one [N, D] mean-pooled embedding per stream (>= 2 streams).
 * @param kind "kl" (the paper's formula) or "js" (the paper's code).
 * @returns scalar loss.
 */
export function multiStreamKd(
  embeddings: tf.Tensor2D[],
  kind: KdKind,
  eps: number = KD_EPS,
): tf.Scalar {
  if (embeddings.length < 2) {
    throw new Error(
      `multiStreamKd: need at least 2 streams, got ${embeddings.length}; pass one [N, D] ` +
        `embedding per mask stream`,
    );
  }
  if (kind !== "kl" && kind !== "js") {
    throw new Error(`multiStreamKd: kind must be "kl" or "js", got "${kind}"`);
  }
  const divergence = kind === "kl" ? symmetricKl : jensenShannon;
  return tf.tidy(() => {
    const terms: tf.Scalar[] = [];
    for (let i = 0; i < embeddings.length; i++) {
      for (let j = i + 1; j < embeddings.length; j++) {
        terms.push(divergence(embeddings[i], embeddings[j], eps));
      }
    }
    return tf.mean(tf.stack(terms)) as tf.Scalar;
  });
}
