/**
 * `Transpose` at memory-copy speed in plain JS: the output is written once, in order, from
 * strided reads of the input. Output axes that stay adjacent and in order in the input are
 * merged first; when the innermost merged axis is also innermost in the input (e.g. perm
 * [1, 0, 2], the GRU's batch-major <-> time-major swap), each innermost row is one
 * `TypedArray.set` of a contiguous run. tfjs's cpu kernel computes every element's
 * coordinates instead (~80 ns per element here: 80 ms for [512, 16, 128]).
 *
 * Declines (cpu kernel runs instead): non-float32 inputs and outputs below
 * {@link MIN_NATIVE_ELEMENTS} elements.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import type { DnnlRuntime } from "../dnnl_runtime.ts";
import { input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";

/**
 * Output dims and, per output dim, the input stride, after merging output axes that are
 * adjacent and in order in the input. `perm` is tfjs's: output axis i is input axis perm[i].
 */
export function mergedTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { dims: number[]; strides: number[] } {
  const inStrides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const dims: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < perm.length; i++) {
    const axis = perm[i];
    if (shape[axis] === 1) continue; // size-1 axes move nothing
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === inStrides[axis] * shape[axis]) {
      dims[last] *= shape[axis];
      strides[last] = inStrides[axis];
    } else {
      dims.push(shape[axis]);
      strides.push(inStrides[axis]);
    }
  }
  if (dims.length === 0) return { dims: [1], strides: [1] };
  return { dims, strides };
}

/**
 * Shortest contiguous run copied with `TypedArray.set`: below it, creating the subarray costs
 * more than copying element by element (a run of 3, one pixel's RGB, took ~60 ns with `set`).
 */
export const SET_MIN_RUN = 32;

/** Writes `out` (row-major over `dims`) from `src` read at `strides` (see mergedTranspose). */
export function stridedCopy(
  src: Float32Array,
  out: Float32Array,
  dims: readonly number[],
  strides: readonly number[],
): void {
  const r = dims.length;
  const inner = dims[r - 1];
  const innerStride = strides[r - 1];
  let o = 0;
  const walk = (level: number, off: number): void => {
    if (level === r - 1) {
      if (innerStride === 1 && inner >= SET_MIN_RUN) {
        out.set(src.subarray(off, off + inner), o);
        o += inner;
      } else {
        for (let i = 0, p = off; i < inner; i++, p += innerStride) out[o++] = src[p];
      }
      return;
    }
    const n = dims[level];
    const st = strides[level];
    if (level === r - 2 && !(innerStride === 1 && inner >= SET_MIN_RUN)) {
      // Short innermost rows: both loops here, no call per row.
      for (let i = 0; i < n; i++) {
        for (let j = 0, p = off + i * st; j < inner; j++, p += innerStride) out[o++] = src[p];
      }
      return;
    }
    for (let i = 0; i < n; i++) walk(level + 1, off + i * st);
  };
  walk(0, 0);
}

/** The Transpose kernel (see module docs). */
export function transposeKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return [{
    name: tf.Transpose,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", tf.Transpose);
      const perm = attrs.perm as number[];
      if (x.dtype !== "float32" || perm.length !== x.shape.length) return null;
      const n = sizeOf(x.shape);
      if (n < MIN_NATIVE_ELEMENTS) return null;
      const outShape = perm.map((p) => x.shape[p]);
      const { dims, strides } = mergedTranspose(x.shape, perm);
      const out = backend.allocF32(n);
      stridedCopy(backend.values(x), out, dims, strides);
      return backend.output(out, outShape);
    },
  }];
}
