/**
 * `BatchMatMul` on oneDNN's matmul primitive. Transposes are expressed as strides (no copy);
 * a batch of 1 on either side is broadcast.
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, products below
 * {@link MIN_NATIVE_MACS} multiply-adds, batch shapes that differ other than by being 1.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import { ARG, DESC_SIZE } from "../dnnl_ffi.ts";
import { type DnnlRuntime, Executable } from "../dnnl_runtime.ts";
import { cacheKey, input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";

/** Products with fewer multiply-adds run on the cpu kernel. */
export const MIN_NATIVE_MACS = 16384;

/**
 * oneDNN's matmul dst [B,M,N] = src [B|1,M,K] x weights [B|1,K,N] (a batch of 1 is broadcast)
 * over the f32 memory descriptors `srcMd`, `wMd`, `dstMd` (strides free, e.g. a transpose);
 * runs on buffers src, weights, dst. `what` names the primitive in errors.
 */
export function matmulExecutable(
  rt: DnnlRuntime,
  srcMd: Uint8Array,
  wMd: Uint8Array,
  dstMd: Uint8Array,
  what: string,
): Executable {
  const desc = new Uint8Array(DESC_SIZE.matmul);
  rt.check(rt.fn.dnnl_matmul_desc_init(desc, srcMd, wMd, null, dstMd), "dnnl_matmul_desc_init");
  return new Executable(rt, rt.primitive(desc, what), [
    { arg: ARG.src, md: Deno.UnsafePointer.of(srcMd) },
    { arg: ARG.weights, md: Deno.UnsafePointer.of(wMd) },
    { arg: ARG.dst, md: Deno.UnsafePointer.of(dstMd) },
  ]);
}

/** The matmul kernel (see module docs). */
export function matmulKernels(rt: DnnlRuntime): NativeKernelSpec[] {
  const cache = new Map<string, Executable>();
  const primitive = (
    batchA: number,
    batchB: number,
    m: number,
    k: number,
    n: number,
    ta: boolean,
    tb: boolean,
  ): Executable => {
    const key = cacheKey(batchA, batchB, m, k, n, ta, tb);
    let exec = cache.get(key);
    if (exec === undefined) {
      const batch = Math.max(batchA, batchB);
      const srcMd = rt.md([batchA, m, k], ta ? [k * m, 1, m] : [m * k, k, 1]);
      const wMd = rt.md([batchB, k, n], tb ? [n * k, 1, k] : [k * n, n, 1]);
      exec = matmulExecutable(rt, srcMd, wMd, rt.md([batch, m, n]), "matmul");
      cache.set(key, exec);
    }
    return exec;
  };
  return [{
    name: tf.BatchMatMul,
    run: ({ inputs, attrs, backend }) => {
      const a = input(inputs, "a", tf.BatchMatMul);
      const b = input(inputs, "b", tf.BatchMatMul);
      if (a.dtype !== "float32" || b.dtype !== "float32") return null;
      const ta = attrs.transposeA === true;
      const tb = attrs.transposeB === true;
      const ra = a.shape.length;
      const rb = b.shape.length;
      const m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
      const kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
      const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
      if (k !== kb) return null; // the cpu kernel throws the proper error
      const outerA = a.shape.slice(0, -2);
      const outerB = b.shape.slice(0, -2);
      const batchA = sizeOf(outerA);
      const batchB = sizeOf(outerB);
      let outer: number[];
      if (batchA === batchB && tf.util.arraysEqual(outerA, outerB)) outer = outerA;
      else if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
      else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
      else return null;
      if (Math.max(batchA, batchB) * m * n * k < MIN_NATIVE_MACS) return null;
      const out = backend.allocF32(Math.max(batchA, batchB) * m * n);
      primitive(batchA, batchB, m, k, n, ta, tb).run([backend.values(a), backend.values(b), out]);
      return backend.output(out, [...outer, m, n]);
    },
  }];
}
