/**
 * `Tile` at copy speed, as a broadcast: tiling `[d0, d1, ...]` by `[r0, r1, ...]` writes the
 * row-major `[r0, d0, r1, d1, ...]`, which is the input viewed as `[1, d0, 1, d1, ...]`
 * broadcast over the repetitions. So every tile (`tf.broadcastTo` too, which runs as a `Tile`
 * whose repeated axes have size 1) is one {@link broadcastCopy} into a pooled output. Values
 * are copied, so results are bit-identical to the cpu kernel, which computes every output
 * element's coordinates (~80 ms a call for KDC-MAE's embeddings tiled per mask stream).
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, outputs below
 * {@link MIN_NATIVE_ELEMENTS} elements.
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
      const outShape = x.shape.map((d, i) => d * reps[i]);
      const n = sizeOf(outShape);
      if (n < MIN_NATIVE_ELEMENTS) return null;
      const plan = planBroadcast(
        x.shape.flatMap((d, i) => [reps[i], d]),
        x.shape.flatMap((d) => [1, d]),
        false,
      )!;
      const out = backend.allocF32(n);
      broadcastCopy(backend.values(x), plan.dims1, out, plan.dims0);
      return backend.output(out, outShape);
    },
  }];
}
