/**
 * `GatherV2` (no batch dims) of a float32 tensor as row copies in plain JS: for every index of
 * the axes before `axis` and every gathered index, one run of `prod(shape[axis+1:])` values,
 * copied with `TypedArray.set` when long and element by element when short. tfjs's cpu kernel
 * computes every output element's coordinates (~0.3 us each here: upsampling the `[256, 7, 7]`
 * saliency masks to `[256, 32, 32]` pixels took ~50 ms). Values are copied: bit-identical.
 *
 * Declines (cpu kernel runs instead, and reports a bad index): non-float32 `x`, batch dims,
 * an index outside the axis, outputs below {@link MIN_NATIVE_ELEMENTS} elements.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import type { DnnlRuntime } from "../dnnl_runtime.ts";
import { input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";
import { SET_MIN_RUN } from "./transpose.ts";

/**
 * `out = gather(src, indices, axis)` for `src` of `shape`: `outer` = prod(shape[:axis]) blocks,
 * each of `indices.length` runs of `inner` = prod(shape[axis+1:]) values.
 */
export function gatherInto(
  src: Float32Array,
  shape: readonly number[],
  axis: number,
  indices: ArrayLike<number>,
  out: Float32Array,
): void {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const axisDim = shape[axis];
  const m = indices.length;
  let o = 0;
  for (let b = 0; b < outer; b++) {
    const base = b * axisDim * inner;
    for (let j = 0; j < m; j++) {
      const from = base + indices[j] * inner;
      if (inner >= SET_MIN_RUN) {
        out.set(src.subarray(from, from + inner), o);
        o += inner;
      } else {
        for (let k = 0; k < inner; k++) out[o++] = src[from + k];
      }
    }
  }
}

/** The GatherV2 kernel (see module docs). */
export function gatherKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return [{
    name: tf.GatherV2,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", tf.GatherV2);
      const indices = input(inputs, "indices", tf.GatherV2);
      if (x.dtype !== "float32" || (attrs.batchDims ?? 0) !== 0) return null;
      const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
      const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
      if (sizeOf(outShape) < MIN_NATIVE_ELEMENTS) return null;
      const idx = backend.data.get(indices.dataId)!.values as ArrayLike<number>;
      const axisDim = x.shape[axis];
      for (let i = 0; i < idx.length; i++) {
        const v = idx[i];
        if (!(v >= 0 && v < axisDim && Number.isInteger(v))) return null;
      }
      const out = backend.allocF32(sizeOf(outShape));
      gatherInto(backend.values(x), x.shape, axis, idx, out);
      return backend.output(out, outShape);
    },
  }];
}
