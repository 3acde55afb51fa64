/**
 * Cheaper gradients while the "native" backend is active. tfjs's gradient of `Mean` allocates
 * a fresh `ones(x.shape)` array and makes two full passes over it (multiply, divide); on the
 * native backend it is one broadcast of `dy / n` (native `Tile`, copy speed, pooled buffer).
 * On every other backend the stock gradient runs unchanged, so the cpu reference and the wasm
 * path are unaffected.
 *
 * @module
 */

import * as tf from "../../tfjs.ts";
import { NATIVE_BACKEND } from "./backend_name.ts";

let installed = false;

/** Installs the backend-conditional gradients (idempotent). Returns the kernels covered. */
export function installNativeGradients(): string[] {
  if (installed) return [tf.Mean];
  const stock = tf.getGradient(tf.Mean);
  if (stock === undefined) return [];
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== NATIVE_BACKEND) return stock.gradFunc(dy, saved, attrs);
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
  installed = true;
  return [tf.Mean];
}
