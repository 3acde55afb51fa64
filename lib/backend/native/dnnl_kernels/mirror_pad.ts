/**
 * `MirrorPad` (reflect and symmetric) as row copies in plain JS. tfjs's cpu kernel computes
 * the coordinates of every output element (~0.5 us each here): the reflect padding of a
 * Gaussian blur over a batch of views (`[1, 34, 34, 768]`) took ~0.4 s a call. Here every
 * innermost row of the output is one `TypedArray.set` of the input row it mirrors, plus the
 * few mirrored elements at its ends. Values are copied: bit-identical to the cpu kernel.
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

/**
 * The input index an output index `o` of a padded axis reads: `o - before` inside, mirrored
 * about the edge outside (`reflect` leaves the edge out, `symmetric` repeats it).
 */
export function mirrorIndex(o: number, before: number, n: number, symmetric: boolean): number {
  const i = o - before;
  if (i < 0) return symmetric ? -i - 1 : -i;
  if (i >= n) return symmetric ? 2 * n - i - 1 : 2 * n - i - 2;
  return i;
}

/**
 * Fills `out` (shape `x` padded by `paddings`) from `src` (shape `shape`) as MirrorPad does.
 * `paddings[i]` = [before, after] of axis i.
 */
export function mirrorPadInto(
  src: Float32Array,
  shape: readonly number[],
  paddings: readonly (readonly [number, number])[],
  symmetric: boolean,
  out: Float32Array,
): void {
  const r = shape.length;
  const outShape = shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const inStride = new Array<number>(r);
  const outStride = new Array<number>(r);
  let si = 1;
  let so = 1;
  for (let i = r - 1; i >= 0; i--) {
    inStride[i] = si;
    outStride[i] = so;
    si *= shape[i];
    so *= outShape[i];
  }
  const last = r - 1;
  const n = shape[last];
  const [before, after] = paddings[last];
  const walk = (level: number, inOff: number, outOff: number): void => {
    if (level === last) {
      for (let o = 0; o < before; o++) {
        out[outOff + o] = src[inOff + mirrorIndex(o, before, n, symmetric)];
      }
      out.set(src.subarray(inOff, inOff + n), outOff + before);
      for (let o = before + n; o < before + n + after; o++) {
        out[outOff + o] = src[inOff + mirrorIndex(o, before, n, symmetric)];
      }
      return;
    }
    const [b, _] = paddings[level];
    for (let o = 0; o < outShape[level]; o++) {
      const i = mirrorIndex(o, b, shape[level], symmetric);
      walk(level + 1, inOff + i * inStride[level], outOff + o * outStride[level]);
    }
  };
  walk(0, 0, 0);
}

/** The MirrorPad kernel (see module docs). */
export function mirrorPadKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return [{
    name: tf.MirrorPad,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", tf.MirrorPad);
      const paddings = attrs.paddings as [number, number][];
      if (x.dtype !== "float32" || x.shape.length === 0) return null;
      const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
      const total = sizeOf(outShape);
      if (total < MIN_NATIVE_ELEMENTS) return null;
      const out = backend.allocF32(total);
      mirrorPadInto(backend.values(x), x.shape, paddings, attrs.mode === "symmetric", out);
      return backend.output(out, outShape);
    },
  }];
}
