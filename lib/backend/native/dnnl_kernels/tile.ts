/**
 * `Tile` at copy speed: when it is a broadcast (every axis has size 1 or 1 repetition), which
 * is how `tf.broadcastTo` runs, a pooled output filled by {@link broadcastCopy}; otherwise
 * (an axis of size > 1 repeated, e.g. KDC-MAE's embeddings tiled per mask stream)
 * {@link tileInto}'s block copies. Values are copied, so results are bit-identical to the cpu
 * kernel, which computes every output element's coordinates (~80 ms a call for those tiles).
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

/**
 * `out = tile(src, reps)` for `src` of `shape` (row-major): each axis's block is written once
 * from the level inside it, then doubled in place with `copyWithin` up to its repetitions.
 */
export function tileInto(
  src: Float32Array,
  shape: readonly number[],
  reps: readonly number[],
  out: Float32Array,
): void {
  const r = shape.length;
  if (r === 0) {
    out[0] = src[0];
    return;
  }
  const inStride = new Array<number>(r);
  const outStride = new Array<number>(r);
  let si = 1;
  let so = 1;
  for (let i = r - 1; i >= 0; i--) {
    inStride[i] = si;
    outStride[i] = so;
    si *= shape[i];
    so *= shape[i] * reps[i];
  }
  const fill = (level: number, inOff: number, outOff: number): void => {
    const n = shape[level];
    if (level === r - 1) {
      if (n >= 32) out.set(src.subarray(inOff, inOff + n), outOff);
      else for (let k = 0; k < n; k++) out[outOff + k] = src[inOff + k];
    } else {
      for (let k = 0; k < n; k++) {
        fill(level + 1, inOff + k * inStride[level], outOff + k * outStride[level]);
      }
    }
    // The block of one repetition is n * outStride[level]; double it until reps are filled.
    const block = n * outStride[level];
    let filled = 1;
    while (filled < reps[level]) {
      const count = Math.min(filled, reps[level] - filled);
      out.copyWithin(outOff + filled * block, outOff, outOff + count * block);
      filled += count;
    }
  };
  fill(0, 0, 0);
}

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
      const out = backend.allocF32(n);
      if (x.shape.every((d, i) => d === 1 || reps[i] === 1)) {
        const plan = planBroadcast(outShape, x.shape, false)!;
        broadcastCopy(backend.values(x), plan.dims1, out, plan.dims0);
      } else {
        tileInto(backend.values(x), x.shape, reps, out);
      }
      return backend.output(out, outShape);
    },
  }];
}
