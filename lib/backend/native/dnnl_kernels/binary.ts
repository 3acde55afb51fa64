/**
 * Element-wise binary ops with numpy broadcasting on oneDNN's binary primitive: `Add`, `Sub`,
 * `Multiply`, `RealDiv`, `Maximum`, `Minimum` and `SquaredDifference` (binary sub, then an
 * in-place square). Shapes are merged by {@link planBroadcast}; primitives are cached by the
 * merged dims.
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, outputs below
 * {@link MIN_NATIVE_ELEMENTS} elements (a native call costs more than the loop there).
 * Broadcast patterns oneDNN's binary does not take (both operands broadcast, the first operand
 * of a non-commutative op, or patterns outside {@link supportedBroadcast}) are materialised
 * first; for SquaredDifference only those outside `supportedBroadcast` (see `bothBroadcast`).
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import { ALG, ARG, DESC_SIZE, PROP } from "../dnnl_ffi.ts";
import { type DnnlRuntime, Executable } from "../dnnl_runtime.ts";
import { cacheKey, input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import type { NativeBackend } from "../native_backend.ts";
import { planBroadcast } from "./broadcast_plan.ts";
import { broadcastCopy } from "./broadcast_copy.ts";

/** Outputs smaller than this run on the cpu kernel. */
export const MIN_NATIVE_ELEMENTS = 2048;

interface BinaryOp {
  name: string;
  alg: number;
  commutative: boolean;
  /** Square the result in place (SquaredDifference). */
  square?: boolean;
}

const OPS: BinaryOp[] = [
  { name: tf.Add, alg: ALG.binaryAdd, commutative: true },
  { name: tf.Sub, alg: ALG.binarySub, commutative: false },
  { name: tf.Multiply, alg: ALG.binaryMul, commutative: true },
  { name: tf.RealDiv, alg: ALG.binaryDiv, commutative: false },
  { name: tf.Maximum, alg: ALG.binaryMax, commutative: true },
  { name: tf.Minimum, alg: ALG.binaryMin, commutative: true },
  // (a-b)^2 = (b-a)^2, so the operands may be swapped.
  { name: tf.SquaredDifference, alg: ALG.binarySub, commutative: true, square: true },
];

/** Cached binary and in-place eltwise primitives of one runtime. */
export class BinaryPrimitives {
  readonly #rt: DnnlRuntime;
  readonly #binary = new Map<string, Executable>();
  readonly #eltwise = new Map<string, Executable>();

  constructor(rt: DnnlRuntime) {
    this.#rt = rt;
  }

  /** dst = src0 (alg) src1 with src1 broadcast along its size-1 dims. */
  binary(alg: number, dims0: number[], dims1: number[]): Executable {
    const key = cacheKey(alg, dims0, dims1);
    let exec = this.#binary.get(key);
    if (exec === undefined) {
      const rt = this.#rt;
      const md0 = rt.md(dims0);
      const md1 = rt.md(dims1);
      const desc = new Uint8Array(DESC_SIZE.binary);
      rt.check(rt.fn.dnnl_binary_desc_init(desc, alg, md0, md1, md0), "dnnl_binary_desc_init");
      const prim = rt.primitive(desc, "binary");
      exec = new Executable(rt, prim, [
        { arg: ARG.src, md: Deno.UnsafePointer.of(md0) },
        { arg: ARG.src1, md: Deno.UnsafePointer.of(md1) },
        { arg: ARG.dst, md: Deno.UnsafePointer.of(md0) },
      ]);
      this.#binary.set(key, exec);
    }
    return exec;
  }

  /** dst = f(src) element-wise over a flat array of `n` elements (alpha/beta per oneDNN). */
  eltwise(alg: number, n: number, alpha: number, beta: number): Executable {
    const key = cacheKey(alg, n, alpha, beta);
    let exec = this.#eltwise.get(key);
    if (exec === undefined) {
      const rt = this.#rt;
      const md = rt.md([n]);
      const desc = new Uint8Array(DESC_SIZE.eltwise);
      rt.check(
        rt.fn.dnnl_eltwise_forward_desc_init(desc, PROP.forwardInference, alg, md, alpha, beta),
        "dnnl_eltwise_forward_desc_init",
      );
      const prim = rt.primitive(desc, "eltwise");
      exec = new Executable(rt, prim, [
        { arg: ARG.src, md: Deno.UnsafePointer.of(md) },
        { arg: ARG.dst, md: Deno.UnsafePointer.of(md) },
      ]);
      this.#eltwise.set(key, exec);
    }
    return exec;
  }
}

/**
 * Broadcast patterns oneDNN 2.6's jit binary handles correctly: none, a scalar, or one value
 * per innermost index (`[M, C] op [1, C]`). Others (e.g. per-row `[M, N] op [M, 1]`) made its
 * jit kernel read past the end of the second source (segfaults), so they run on the cpu kernel.
 */
export function supportedBroadcast(dims0: readonly number[], dims1: readonly number[]): boolean {
  if (dims1.every((d, i) => d === dims0[i])) return true;
  if (dims1.every((d) => d === 1)) return true;
  return dims1.length === 2 && dims1[0] === 1 && dims1[1] === dims0[1];
}

/** The binary kernels (see module docs). */
export function binaryKernels(rt: DnnlRuntime): NativeKernelSpec[] {
  const prims = new BinaryPrimitives(rt);
  /**
   * `a op b` where oneDNN's binary cannot broadcast (both operands, or the first of a
   * non-commutative op, e.g. `1 - mask`): each broadcast operand is materialised at copy speed,
   * then one same-shape binary runs.
   */
  const bothBroadcast = (
    op: BinaryOp,
    a: tf.TensorInfo,
    b: tf.TensorInfo,
    backend: NativeBackend,
  ): tf.TensorInfo | null => {
    // SquaredDifference rounds twice here (sub, then square) and once on the cpu kernel: kept
    // on the cpu kernel so that these calls stay bit-identical (the others round once on both).
    if (op.square) return null;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = sizeOf(outShape);
    if (n < MIN_NATIVE_ELEMENTS) return null;
    const temps: Float32Array[] = [];
    const full = (x: tf.TensorInfo): Float32Array => {
      const v = backend.values(x);
      if (v.length === n) return v;
      const plan = planBroadcast(outShape, x.shape, false)!;
      const copy = backend.allocF32(n);
      broadcastCopy(v, plan.dims1, copy, plan.dims0);
      temps.push(copy);
      return copy;
    };
    const out = backend.allocF32(n);
    prims.binary(op.alg, [n], [n]).run([full(a), full(b), out]);
    for (const t of temps) backend.releaseF32(t);
    return backend.output(out, outShape);
  };
  // Broadcast operands are copied into a buffer with slack, so a vector load that runs past
  // their end stays inside memory we own.
  let scratch = new Float32Array(1024);
  const padded = (v: Float32Array): Float32Array => {
    if (scratch.length < v.length + 256) scratch = new Float32Array(2 * v.length + 256);
    scratch.set(v);
    return scratch;
  };
  return OPS.map((op) => ({
    name: op.name,
    run: ({ inputs, backend }) => {
      const a = input(inputs, "a", op.name);
      const b = input(inputs, "b", op.name);
      if (a.dtype !== "float32" || b.dtype !== "float32") return null;
      const plan = planBroadcast(a.shape, b.shape, op.commutative);
      if (plan === null) return bothBroadcast(op, a, b, backend);
      const n = plan.dims0.reduce((x, y) => x * y, 1);
      if (n < MIN_NATIVE_ELEMENTS) return null;
      const out = backend.allocF32(n);
      const [s0, s1] = plan.swap ? [b, a] : [a, b];
      let v1 = backend.values(s1);
      if (supportedBroadcast(plan.dims0, plan.dims1)) {
        if (v1.length < n) v1 = padded(v1);
        prims.binary(op.alg, plan.dims0, plan.dims1).run([backend.values(s0), v1, out]);
      } else {
        // Materialise the broadcast operand (one write at copy speed), then a plain binary.
        const full = backend.allocF32(n);
        broadcastCopy(v1, plan.dims1, full, plan.dims0);
        prims.binary(op.alg, [n], [n]).run([backend.values(s0), full, out]);
        backend.releaseF32(full);
      }
      if (op.square) prims.eltwise(ALG.eltwiseSquare, n, 0, 0).run([out, out]);
      return backend.output(out, plan.out);
    },
  }));
}
