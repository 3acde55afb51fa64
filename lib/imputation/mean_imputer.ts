/**
 * Column-mean filling, the simplest imputer and the baseline the others are
 * compared with. Mask convention: missing = 1 means MISSING (S-MAG F10-F12),
 * the opposite of the masking module's 1 = kept.
 *
 * @module
 */
import { checkMissingMatrix, type MissingMatrix } from "./missing_matrix.ts";

/**
 * Mean of the observed entries of each column (missing = 1 means MISSING):
 * [cols]. Throws, naming the column, when a column has no observed entry.
 */
export function observedColumnMeans(m: MissingMatrix): Float64Array {
  checkMissingMatrix(m, "observedColumnMeans");
  const sums = new Float64Array(m.cols);
  const counts = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const p = i * m.cols + j;
      if (m.missing[p] === 0) {
        sums[j] += m.values[p];
        counts[j] += 1;
      }
    }
  }
  for (let j = 0; j < m.cols; j++) {
    if (counts[j] === 0) {
      throw new Error(
        `column ${j} has no observed entry, so it cannot be imputed from the data; ` +
          `drop that column or supply an initial fill for it`,
      );
    }
    sums[j] /= counts[j];
  }
  return sums;
}

/**
 * Fills every missing entry (mask 1 = MISSING) with its column's observed mean;
 * observed entries are copied unchanged. Returns a new [rows, cols] matrix.
 */
export function meanImpute(m: MissingMatrix): Float32Array {
  const means = observedColumnMeans(m);
  const out = new Float32Array(m.values.length);
  for (let p = 0; p < out.length; p++) {
    out[p] = m.missing[p] === 1 ? means[p % m.cols] : m.values[p];
  }
  return out;
}
