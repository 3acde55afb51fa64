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

type Compare = (a: number, b: number) => boolean;

const COMPARISONS: [string, Compare][] = [
  [tf.Less, (a, b) => a < b],
  [tf.LessEqual, (a, b) => a <= b],
  [tf.Greater, (a, b) => a > b],
  [tf.GreaterEqual, (a, b) => a >= b],
  [tf.Equal, (a, b) => a === b],
  [tf.NotEqual, (a, b) => a !== b],
];

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

/** `out[i] = cmp(a[..], b[..]) ? 1 : 0` over the broadcast output shape `outShape`. */
export function compareInto(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  outShape: readonly number[],
  cmp: Compare,
  out: Uint8Array,
): void {
  const r = outShape.length;
  if (r === 0) {
    out[0] = cmp(a[0], b[0]) ? 1 : 0;
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
      for (let k = 0, pa = offA, pb = offB; k < inner; k++, pa += ia, pb += ib) {
        out[o++] = cmp(a[pa], b[pb]) ? 1 : 0;
      }
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
