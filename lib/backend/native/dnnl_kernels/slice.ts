/**
 * `Slice` and `SplitV` as block copies in plain JS. tfjs's cpu kernels return a view when a
 * slice is one contiguous run, and otherwise compute every element's coordinates (~2 us per
 * element here): the gradient of a concatenation along a non-leading axis, e.g. MoCo's
 * `[positive | queue]` logits `[256, 1 + 4096]`, took about a second per step that way.
 * Here a slice is a {@link stridedCopy} over the merged axes of the box, so each innermost
 * run is one `TypedArray.set`. Values are copied, so results are bit-identical to the cpu
 * kernels'.
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, slices that are one contiguous run
 * (the cpu kernel's zero-copy view is cheaper), outputs below {@link MIN_NATIVE_ELEMENTS}.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import type { DnnlRuntime } from "../dnnl_runtime.ts";
import type { NativeBackend } from "../native_backend.ts";
import { input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";
import { stridedCopy } from "./transpose.ts";

/**
 * The box `begin`/`size` of a row-major tensor of `shape` as a strided read: the offset of its
 * first element, and merged dims with their input strides (an axis merges with the one outside
 * it when it is taken whole). Size-1 axes drop out.
 */
export function slicePlan(
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): { offset: number; dims: number[]; strides: number[] } {
  const r = shape.length;
  const inStrides = new Array<number>(r);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  let offset = 0;
  for (let i = 0; i < r; i++) offset += begin[i] * inStrides[i];
  // Outer to inner: axis i joins the group outside it when that group steps by exactly the
  // span of axis i taken whole (as in mergedTranspose).
  const dims: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < r; i++) {
    if (size[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === inStrides[i] * size[i]) {
      dims[last] *= size[i];
      strides[last] = inStrides[i];
    } else {
      dims.push(size[i]);
      strides.push(inStrides[i]);
    }
  }
  if (dims.length === 0) return { offset, dims: [1], strides: [1] };
  return { offset, dims, strides };
}

/** True when the box is one contiguous run of the input (the cpu kernel returns a view). */
function isOneRun(plan: { dims: number[]; strides: number[] }): boolean {
  return plan.dims.length === 1 && plan.strides[0] === 1;
}

function sliceInto(
  backend: NativeBackend,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): tf.TensorInfo {
  const plan = slicePlan(x.shape, begin, size);
  const out = backend.allocF32(sizeOf(size));
  stridedCopy(backend.values(x).subarray(plan.offset), out, plan.dims, plan.strides);
  return backend.output(out, [...size]);
}

/** The Slice and SplitV kernels (see module docs). */
export function sliceKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return [
    {
      name: tf.Slice,
      run: ({ inputs, attrs, backend }) => {
        const x = input(inputs, "x", tf.Slice);
        if (x.dtype !== "float32") return null;
        const [begin, size] = tf.slice_util.parseSliceParams(
          x as unknown as tf.Tensor,
          attrs.begin as number[],
          attrs.size as number[],
        );
        const n = sizeOf(size);
        if (n < MIN_NATIVE_ELEMENTS) return null;
        if (isOneRun(slicePlan(x.shape, begin, size))) return null;
        return sliceInto(backend, x, begin, size);
      },
    },
    {
      name: tf.SplitV,
      run: ({ inputs, attrs, backend }) => {
        const x = input(inputs, "x", tf.SplitV);
        if (x.dtype !== "float32") return null;
        const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
        // Every piece is one contiguous run when nothing but size-1 axes lies outside `axis`.
        if (sizeOf(x.shape.slice(0, axis)) === 1) return null;
        if (sizeOf(x.shape) < MIN_NATIVE_ELEMENTS) return null;
        const sizes = tf.backend_util.prepareSplitSize(
          x as unknown as tf.Tensor,
          attrs.numOrSizeSplits as number[] | number,
          axis,
        );
        const begin = new Array<number>(x.shape.length).fill(0);
        return sizes.map((s) => {
          const size = [...x.shape];
          size[axis] = s;
          const piece = sliceInto(backend, x, begin, size);
          begin[axis] += s;
          return piece;
        });
      },
    },
  ];
}
