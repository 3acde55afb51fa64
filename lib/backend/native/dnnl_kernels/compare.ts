/**
 * Element-wise comparisons (`Less`, `LessEqual`, `Greater`, `GreaterEqual`, `Equal`,
 * `NotEqual`) of float32 tensors with numpy broadcasting on both operands, in plain JS. The
 * output is tfjs's `bool` tensor (a `Uint8Array` of 0/1), as the cpu kernel writes it. The
 * cpu kernel converts every output index to coordinates when the operands broadcast (~0.2 us
 * per element here: the `[256, 49, 49]` rank comparison of the saliency masks took ~0.1 s).
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

/** A comparison, by the tfjs kernel it implements. */
export type Comparison = "<" | "<=" | ">" | ">=" | "==" | "!=";

const COMPARISONS: [string, Comparison][] = [
  [tf.Less, "<"],
  [tf.LessEqual, "<="],
  [tf.Greater, ">"],
  [tf.GreaterEqual, ">="],
  [tf.Equal, "=="],
  [tf.NotEqual, "!="],
];

/**
 * `out[o..o+n) = a[pa + k*ia] cmp b[pb + k*ib]`: one loop per comparison, so each stays
 * monomorphic (a comparison function passed in would be called per element).
 */
function compareRun(
  cmp: Comparison,
  a: Float32Array,
  pa: number,
  ia: number,
  b: Float32Array,
  pb: number,
  ib: number,
  n: number,
  out: Uint8Array,
  o: number,
): void {
  switch (cmp) {
    case "<":
      for (let k = 0; k < n; k++, pa += ia, pb += ib) out[o + k] = a[pa] < b[pb] ? 1 : 0;
      return;
    case "<=":
      for (let k = 0; k < n; k++, pa += ia, pb += ib) out[o + k] = a[pa] <= b[pb] ? 1 : 0;
      return;
    case ">":
      for (let k = 0; k < n; k++, pa += ia, pb += ib) out[o + k] = a[pa] > b[pb] ? 1 : 0;
      return;
    case ">=":
      for (let k = 0; k < n; k++, pa += ia, pb += ib) out[o + k] = a[pa] >= b[pb] ? 1 : 0;
      return;
    case "==":
      for (let k = 0; k < n; k++, pa += ia, pb += ib) out[o + k] = a[pa] === b[pb] ? 1 : 0;
      return;
    case "!=":
      for (let k = 0; k < n; k++, pa += ia, pb += ib) out[o + k] = a[pa] !== b[pb] ? 1 : 0;
      return;
  }
}

/**
 * The strides with which the output `[...out]` reads an operand of `shape` (right-aligned,
 * 0 on its broadcast axes).
 */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const r = out.length;
  const strides = new Array<number>(r).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = r - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

/** `out[i] = a[..] cmp b[..] ? 1 : 0` over the broadcast output shape `outShape`. */
export function compareInto(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  outShape: readonly number[],
  cmp: Comparison,
  out: Uint8Array,
): void {
  const r = outShape.length;
  if (r === 0) {
    compareRun(cmp, a, 0, 0, b, 0, 0, 1, out, 0);
    return;
  }
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const inner = outShape[r - 1];
  const ia = sa[r - 1];
  const ib = sb[r - 1];
  let o = 0;
  const walk = (level: number, offA: number, offB: number): void => {
    if (level === r - 1) {
      compareRun(cmp, a, offA, ia, b, offB, ib, inner, out, o);
      o += inner;
      return;
    }
    for (let k = 0; k < outShape[level]; k++) {
      walk(level + 1, offA + k * sa[level], offB + k * sb[level]);
    }
  };
  walk(0, 0, 0);
}

/** The comparison kernels (see module docs). */
export function compareKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return COMPARISONS.map(([name, cmp]) => ({
    name,
    run: ({ inputs, backend }) => {
      const a = input(inputs, "a", name);
      const b = input(inputs, "b", name);
      if (a.dtype !== "float32" || b.dtype !== "float32") return null;
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const total = sizeOf(outShape);
      if (total < MIN_NATIVE_ELEMENTS) return null;
      const out = new Uint8Array(total);
      compareInto(backend.values(a), a.shape, backend.values(b), b.shape, outShape, cmp, out);
      return backend.makeTensorInfo(outShape, "bool", out);
    },
  }));
}
