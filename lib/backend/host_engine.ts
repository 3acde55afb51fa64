/**
 * Where a loop-shaped computation (the view transforms, the AdamW update) runs: `"host"`, plain
 * loops over the tensors' memory, or `"tensor"`, tfjs ops on the active backend. On the CPU
 * backends (native, wasm, cpu) tensors live in host memory, and one pass over a few KB beats
 * dozens of small kernels; webgpu keeps them on the GPU, where the ops belong.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/** `"host"`: loops over host memory (CPU backends only); `"tensor"`: tfjs ops. */
export type ComputeEngine = "host" | "tensor";

/** `"tensor"` on webgpu, `"host"` on the CPU backends. */
export function defaultComputeEngine(): ComputeEngine {
  return tf.getBackend() === "webgpu" ? "tensor" : "host";
}

/**
 * The float32 values of `x` for a host-engine loop: the backend's own host buffer (the cpu and
 * native backends hand it over without a copy; never write into it). Throws on webgpu, naming
 * `who` and the fix.
 */
export function readOnHost(x: tf.Tensor, who: string): Float32Array {
  if (tf.getBackend() === "webgpu") {
    throw new Error(
      `${who}: the host engine reads tensors on the host, which the webgpu backend keeps on the ` +
        `GPU; use engine "tensor" there (the default)`,
    );
  }
  return tf.backend().readSync(x.dataId) as Float32Array;
}
