/**
 * Row-wise log-sum-exp with a one-pass gradient, for the softmax
 * cross-entropies of the contrastive losses.
 *
 * `tf.logSumExp` subtracts the row maximum for stability and lets autodiff run
 * through that maximum too: the two paths cancel mathematically, but the
 * maximum's gradient builds an equality mask over the whole [N, M] logit grid
 * on tfjs's generic CPU kernels (`Equal`, `Cast`: shown by the per-kernel profile
 * of `deno task bench`). Here the gradient is written out: d lse_i / d x_ij = softmax(x_i)_j.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

const rowLogSumExp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const value = tf.logSumExp(x, 1);
  save([x, value]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input, lse] = saved;
      const softmax = tf.exp(tf.sub(input, tf.expandDims(lse, 1)));
      return tf.mul(tf.expandDims(dy, 1), softmax);
    },
  };
});

/**
 * `log sum_j exp(x_ij)` of each row of a [N, M] matrix, stable for large
 * logits; entries of -1e9 (masked) contribute 0.
 *
 * @param x [N, M] float32 logits.
 * @returns [N] float32; differentiable in x with gradient softmax(x) per row.
 */
export function logSumExpRows(x: tf.Tensor2D): tf.Tensor1D {
  if (x.rank !== 2) {
    throw new Error(`logSumExpRows: expected [N, M] logits, got shape [${x.shape}]`);
  }
  return rowLogSumExp(x) as tf.Tensor1D;
}
