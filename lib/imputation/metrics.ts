/**
 * Imputation error on the missing entries only, and a side-by-side
 * comparison of the imputers of S-MAG section 3.4 (mean filling, mask
 * decoder F10, KNN F11-F12, decoder + KNN).
 *
 * NOTE mask convention: missing = 1 means MISSING (S-MAG F10-F12), the
 * opposite of the masking module's token masks (1 = kept).
 *
 * @module
 */
import { knnImpute } from "./knn_imputer.ts";
import type { MaskDecoder } from "./mask_decoder.ts";
import { meanImpute } from "./mean_imputer.ts";
import type { MissingMatrix } from "./missing_matrix.ts";

/** Error over the missing entries. */
export interface ImputationError {
  /** Root mean squared error. */
  rmse: number;
  /** Mean absolute error. */
  mae: number;
  /** Number of entries counted (the missing ones). */
  count: number;
}

/**
 * RMSE and MAE between `truth` and `imputed` over the entries where
 * `missing` is 1 (= MISSING); observed entries are ignored. All three are
 * [rows, cols] row-major of the same length. Throws when nothing is missing.
 */
export function maskedError(
  truth: Float32Array,
  imputed: Float32Array,
  missing: Uint8Array,
): ImputationError {
  if (truth.length !== imputed.length || truth.length !== missing.length) {
    throw new Error(
      `maskedError: truth (${truth.length}), imputed (${imputed.length}) and missing ` +
        `(${missing.length}) must have the same number of entries; pass matrices of one shape`,
    );
  }
  let sq = 0;
  let abs = 0;
  let count = 0;
  for (let p = 0; p < truth.length; p++) {
    if (missing[p] !== 1) continue;
    const d = imputed[p] - truth[p];
    sq += d * d;
    abs += Math.abs(d);
    count++;
  }
  if (count === 0) {
    throw new Error(
      "maskedError: no entry is missing (mask 1 = MISSING), so there is no error to measure",
    );
  }
  return { rmse: Math.sqrt(sq / count), mae: abs / count, count };
}

/** Options of {@link compareImputers}. */
export interface CompareImputersOptions {
  /** Neighbours of the KNN imputers. Default 5. */
  k?: number;
  /** lambda of F11 for "KNN alone" (whose initial fill is the column mean). Default 0 (scikit-learn). */
  knnLambda?: number;
  /** lambda of F11 for "decoder + KNN" (initial fill = decoder output). Default 1. */
  decoderKnnLambda?: number;
  /** A trained decoder; without it the decoder rows are left out. */
  decoder?: MaskDecoder;
}

/** Error of each imputer on the same missing entries. */
export interface ImputerComparison {
  mean: ImputationError;
  knn: ImputationError;
  decoder?: ImputationError;
  decoderKnn?: ImputationError;
}

/**
 * Hides the entries where `missing` is 1 (= MISSING; they are set to NaN so
 * no imputer can read them), runs every imputer and measures its error on
 * exactly those entries against `truth` ([rows, cols] complete matrix).
 */
export function compareImputers(
  truth: Float32Array,
  missing: Uint8Array,
  rows: number,
  cols: number,
  opts: CompareImputersOptions = {},
): ImputerComparison {
  const values = Float32Array.from(truth);
  for (let p = 0; p < values.length; p++) if (missing[p] === 1) values[p] = NaN;
  const m: MissingMatrix = { values, missing, rows, cols };
  const k = opts.k ?? 5;
  const result: ImputerComparison = {
    mean: maskedError(truth, meanImpute(m), missing),
    knn: maskedError(truth, knnImpute(m, { k, lambda: opts.knnLambda ?? 0 }), missing),
  };
  if (opts.decoder) {
    const xhat = opts.decoder.impute(m);
    result.decoder = maskedError(truth, xhat, missing);
    const refined = knnImpute(m, { k, lambda: opts.decoderKnnLambda ?? 1, initialFill: xhat });
    result.decoderKnn = maskedError(truth, refined, missing);
  }
  return result;
}
