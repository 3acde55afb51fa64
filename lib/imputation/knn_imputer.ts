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
 * Cost: O(incomplete rows x rows x cols) time, plain JavaScript. Several
 * (lambda, k) settings on one initial fill share that pass
 * ({@link knnImputeGrid}): the two sums of F11 do not depend on lambda, and
 * the neighbour order of one lambda serves every k.
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

/** One (lambda, k) setting of {@link knnImputeGrid}. */
export interface KnnSetting {
  /** Neighbours per missing entry (k >= 1). */
  k: number;
  /** Weight of the initial-fill term of F11 (>= 0). */
  lambda: number;
}

/**
 * Imputes the missing entries of `m` (mask 1 = MISSING) with F11-F12 (see
 * module docs). Observed entries are copied unchanged. Returns a new
 * [rows, cols] float32 matrix.
 */
export function knnImpute(m: MissingMatrix, opts: KnnImputerOptions): Float32Array {
  return knnImputeGrid(m, [{ k: opts.k, lambda: opts.lambda ?? 0 }], opts.initialFill)[0];
}

/**
 * {@link knnImpute} for several (lambda, k) settings with one initial fill:
 * returns one [rows, cols] matrix per setting, in order, each equal (bit for
 * bit) to `knnImpute(m, { k, lambda, initialFill })`, at the cost of one pass
 * over the row pairs instead of one per setting.
 */
export function knnImputeGrid(
  m: MissingMatrix,
  settings: readonly KnnSetting[],
  initialFill?: Float32Array,
): Float32Array[] {
  checkMissingMatrix(m, "knnImpute");
  const { rows, cols, values, missing } = m;
  for (const { k, lambda } of settings) {
    if (!Number.isInteger(k) || k < 1) {
      throw new Error(`knnImpute: k must be a positive integer, got ${k}; e.g. k: 5`);
    }
    if (!(lambda >= 0) || !Number.isFinite(lambda)) {
      throw new Error(`knnImpute: lambda must be a finite number >= 0, got ${lambda}`);
    }
  }
  if (initialFill !== undefined && initialFill.length !== values.length) {
    throw new Error(
      `knnImpute: initialFill has ${initialFill.length} entries but the matrix has ` +
        `${values.length}; pass a [rows, cols] fill such as the mask decoder's output`,
    );
  }
  const filled = new Float32Array(values.length);
  if (initialFill) {
    for (let p = 0; p < filled.length; p++) {
      filled[p] = missing[p] === 1 ? initialFill[p] : values[p];
    }
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

  const outs = settings.map(() => Float32Array.from(filled));
  // The settings of each distinct lambda share one neighbour order per row.
  const groups = [...new Set(settings.map((s) => s.lambda))].map((lambda) => {
    const members = settings.flatMap((s, si) => (s.lambda === lambda ? [si] : []));
    return { lambda, members, kMax: Math.max(...members.map((si) => settings[si].k)) };
  });
  const needFilled = groups.some((g) => g.lambda > 0);
  const observedSum = new Float64Array(rows);
  const filledSum = new Float64Array(rows);
  const shared = new Int32Array(rows);
  const dist = new Float64Array(rows);
  const donor = new Uint8Array(rows);
  const sorted = new Float64Array(rows);
  const order: number[] = [];
  for (let i = 0; i < rows; i++) {
    const ri = i * cols;
    let incomplete = false;
    for (let j = 0; j < cols; j++) if (missing[ri + j] === 1) incomplete = true;
    if (!incomplete) continue;

    // The two sums of F11 for every other row, independent of lambda.
    for (let l = 0; l < rows; l++) {
      if (l === i) continue;
      const rl = l * cols;
      let observed = 0;
      let filledPart = 0;
      let both = 0;
      for (let m2 = 0; m2 < cols; m2++) {
        if (missing[ri + m2] === 0 && missing[rl + m2] === 0) {
          const diff = values[ri + m2] - values[rl + m2];
          observed += diff * diff;
          both++;
        } else if (needFilled) {
          const diff = filled[ri + m2] - filled[rl + m2];
          filledPart += diff * diff;
        }
      }
      observedSum[l] = observed;
      filledSum[l] = filledPart;
      shared[l] = both;
    }

    for (const { lambda, members, kMax } of groups) {
      let candidates = 0;
      for (let l = 0; l < rows; l++) {
        donor[l] = l === i || (shared[l] === 0 && lambda === 0) ? 0 : 1; // see module docs
        if (donor[l] === 0) continue;
        dist[l] = Math.sqrt(lambda === 0 ? observedSum[l] : observedSum[l] + lambda * filledSum[l]);
        candidates++;
      }
      nearestFirst(dist, donor, candidates, kMax, cols, sorted, order);
      let exhaustive = order.length === candidates;
      for (const si of members) {
        const k = settings[si].k;
        for (let j = 0; j < cols; j++) {
          if (missing[ri + j] === 0) continue;
          const complete = fillEntry(outs[si], values, missing, cols, dist, order, ri, j, k);
          if (!complete && !exhaustive) {
            // This column's donors run out inside the short list: take them all.
            fullOrder(dist, donor, order);
            exhaustive = true;
            fillEntry(outs[si], values, missing, cols, dist, order, ri, j, k);
          }
        }
      }
    }
  }
  return outs;
}

/**
 * Fills entry (row at `ri`, column j) of `out` from the first k donors in
 * `order` whose column j is observed (F12). Returns false when fewer than k
 * were found (the entry is then set from those found, or left as it was).
 */
function fillEntry(
  out: Float32Array,
  values: Float32Array,
  missing: Uint8Array,
  cols: number,
  dist: Float64Array,
  order: number[],
  ri: number,
  j: number,
  k: number,
): boolean {
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
  return found === k;
}

/**
 * Puts into `order` the donors nearest first, ties by index: every donor at
 * most as far as the one ranked `4k + 8 min(cols, 16)`, a prefix of the full
 * order, with room for columns missing in many donors (a column that still
 * finds fewer than k makes the caller take the full order, {@link fullOrder}).
 */
function nearestFirst(
  dist: Float64Array,
  donor: Uint8Array,
  candidates: number,
  k: number,
  cols: number,
  sorted: Float64Array,
  order: number[],
): void {
  const want = Math.min(candidates, 4 * k + 8 * Math.min(cols, 16));
  if (want === candidates) return fullOrder(dist, donor, order);
  for (let l = 0; l < dist.length; l++) sorted[l] = donor[l] === 1 ? dist[l] : Infinity;
  sorted.sort(); // numeric (typed array): the want-th donor distance is sorted[want - 1]
  const bound = sorted[want - 1];
  order.length = 0;
  for (let l = 0; l < dist.length; l++) if (donor[l] === 1 && dist[l] <= bound) order.push(l);
  order.sort((a, b) => dist[a] - dist[b] || a - b);
}

/** Puts every donor into `order`, nearest first, ties by index. */
function fullOrder(dist: Float64Array, donor: Uint8Array, order: number[]): void {
  order.length = 0;
  for (let l = 0; l < dist.length; l++) if (donor[l] === 1) order.push(l);
  order.sort((a, b) => dist[a] - dist[b] || a - b);
}
