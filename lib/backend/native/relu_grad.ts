/**
 * The ReLU gradient as one kernel, `"KitReluGrad"`: inputs `dy` and `x` (same shape, float32),
 * output `dx = x > 0 ? dy : 0`. tfjs's stock gradient of `Relu` is `dy * cast(step(x))`: two
 * passes over the activation (a `Step` mask, then a `Multiply`) and a mask buffer per ReLU; the
 * native backend runs this kernel instead (oneDNN's eltwise backward, one pass; see
 * `gradient_overrides.ts`). NaN in `x` gives 0, as the native `Step` does.
 *
 * This module registers the kernel's cpu implementation (a float32 loop) when it loads, so that
 * the native backend, which copies the cpu kernels when it registers, has it as its fallback for
 * the inputs its oneDNN kernel declines.
 *
 * @module
 */

import * as tf from "../../tfjs.ts";
import { cpuValues } from "../../nn/batch_norm_kernels.ts";

/** Kernel name (inputs `dy`, `x`; output `dx`). */
export const RELU_GRAD = "KitReluGrad";

/** `dx[i] = x[i] > 0 ? dy[i] : 0` over flat arrays of equal length. */
export function reluGradLoop(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

tf.registerKernel({
  kernelName: RELU_GRAD,
  backendName: "cpu",
  kernelFunc: ({ inputs, backend }) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    if (!tf.util.arraysEqual(dy.shape, x.shape)) {
      throw new Error(`${RELU_GRAD}: dy [${dy.shape}] and x [${x.shape}] must have one shape`);
    }
    const dx = new Float32Array(tf.util.sizeFromShape(x.shape));
    reluGradLoop(cpuValues(backend, dy), cpuValues(backend, x), dx);
    const cpu = backend as unknown as {
      makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
    };
    return cpu.makeTensorInfo([...x.shape], "float32", dx);
  },
});
