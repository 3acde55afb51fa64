/**
 * Cheaper gradients while the "native" backend is active. tfjs's gradient of `Mean` allocates
 * a fresh `ones(x.shape)` array and makes two full passes over it (multiply, divide); on the
 * native backend it is one broadcast of `dy / n` (native `Tile`, copy speed, pooled buffer).
 * tfjs's gradient of `Relu` is `dy * cast(step(x))`, two passes and a mask buffer; on the native
 * backend it is one `KitReluGrad` (`relu_grad.ts`).
 * On every other backend the stock gradient runs unchanged, so the cpu reference and the wasm
 * path are unaffected.
 *
 * @module
 */

import * as tf from "../../tfjs.ts";
import { NATIVE_BACKEND } from "./backend_name.ts";
import { RELU_GRAD } from "./relu_grad.ts";

let installed = false;

/** Installs the backend-conditional gradients (idempotent). Returns the kernels covered. */
export function installNativeGradients(): string[] {
  if (installed) return [tf.Mean, tf.Relu];
  const mean = tf.getGradient(tf.Mean);
  const relu = tf.getGradient(tf.Relu);
  if (mean === undefined || relu === undefined) return [];
  tf.registerGradient({
    ...mean,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== NATIVE_BACKEND) return mean.gradFunc(dy, saved, attrs);
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const n = axes.reduce((acc, a) => acc * x.shape[a], 1);
      const dyT = Array.isArray(dy) ? dy[0] : dy;
      return {
        x: () => tf.broadcastTo(tf.div(tf.reshape(dyT, expanded), n), x.shape),
      };
    },
  });
  tf.registerGradient({
    ...relu,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== NATIVE_BACKEND) return relu.gradFunc(dy, saved, attrs);
      const [x] = saved;
      const dyT = Array.isArray(dy) ? dy[0] : dy;
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dyT, x }) as tf.Tensor };
    },
  });
  installed = true;
  return [tf.Mean, tf.Relu];
}
