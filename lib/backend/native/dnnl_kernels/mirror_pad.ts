/**
 * `MirrorPad` (reflect and symmetric) as row copies in plain JS. tfjs's cpu kernel computes
 * the coordinates of every output element (~0.5 us each here): the reflect padding of a
 * Gaussian blur over a batch of views (`[1, 34, 34, 768]`) took ~0.4 s a call. Here the
 * trailing axes without padding (an image's channels) travel as one chunk, and every row of
 * the innermost padded axis is one `TypedArray.set` of the input row it mirrors plus the few
 * mirrored chunks at its ends. Values are copied: bit-identical to the cpu kernel.
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
  // Trailing axes without padding travel as one chunk (e.g. the channels of NHWC images).
  let last = shape.length - 1;
  while (last >= 0 && paddings[last][0] === 0 && paddings[last][1] === 0) last--;
  if (last < 0) {
    out.set(src.subarray(0, out.length));
    return;
  }
  let chunk = 1;
  for (let i = last + 1; i < shape.length; i++) chunk *= shape[i];
  const outShape = shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
  const inStride = new Array<number>(last + 1);
  const outStride = new Array<number>(last + 1);
  let si = chunk;
  let so = chunk;
  for (let i = last; i >= 0; i--) {
    inStride[i] = si;
    outStride[i] = so;
    si *= shape[i];
    so *= outShape[i];
  }
  const n = shape[last];
  const [before, after] = paddings[last];
  const copyChunk = (from: number, to: number): void => {
    for (let k = 0; k < chunk; k++) out[to + k] = src[from + k];
  };
  const walk = (level: number, inOff: number, outOff: number): void => {
    if (level === last) {
      for (let o = 0; o < before; o++) {
        copyChunk(inOff + mirrorIndex(o, before, n, symmetric) * chunk, outOff + o * chunk);
      }
      out.set(src.subarray(inOff, inOff + n * chunk), outOff + before * chunk);
      for (let o = before + n; o < before + n + after; o++) {
        copyChunk(inOff + mirrorIndex(o, before, n, symmetric) * chunk, outOff + o * chunk);
      }
      return;
    }
    const b = paddings[level][0];
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
