/**
 * A dense row-major matrix of features, one row per image, as produced by
 * {@link extractFeatures} and consumed by the kNN monitor and linear probe.
 *
 * @module
 */

/** `count x dim` float32 features, row-major: row i is `data[i*dim .. (i+1)*dim)`. */
export interface FeatureMatrix {
  /** `[count*dim]` values. */
  data: Float32Array;
  /** Number of rows (images). */
  count: number;
  /** Feature dimension (columns). */
  dim: number;
}

/**
 * Checks that `m` is consistent and, when `labels` is given, has one label per
 * row in `[0, numClasses)`. `who` names the caller in error messages.
 */
export function checkFeatures(
  m: FeatureMatrix,
  who: string,
  labels?: Int32Array,
  numClasses?: number,
): void {
  if (!(Number.isInteger(m.dim) && m.dim > 0 && Number.isInteger(m.count) && m.count > 0)) {
    throw new Error(
      `${who}: feature matrix needs count > 0 and dim > 0, got ${m.count}x${m.dim}; ` +
        `extract features first (extractFeatures)`,
    );
  }
  if (m.data.length !== m.count * m.dim) {
    throw new Error(
      `${who}: feature data has ${m.data.length} values but count*dim = ${m.count * m.dim}; ` +
        `set count and dim to match the data`,
    );
  }
  if (labels === undefined) return;
  if (labels.length !== m.count) {
    throw new Error(
      `${who}: ${labels.length} labels for ${m.count} feature rows; pass one label per row`,
    );
  }
  if (numClasses !== undefined) {
    for (let i = 0; i < labels.length; i++) {
      if (!(labels[i] >= 0 && labels[i] < numClasses)) {
        throw new RangeError(
          `${who}: label ${labels[i]} at row ${i} is outside [0, ${numClasses}); ` +
            `pass numClasses that covers every label`,
        );
      }
    }
  }
}

/** Number of classes implied by labels: `max(label) + 1`. */
export function inferNumClasses(...labelSets: Int32Array[]): number {
  let max = -1;
  for (const labels of labelSets) for (const l of labels) if (l > max) max = l;
  return max + 1;
}

/** Rows `indices` of `m` as a new matrix (e.g. the labelled subset of a split). */
export function selectRows(m: FeatureMatrix, indices: Int32Array): FeatureMatrix {
  const data = new Float32Array(indices.length * m.dim);
  indices.forEach((r, i) => {
    if (!(r >= 0 && r < m.count)) {
      throw new RangeError(
        `selectRows: row ${r} is outside [0, ${m.count}); pass valid row indices`,
      );
    }
    data.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim);
  });
  return { data, count: indices.length, dim: m.dim };
}
