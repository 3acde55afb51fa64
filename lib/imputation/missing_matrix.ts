/**
 * The data type shared by the imputers: a row-major feature matrix with a
 * missing-entry mask.
 *
 * NOTE the mask convention of S-MAG F10-F12: `missing[i*cols + j] = 1` means
 * entry (i, j) is MISSING, 0 means observed. This is the opposite of the
 * masking module's token masks (F2, where 1 = kept/visible).
 *
 * @module
 */

/**
 * A feature matrix with missing entries.
 * values: [rows, cols] float32 row-major; entries where missing = 1 are never read
 * (they may hold NaN or anything else).
 * missing: [rows, cols] 0/1, 1 = MISSING (S-MAG F10-F12 convention, opposite of F2).
 */
export interface MissingMatrix {
  values: Float32Array;
  missing: Uint8Array;
  rows: number;
  cols: number;
}

/**
 * Throws, naming `who` and the fix, when the sizes of `m` disagree or the
 * mask holds anything but 0 and 1 (1 = MISSING).
 */
export function checkMissingMatrix(m: MissingMatrix, who: string): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 1 || m.cols < 1) {
    throw new Error(`${who}: rows and cols must be positive integers, got ${m.rows} x ${m.cols}`);
  }
  const size = m.rows * m.cols;
  if (m.values.length !== size || m.missing.length !== size) {
    throw new Error(
      `${who}: values has ${m.values.length} and missing has ${m.missing.length} entries but ` +
        `rows x cols = ${size}; pass row-major [rows, cols] arrays of the same size`,
    );
  }
  for (let i = 0; i < size; i++) {
    if (m.missing[i] > 1) {
      throw new Error(
        `${who}: missing mask entry ${i} is ${m.missing[i]}; use 1 for MISSING and 0 for observed`,
      );
    }
  }
}

/** Number of missing entries (mask value 1 = MISSING). */
export function countMissing(m: MissingMatrix): number {
  let n = 0;
  for (let i = 0; i < m.missing.length; i++) n += m.missing[i];
  return n;
}
