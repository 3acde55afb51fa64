/**
 * `Tile` when it is a broadcast (every axis has size 1 or 1 repetition), which is how
 * `tf.broadcastTo` runs: a pooled output filled by {@link broadcastCopy} at copy speed.
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, true tiling (an axis of size > 1
 * repeated), outputs below {@link MIN_NATIVE_ELEMENTS} elements.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import type { DnnlRuntime } from "../dnnl_runtime.ts";
import { input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";
import { planBroadcast } from "./broadcast_plan.ts";
import { broadcastCopy } from "./broadcast_copy.ts";

/** The Tile kernel (see module docs). */
export function tileKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return [{
    name: tf.Tile,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", tf.Tile);
      const reps = attrs.reps as number[];
      if (x.dtype !== "float32" || reps.length !== x.shape.length) return null;
      if (x.shape.some((d, i) => d !== 1 && reps[i] !== 1)) return null;
      const outShape = x.shape.map((d, i) => d * reps[i]);
      const n = sizeOf(outShape);
      if (n < MIN_NATIVE_ELEMENTS) return null;
      const plan = planBroadcast(outShape, x.shape, false);
      if (plan === null) return null;
      const out = backend.allocF32(n);
      broadcastCopy(backend.values(x), plan.dims1, out, plan.dims0);
      return backend.output(out, outShape);
    },
  }];
}
