/**
 * Stop-gradient (PyTorch `detach`, TF `stop_gradient`), which tfjs lacks:
 * the identity in the forward pass, a zero gradient in the backward pass.
 * SimSiam-style targets use it so that only the predicting branch is trained
 * by a similarity term while the target branch still shares the forward pass
 * (and its batch-norm statistics).
 *
 * @module
 */
import * as tf from "../tfjs.ts";

const detach = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * The values of `x` with no gradient flowing back through them.
 *
 * @param x any tensor (float32 when inside a gradient computation).
 * @returns a new tensor equal to `x`, same shape and dtype.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return detach(x) as T;
}
