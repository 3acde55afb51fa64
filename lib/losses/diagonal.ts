/**
 * Constant diagonal matrices built on the host, for the masks of contrastive
 * losses. `tf.eye` and `tf.oneHot` run as several generic kernels (equality,
 * casts, selects) over the whole grid; at a [512, 512] logit matrix on a CPU
 * backend they cost about as much as the similarity matmul itself.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/**
 * A [rows, cols] float32 matrix that is `value` at (i, column(i)) for every row
 * i and 0 elsewhere; `column` defaults to the main diagonal (i, i).
 *
 * @param rows number of rows (>= 0).
 * @param cols number of columns; `column(i)` must lie in [0, cols).
 * @param value the entry placed in each row (1 for a one-hot, a large negative
 *   number to drop entries from a softmax).
 * @param column the column of row i's entry (default: i).
 */
export function diagonalMatrix(
  rows: number,
  cols: number,
  value = 1,
  column: (row: number) => number = (i) => i,
): tf.Tensor2D {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const j = column(i);
    if (!(j >= 0 && j < cols)) {
      throw new RangeError(`diagonalMatrix: row ${i} maps to column ${j}, outside [0, ${cols})`);
    }
    out[i * cols + j] = value;
  }
  return tf.tensor2d(out, [rows, cols]);
}
