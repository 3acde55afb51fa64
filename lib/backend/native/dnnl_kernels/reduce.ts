/**
 * Reductions `Sum`, `Mean`, `Max`, `Min` over any set of axes on oneDNN's reduction
 * primitive. Axes are merged like broadcasts (size-1 axes dropped, neighbours reduced alike
 * merged), so a batch-norm statistic over N,H,W of an NHWC map is a `[N*H*W, C] -> [1, C]`
 * reduction with no transpose (the cpu kernel transposes first).
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, inputs below
 * {@link MIN_NATIVE_ELEMENTS} elements.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import { ALG, ARG, DESC_SIZE } from "../dnnl_ffi.ts";
import { type DnnlRuntime, Executable } from "../dnnl_runtime.ts";
import { cacheKey, input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";
import { matmulExecutable } from "./matmul.ts";

/** Source and destination dims of a merged reduction. */
export interface ReducePlan {
  src: number[];
  /** 1 on reduced axes, else equal to src. */
  dst: number[];
  /** tfjs output shape (reduced axes dropped, or kept as 1 with keepDims). */
  out: number[];
}

/** Plans a reduction of `shape` over `axes` (normalised, non-negative). */
export function planReduce(shape: readonly number[], axes: readonly number[], keepDims: boolean) {
  const reduced = new Set(axes);
  const src: number[] = [];
  const dst: number[] = [];
  let last: boolean | undefined;
  shape.forEach((d, i) => {
    if (d === 1) return;
    const r = reduced.has(i);
    if (r === last) {
      src[src.length - 1] *= d;
      if (!r) dst[dst.length - 1] *= d;
    } else {
      src.push(d);
      dst.push(r ? 1 : d);
      last = r;
    }
  });
  if (src.length === 0) {
    src.push(1);
    dst.push(1);
  }
  const out = keepDims
    ? shape.map((d, i) => (reduced.has(i) ? 1 : d))
    : shape.filter((_, i) => !reduced.has(i));
  return { src, dst, out } satisfies ReducePlan;
}

const OPS: [string, number][] = [
  [tf.Sum, ALG.reductionSum],
  [tf.Mean, ALG.reductionMean],
  [tf.Max, ALG.reductionMax],
  [tf.Min, ALG.reductionMin],
];

/**
 * Sum/Mean of a merged 1-, 2- or 3-axis plan as a matrix product with a constant vector
 * (1, or 1/n for the mean): `[R,K] -> [1,K]` is `v[1,R] x X[R,K]`, `[K,R] -> [K,1]` is
 * `X[K,R] x v[R,1]`, `[A,R,B]` a batched product. oneDNN's matmul streams the input once on
 * all threads, several times faster than its generic reduction for these layouts.
 * Returns null for other plans.
 */
function matmulReduction(
  plan: ReducePlan,
): { m: number; k: number; n: number; batch: number; vectorFirst: boolean } | null {
  const { src, dst } = plan;
  const r = src.map((d, i) => dst[i] === 1 && d !== 1);
  if (src.length === 1) {
    return r[0] ? { batch: 1, m: 1, k: src[0], n: 1, vectorFirst: false } : null;
  }
  if (src.length === 2) {
    return r[0]
      ? { batch: 1, m: 1, k: src[0], n: src[1], vectorFirst: true }
      : { batch: 1, m: src[0], k: src[1], n: 1, vectorFirst: false };
  }
  if (src.length === 3 && r[1]) {
    return { batch: src[0], m: 1, k: src[1], n: src[2], vectorFirst: true };
  }
  return null;
}

/** The reduction kernels (see module docs). */
export function reduceKernels(rt: DnnlRuntime): NativeKernelSpec[] {
  const cache = new Map<string, Executable>();
  const vectors = new Map<string, Float32Array>();
  const vector = (len: number, value: number): Float32Array => {
    const key = cacheKey(len, value);
    let v = vectors.get(key);
    if (v === undefined) vectors.set(key, v = new Float32Array(len).fill(value));
    return v;
  };
  const reduction = (alg: number, src: number[], dst: number[]): Executable => {
    const key = cacheKey(alg, src, dst);
    let exec = cache.get(key);
    if (exec === undefined) {
      const srcMd = rt.md(src);
      const dstMd = rt.md(dst);
      const desc = new Uint8Array(DESC_SIZE.reduction);
      rt.check(
        rt.fn.dnnl_reduction_desc_init(desc, alg, srcMd, dstMd, 0, 0),
        "dnnl_reduction_desc_init",
      );
      exec = new Executable(rt, rt.primitive(desc, "reduction"), [
        { arg: ARG.src, md: Deno.UnsafePointer.of(srcMd) },
        { arg: ARG.dst, md: Deno.UnsafePointer.of(dstMd) },
      ]);
      cache.set(key, exec);
    }
    return exec;
  };
  /** dst[b] = A[b] (m x k) * B[b] (k x n); the vector side has batch 1. */
  const product = (batch: number, m: number, k: number, n: number, vectorFirst: boolean) => {
    const key = cacheKey("mm", batch, m, k, n, vectorFirst);
    let exec = cache.get(key);
    if (exec === undefined) {
      const srcMd = rt.md([vectorFirst ? 1 : batch, m, k]);
      const wMd = rt.md([vectorFirst ? batch : 1, k, n]);
      exec = matmulExecutable(rt, srcMd, wMd, rt.md([batch, m, n]), "reduction matmul");
      cache.set(key, exec);
    }
    return exec;
  };
  return OPS.map(([name, alg]) => ({
    name,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", name);
      if (x.dtype !== "float32" || sizeOf(x.shape) < MIN_NATIVE_ELEMENTS) return null;
      // Max names its axes `reductionIndices`; the others `axis`.
      const axisAttr = (name === tf.Max ? attrs.reductionIndices : attrs.axis) as number | number[];
      const axes = tf.util.parseAxisParam(axisAttr, x.shape);
      const plan = planReduce(x.shape, axes, attrs.keepDims === true);
      const out = backend.allocF32(sizeOf(plan.out));
      const mm = name === tf.Sum || name === tf.Mean ? matmulReduction(plan) : null;
      if (mm !== null) {
        const v = vector(mm.k, name === tf.Mean ? 1 / mm.k : 1);
        const xs = backend.values(x);
        product(mm.batch, mm.m, mm.k, mm.n, mm.vectorFirst).run(
          mm.vectorFirst ? [v, xs, out] : [xs, v, out],
        );
      } else {
        reduction(alg, plan.src, plan.dst).run([backend.values(x), out]);
      }
      return backend.output(out, plan.out);
    },
  }));
}
