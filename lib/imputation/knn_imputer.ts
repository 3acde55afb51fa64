/**
 * KNN refinement of S-MAG section 3.4 (equations F11, F12) for any feature
 * matrix with missing entries.
 *
 * NOTE mask convention: in F10-F12 (and in {@link MissingMatrix}) M = 1 means
 * MISSING, the opposite of the masking module's token masks (1 = kept).
 *
 * With F the filled matrix (observed entries of X, the initial fill Xhat
 * elsewhere), the distance between rows i and l is (F11)
 *
 * ```
 * D_il = sqrt( sum_{m observed in both i and l} (X_im - X_lm)^2
 *            + lambda * sum_{m missing in i or l} (F_im - F_lm)^2 )
 * ```
 *
 * and each missing X_ij becomes the inverse-distance weighted mean of
 * column j over the k nearest rows l_1..l_k whose entry j is observed (F12):
 * `X_ij = sum_p w_p X_{l_p j} / sum_p w_p`, `w_p = 1 / D_{i l_p}`. When some
 * of these neighbours are at distance 0 they share the weight equally and
 * the others get none (the limit of 1/D, as scikit-learn does).
 *
 * With lambda = 0 and donors that are complete rows this is exactly
 * scikit-learn's `KNNImputer(n_neighbors=k, weights="distance")`: its
 * nan-Euclidean distance only rescales D_il by sqrt(cols / observed_i), the
 * same factor for every donor of row i, which changes neither the ranking
 * nor the normalised weights. (With incomplete donors and lambda = 0 the
 * two differ: scikit-learn rescales per pair.) With lambda = 0, a pair of
 * rows with no coordinate observed in both has no defined distance and is
 * never used; a missing entry with no usable donor keeps its initial fill.
 *
 * Cost: O(incomplete rows x rows x cols) time, plain JavaScript.
 *
 * @module
 */
import { observedColumnMeans } from "./mean_imputer.ts";
import { checkMissingMatrix, type MissingMatrix } from "./missing_matrix.ts";

/** Options of {@link knnImpute}. */
export interface KnnImputerOptions {
  /** Neighbours per missing entry (k >= 1). */
  k: number;
  /** Weight of the initial-fill term of F11 (>= 0). Default 0 (scikit-learn's KNNImputer). */
  lambda?: number;
  /**
   * Xhat, the initial fill [rows, cols] (e.g. the mask decoder's output); only
   * its entries at missing positions are read. Default: observed column means.
   */
  initialFill?: Float32Array;
}

/**
 * Imputes the missing entries of `m` (mask 1 = MISSING) with F11-F12 (see
 * module docs). Observed entries are copied unchanged. Returns a new
 * [rows, cols] float32 matrix.
 */
export function knnImpute(m: MissingMatrix, opts: KnnImputerOptions): Float32Array {
  checkMissingMatrix(m, "knnImpute");
  const { rows, cols, values, missing } = m;
  const k = opts.k;
  const lambda = opts.lambda ?? 0;
  if (!Number.isInteger(k) || k < 1) {
    throw new Error(`knnImpute: k must be a positive integer, got ${k}; e.g. k: 5`);
  }
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new Error(`knnImpute: lambda must be a finite number >= 0, got ${lambda}`);
  }
  if (opts.initialFill !== undefined && opts.initialFill.length !== values.length) {
    throw new Error(
      `knnImpute: initialFill has ${opts.initialFill.length} entries but the matrix has ` +
        `${values.length}; pass a [rows, cols] fill such as the mask decoder's output`,
    );
  }
  const filled = new Float32Array(values.length);
  if (opts.initialFill) {
    const init = opts.initialFill;
    for (let p = 0; p < filled.length; p++) filled[p] = missing[p] === 1 ? init[p] : values[p];
  } else {
    const means = observedColumnMeans(m);
    for (let p = 0; p < filled.length; p++) {
      filled[p] = missing[p] === 1 ? means[p % cols] : values[p];
    }
  }
  for (let p = 0; p < filled.length; p++) {
    if (missing[p] === 1 && !Number.isFinite(filled[p])) {
      throw new Error(
        `knnImpute: initial fill of entry (${Math.floor(p / cols)}, ${p % cols}) is ` +
          `${filled[p]}; give every missing entry a finite initial fill`,
      );
    }
  }

  const out = Float32Array.from(filled);
  const dist = new Float64Array(rows);
  const order: number[] = [];
  for (let i = 0; i < rows; i++) {
    const ri = i * cols;
    let incomplete = false;
    for (let j = 0; j < cols; j++) if (missing[ri + j] === 1) incomplete = true;
    if (!incomplete) continue;

    order.length = 0;
    for (let l = 0; l < rows; l++) {
      if (l === i) continue;
      const rl = l * cols;
      let observed = 0;
      let filledPart = 0;
      let shared = 0;
      for (let m2 = 0; m2 < cols; m2++) {
        if (missing[ri + m2] === 0 && missing[rl + m2] === 0) {
          const diff = values[ri + m2] - values[rl + m2];
          observed += diff * diff;
          shared++;
        } else if (lambda > 0) {
          const diff = filled[ri + m2] - filled[rl + m2];
          filledPart += diff * diff;
        }
      }
      if (shared === 0 && lambda === 0) continue; // no defined distance (see module docs)
      dist[l] = Math.sqrt(observed + lambda * filledPart);
      order.push(l);
    }
    order.sort((a, b) => dist[a] - dist[b] || a - b);

    for (let j = 0; j < cols; j++) {
      if (missing[ri + j] === 0) continue;
      let zeros = 0;
      let zeroSum = 0;
      let weightSum = 0;
      let weighted = 0;
      let found = 0;
      for (let q = 0; q < order.length && found < k; q++) {
        const l = order[q];
        if (missing[l * cols + j] === 1) continue;
        found++;
        const v = values[l * cols + j];
        const d = dist[l];
        if (d === 0) {
          zeros++;
          zeroSum += v;
        } else {
          weightSum += 1 / d;
          weighted += v / d;
        }
      }
      if (zeros > 0) out[ri + j] = zeroSum / zeros;
      else if (found > 0) out[ri + j] = weighted / weightSum;
    }
  }
  return out;
}
