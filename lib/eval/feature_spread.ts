/**
 * How spread out a set of features is: two collapse diagnostics of the frozen encoder's
 * features, reported beside the accuracies of every run.
 *
 * - {@link normalizedFeatureStd}: L2-normalise each row, take each dimension's standard
 *   deviation over the rows, average over the dimensions and multiply by sqrt(dim). Features
 *   spread like an isotropic Gaussian give about 1; features that all point the same way
 *   (complete collapse) give 0. (The "std of the l2-normalised output" collapse monitor of
 *   the SimSiam paper, Chen & He 2021, section 4, rescaled so that 1 means no collapse.)
 * - {@link effectiveRank}: exp of the entropy of the normalised singular values of the feature
 *   matrix (RankMe, Garrido et al. 2023), in [1, dim]. Dimensional collapse (a few directions
 *   carry everything) lowers it even when the rows still differ.
 *
 * Shapes: a {@link FeatureMatrix} of `count x dim` (one row per image).
 *
 * @module
 */
import { checkFeatures, type FeatureMatrix } from "./feature_matrix.ts";

/** Both diagnostics of one feature matrix. */
export interface FeatureSpread {
  /** {@link normalizedFeatureStd}: about 1 spread out, 0 collapsed. */
  std: number;
  /** {@link effectiveRank}: in [1, dim]. */
  rank: number;
}

/** Rows divided by their L2 norm (a zero row stays zero), in float64. */
function unitRows(m: FeatureMatrix): Float64Array {
  const out = new Float64Array(m.count * m.dim);
  for (let i = 0; i < m.count; i++) {
    const o = i * m.dim;
    let ss = 0;
    for (let j = 0; j < m.dim; j++) ss += m.data[o + j] * m.data[o + j];
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < m.dim; j++) out[o + j] = m.data[o + j] * inv;
  }
  return out;
}

/**
 * Mean over dimensions of the standard deviation (over rows, population form) of the
 * L2-normalised rows, times sqrt(dim): about 1 for isotropic features, 0 when every row
 * points the same way. Needs at least 2 rows.
 */
export function normalizedFeatureStd(m: FeatureMatrix): number {
  checkFeatures(m, "normalizedFeatureStd");
  if (m.count < 2) {
    throw new Error(
      `normalizedFeatureStd: ${m.count} row; a spread needs at least 2 rows (images)`,
    );
  }
  const u = unitRows(m);
  let sumStd = 0;
  for (let j = 0; j < m.dim; j++) {
    let s = 0;
    let ss = 0;
    for (let i = 0; i < m.count; i++) {
      const v = u[i * m.dim + j];
      s += v;
      ss += v * v;
    }
    const mean = s / m.count;
    sumStd += Math.sqrt(Math.max(0, ss / m.count - mean * mean));
  }
  return (sumStd / m.dim) * Math.sqrt(m.dim);
}

/**
 * Eigenvalues of a symmetric `n x n` matrix (row-major, float64; overwritten) by cyclic Jacobi
 * rotations, to a relative off-diagonal size of 1e-12 or 50 sweeps.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) {
    throw new Error(`symmetricEigenvalues: ${a.length} values for a ${n}x${n} matrix`);
  }
  let diagScale = 0;
  for (let i = 0; i < n; i++) diagScale += a[i * n + i] * a[i * n + i];
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off <= 1e-24 * Math.max(diagScale, Number.MIN_VALUE)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i * n + i];
  return out;
}

/**
 * RankMe effective rank of the (uncentred) feature matrix: singular values sigma_k from the
 * eigenvalues of `X^T X`, p_k = sigma_k / sum(sigma) + 1e-7, rank = exp(-sum p_k log p_k).
 * 1 when one direction carries everything, `dim` for equal singular values.
 */
export function effectiveRank(m: FeatureMatrix): number {
  checkFeatures(m, "effectiveRank");
  const d = m.dim;
  const gram = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < m.count; i++) {
    for (let j = 0; j < d; j++) row[j] = m.data[i * d + j];
    for (let p = 0; p < d; p++) {
      const v = row[p];
      if (v === 0) continue;
      const o = p * d;
      for (let q = p; q < d; q++) gram[o + q] += v * row[q];
    }
  }
  for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) gram[q * d + p] = gram[p * d + q];
  const sigma = Array.from(symmetricEigenvalues(gram, d), (l) => Math.sqrt(Math.max(0, l)));
  const total = sigma.reduce((a, b) => a + b, 0);
  if (total === 0) return 1;
  let entropy = 0;
  for (const s of sigma) {
    const p = s / total + 1e-7;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/** {@link normalizedFeatureStd} and {@link effectiveRank} of `m`. */
export function featureSpread(m: FeatureMatrix): FeatureSpread {
  return { std: normalizedFeatureStd(m), rank: effectiveRank(m) };
}
