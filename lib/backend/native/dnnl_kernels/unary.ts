/**
 * Element-wise unary kernels on oneDNN's eltwise primitive (`Relu`, `Sqrt`, `Rsqrt`, `Square`,
 * `Neg`, `Exp`, `Log`, `Abs`, `Tanh`, `Sigmoid`), `Step` (the relu gradient's mask; binary
 * greater-than against 0, so NaN gives 0 instead of NaN), `Fill` (pooled buffer + fill) and the
 * kit's `KitReluGrad` (`relu_grad.ts`; oneDNN's relu eltwise backward, one pass).
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, fewer than
 * {@link MIN_NATIVE_ELEMENTS} elements, `Step` with alpha != 0, `KitReluGrad` with inputs of
 * different shapes.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import { ALG, ARG, DESC_SIZE, PROP } from "../dnnl_ffi.ts";
import { type DnnlRuntime, Executable } from "../dnnl_runtime.ts";
import { input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { RELU_GRAD } from "../relu_grad.ts";
import { BinaryPrimitives, MIN_NATIVE_ELEMENTS } from "./binary.ts";

/** tfjs kernel -> oneDNN eltwise algorithm with alpha, beta (y = f(x; alpha, beta)). */
const ELTWISE: [string, number, number, number][] = [
  [tf.Relu, ALG.eltwiseRelu, 0, 0],
  [tf.Sqrt, ALG.eltwiseSqrt, 0, 0],
  [tf.Rsqrt, ALG.eltwisePow, 1, -0.5], // alpha * x^beta
  [tf.Square, ALG.eltwiseSquare, 0, 0],
  [tf.Neg, ALG.eltwiseLinear, -1, 0], // alpha * x + beta
  [tf.Exp, ALG.eltwiseExp, 0, 0],
  [tf.Log, ALG.eltwiseLog, 0, 0],
  [tf.Abs, ALG.eltwiseAbs, 0, 0],
  [tf.Tanh, ALG.eltwiseTanh, 0, 0],
  [tf.Sigmoid, ALG.eltwiseLogistic, 0, 0],
];

/** The unary kernels (see module docs). */
export function unaryKernels(rt: DnnlRuntime): NativeKernelSpec[] {
  const prims = new BinaryPrimitives(rt);
  const zero = new Float32Array(16);
  const specs: NativeKernelSpec[] = ELTWISE.map(([name, alg, alpha, beta]) => ({
    name,
    run: ({ inputs, backend }) => {
      const x = input(inputs, "x", name);
      const n = sizeOf(x.shape);
      if (x.dtype !== "float32" || n < MIN_NATIVE_ELEMENTS) return null;
      const out = backend.allocF32(n);
      prims.eltwise(alg, n, alpha, beta).run([backend.values(x), out]);
      return backend.output(out, [...x.shape]);
    },
  }));
  specs.push({
    name: tf.Step,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", tf.Step);
      const n = sizeOf(x.shape);
      if (x.dtype !== "float32" || n < MIN_NATIVE_ELEMENTS) return null;
      if ((attrs.alpha ?? 0) !== 0) return null;
      const out = backend.allocF32(n);
      prims.binary(ALG.binaryGt, [n], [1]).run([backend.values(x), zero, out]);
      return backend.output(out, [...x.shape]);
    },
  });
  const reluGrads = new Map<number, Executable>();
  specs.push({
    name: RELU_GRAD,
    run: ({ inputs, backend }) => {
      const dy = input(inputs, "dy", RELU_GRAD);
      const x = input(inputs, "x", RELU_GRAD);
      const n = sizeOf(x.shape);
      if (x.dtype !== "float32" || dy.dtype !== "float32" || n < MIN_NATIVE_ELEMENTS) return null;
      if (!tf.util.arraysEqual(dy.shape, x.shape)) return null;
      let exec = reluGrads.get(n);
      if (exec === undefined) {
        exec = reluBackward(rt, n);
        reluGrads.set(n, exec);
      }
      const dx = backend.allocF32(n);
      exec.run([backend.values(x), backend.values(dy), dx]);
      return backend.output(dx, [...x.shape]);
    },
  });
  specs.push({
    name: tf.Fill,
    run: ({ attrs, backend }) => {
      const shape = attrs.shape as number[];
      const dtype = (attrs.dtype ?? "float32") as tf.DataType;
      const n = sizeOf(shape);
      if (dtype !== "float32" || n < MIN_NATIVE_ELEMENTS) return null;
      const out = backend.allocF32(n);
      out.fill(attrs.value as number);
      return backend.output(out, [...shape]);
    },
  });
  return specs;
}

/** oneDNN relu backward over `n` flat elements: buffers x (its input), dy -> dx. */
function reluBackward(rt: DnnlRuntime, n: number): Executable {
  const md = rt.md([n]);
  const fwd = new Uint8Array(DESC_SIZE.eltwise);
  rt.check(
    rt.fn.dnnl_eltwise_forward_desc_init(fwd, PROP.forwardTraining, ALG.eltwiseRelu, md, 0, 0),
    "dnnl_eltwise_forward_desc_init(relu hint)",
  );
  const hint = rt.primitive(fwd, "relu forward hint");
  const bwd = new Uint8Array(DESC_SIZE.eltwise);
  rt.check(
    rt.fn.dnnl_eltwise_backward_desc_init(bwd, ALG.eltwiseRelu, md, md, 0, 0),
    "dnnl_eltwise_backward_desc_init",
  );
  const prim = rt.primitive(bwd, "relu backward", hint.pd);
  const ptr = Deno.UnsafePointer.of(md);
  return new Executable(rt, prim, [
    { arg: ARG.src, md: ptr },
    { arg: ARG.diffDst, md: ptr },
    { arg: ARG.diffSrc, md: ptr },
  ]);
}
