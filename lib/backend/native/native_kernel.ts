/**
 * The shape of a native kernel: like a tfjs kernel function, but it may decline a call (return
 * `null`) for inputs it does not handle (another dtype, an unsupported attribute, a tensor too
 * small to be worth a native call); `register.ts` then runs the stock cpu kernel instead.
 *
 * @module
 */

import type * as tf from "../../tfjs.ts";
import type { NativeBackend } from "./native_backend.ts";
import type { DnnlRuntime } from "./dnnl_runtime.ts";

/** Arguments of a native kernel call. */
export interface NativeKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
  backend: NativeBackend;
}

/** A kernel implementation that may decline (null) so the cpu kernel runs instead. */
export type NativeKernelFunc = (args: NativeKernelArgs) => tf.TensorInfo | tf.TensorInfo[] | null;

/** One kernel a family provides: tfjs kernel name and its native implementation. */
export interface NativeKernelSpec {
  name: string;
  run: NativeKernelFunc;
}

/** Builds a family's kernels over a runtime (primitives are cached inside the closures). */
export type NativeKernelFamily = (rt: DnnlRuntime) => NativeKernelSpec[];

/** The input `name`; throws naming the kernel and the input when it is missing. */
export function input(
  inputs: tf.NamedTensorInfoMap,
  name: string,
  kernel: string,
): tf.TensorInfo {
  const info = inputs[name];
  if (info === undefined) {
    throw new Error(`${kernel} (native kernel): missing input '${name}'; pass it in inputs.`);
  }
  return info;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A string key of numbers, for primitive caches. */
export function cacheKey(...parts: (number | string | boolean | readonly number[])[]): string {
  return parts.map((p) => (Array.isArray(p) ? `[${p.join(",")}]` : String(p))).join("|");
}
