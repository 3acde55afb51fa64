/**
 * `Concat` of float32 tensors as block copies into a pooled output: for an axis a, each
 * input contributes one contiguous run of `prod(shape[a:])` values per index of the
 * leading axes, so axis 0 (views stacked into one batch) is one copy per input.
 *
 * Declines (cpu kernel runs instead): any non-float32 input, outputs below
 * {@link MIN_NATIVE_ELEMENTS} elements.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import type { DnnlRuntime } from "../dnnl_runtime.ts";
import { type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";

/** The Concat kernel (see module docs). */
export function concatKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return [{
    name: tf.Concat,
    run: ({ inputs, attrs, backend }) => {
      const xs = Object.keys(inputs).sort((a, b) => Number(a) - Number(b)).map((k) =>
        inputs[k] as tf.TensorInfo
      );
      if (xs.length === 0 || xs.some((x) => x.dtype !== "float32")) return null;
      const rank = xs[0].shape.length;
      const axis = tf.util.parseAxisParam(attrs.axis as number, xs[0].shape)[0];
      const outShape = [...xs[0].shape];
      outShape[axis] = xs.reduce((acc, x) => acc + x.shape[axis], 0);
      const n = sizeOf(outShape);
      if (n < MIN_NATIVE_ELEMENTS || xs.some((x) => x.shape.length !== rank)) return null;
      const outer = sizeOf(outShape.slice(0, axis));
      const out = backend.allocF32(n);
      const rowLength = n / outer; // outer >= 1: an empty output was declined above
      let offset = 0;
      for (const x of xs) {
        const src = backend.values(x);
        const run = sizeOf(x.shape.slice(axis));
        if (run === 0) continue;
        for (let o = 0; o < outer; o++) {
          out.set(src.subarray(o * run, (o + 1) * run), o * rowLength + offset);
        }
        offset += run;
      }
      return backend.output(out, outShape);
    },
  }];
}
