/**
 * The kit's fused training batch norm (`KitBatchNormTrain`, `KitBatchNormTrainGrad`; contract in
 * lib/nn/batch_norm_kernels.ts) on oneDNN's batch normalization primitive: forward training
 * with separate scale and shift (`use_scale | use_shift`), backward with `dnnl_backward` (data,
 * scale and shift gradients in one call). Channels-last data is handed over zero copy as
 * oneDNN `nhwc` (tag `acdb` on dims N,C,H,W; rank-2 and other ranks as `[rows, C, 1, 1]`).
 *
 * Declines (the cpu kernel, float32 loops, runs instead): non-float32 inputs, fewer than
 * {@link MIN_NATIVE_ELEMENTS} elements, and a backward call whose `dmean`/`dvariance` are not
 * all zero (the batch statistics feed the loss directly, which oneDNN's primitive ignores).
 *
 * The same primitives with `fuse_norm_relu` run `KitBatchNormReluTrain` / `...Grad`
 * (lib/nn/batch_norm_relu_kernels.ts): the forward applies the ReLU as it writes `y` and
 * records where it was on in oneDNN's workspace (returned as the `mask` output, a `bool` tensor
 * of the workspace's bytes); the backward zeroes `dy` from that workspace inside the batch-norm
 * backward. Both decline on the same shape test ({@link nativeShape}), so a mask the backward
 * reads as a workspace always came from the native forward.
 *
 * @module
 */

import type * as tf from "../../../tfjs.ts";
import { ARG, DESC_SIZE, NORM_FLAGS, PROP, QUERY, TAG } from "../dnnl_ffi.ts";
import { type DnnlRuntime, Executable, type Primitive } from "../dnnl_runtime.ts";
import type { NativeBackend } from "../native_backend.ts";
import { cacheKey, input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from "../../../nn/batch_norm_kernels.ts";
import {
  BATCH_NORM_RELU_TRAIN,
  BATCH_NORM_RELU_TRAIN_GRAD,
} from "../../../nn/batch_norm_relu_kernels.ts";
import { registerBatchNormReluSupport } from "../../../nn/batch_norm_relu_op.ts";
import { NATIVE_BACKEND } from "../backend_name.ts";

/** oneDNN dims (N, C, H, W) of a channels-last tensor. */
function dataDims(shape: readonly number[]): number[] {
  const c = shape[shape.length - 1];
  if (shape.length === 4) return [shape[0], c, shape[1], shape[2]];
  return [sizeOf(shape) / c, c, 1, 1];
}

/** Separate scale and shift tensors. */
const FLAGS = NORM_FLAGS.useScale | NORM_FLAGS.useShift;
/** The same with the ReLU fused. */
const RELU_FLAGS = FLAGS | NORM_FLAGS.fuseNormRelu;

/** Forward `run` arguments in buffer order: x, gamma, beta -> y, mean, variance. */
const FORWARD_ARGS = [ARG.src, ARG.scale, ARG.shift, ARG.dst, ARG.mean, ARG.variance];

/**
 * Backward `run` arguments in buffer order: x, dy, mean, variance, gamma, beta -> dx, dgamma,
 * dbeta. (oneDNN 2.6 requires the shift though the gradients never read it.)
 */
const BACKWARD_ARGS = [
  ARG.src,
  ARG.diffDst,
  ARG.mean,
  ARG.variance,
  ARG.scale,
  ARG.shift,
  ARG.diffSrc,
  ARG.diffScale,
  ARG.diffShift,
];

/** The arguments laid out like the data; the others are per-channel vectors [C]. */
const DATA_ARGS: ReadonlySet<number> = new Set([ARG.src, ARG.dst, ARG.diffDst, ARG.diffSrc]);

/**
 * oneDNN batch normalization (scale and shift) over channels-last data of oneDNN dims `dims`
 * (N, C, H, W; tag `acdb`) with per-channel statistics [C]: the forward-training primitive, or,
 * given the `forward` primitive it is hinted by, the backward one (data, scale and shift
 * gradients). The executable takes buffers in {@link FORWARD_ARGS} / {@link BACKWARD_ARGS}
 * order.
 */
function normalization(
  rt: DnnlRuntime,
  dims: number[],
  eps: number,
  relu: boolean,
  forward?: Primitive,
): { prim: Primitive; exec: Executable; workspaceBytes: number } {
  const data = rt.mdTag(dims, TAG.acdb);
  const stat = rt.md([dims[1]]);
  const desc = new Uint8Array(DESC_SIZE.batchNormalization);
  const fn = rt.fn;
  const flags = relu ? RELU_FLAGS : FLAGS;
  const status = forward === undefined
    ? fn.dnnl_batch_normalization_forward_desc_init(desc, PROP.forwardTraining, data, eps, flags)
    : fn.dnnl_batch_normalization_backward_desc_init(desc, PROP.backward, data, data, eps, flags);
  const pass = forward === undefined ? "forward" : "backward";
  rt.check(status, `dnnl_batch_normalization_${pass}_desc_init`);
  const prim = rt.primitive(desc, `batch normalization ${pass}`, forward?.pd ?? null);
  const dataPtr = Deno.UnsafePointer.of(data);
  const statPtr = Deno.UnsafePointer.of(stat);
  const args = (forward === undefined ? FORWARD_ARGS : BACKWARD_ARGS)
    .map((arg) => ({ arg, md: DATA_ARGS.has(arg) ? dataPtr : statPtr }));
  let workspaceBytes = 0;
  if (relu) {
    // The workspace (last buffer) is described by the forward primitive, for both passes.
    const ws = rt.queryMd((forward ?? prim).pd, QUERY.workspaceMd);
    workspaceBytes = ws === null ? 0 : rt.mdBytes(ws);
    if (workspaceBytes === 0) {
      throw new Error("oneDNN batch normalization with fused ReLU reported no workspace");
    }
    args.push({ arg: ARG.workspace, md: ws });
  }
  return { prim, exec: new Executable(rt, prim, args), workspaceBytes };
}

interface Plan {
  forward: Primitive;
  forwardExec: Executable;
  backward?: { prim: Primitive; exec: Executable };
  /** Bytes of the ReLU workspace (fused plans; 0 otherwise). */
  workspaceBytes: number;
}

/** oneDNN dims of a tensor of `shape` when the native kernels take it, else undefined. */
function nativeShape(shape: readonly number[]): number[] | undefined {
  if (shape.length < 2 || sizeOf(shape) < MIN_NATIVE_ELEMENTS) return undefined;
  return dataDims(shape);
}

/** A kernel's three outputs: `data` of the input's `shape`, then per-channel `a`, `b` [C]. */
function outputs(
  backend: NativeBackend,
  data: Float32Array,
  shape: readonly number[],
  a: Float32Array,
  b: Float32Array,
): tf.TensorInfo[] {
  return [
    backend.output(data, [...shape]),
    backend.output(a, [a.length]),
    backend.output(b, [b.length]),
  ];
}

function allZero(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return false;
  return true;
}

/** The batch-norm kernels (see module docs). */
export function batchNormKernels(rt: DnnlRuntime): NativeKernelSpec[] {
  const plans = new Map<string, Plan>();
  const plan = (dims: number[], eps: number, relu = false): Plan => {
    const key = cacheKey(dims, eps, relu);
    let p = plans.get(key);
    if (p === undefined) {
      const { prim, exec, workspaceBytes } = normalization(rt, dims, eps, relu);
      plans.set(key, p = { forward: prim, forwardExec: exec, workspaceBytes });
    }
    return p;
  };
  const backward = (dims: number[], eps: number, relu = false) => {
    const p = plan(dims, eps, relu);
    p.backward ??= normalization(rt, dims, eps, relu, p.forward);
    return p.backward;
  };
  const backwardExec = (dims: number[], eps: number, relu = false): Executable =>
    backward(dims, eps, relu).exec;

  // oneDNN picks its implementation per shape and flags: for some channel counts (e.g. 4, 12)
  // the fused ReLU moves batch norm to another implementation, which rounds differently. The
  // op fuses only where both passes keep the implementation of the unfused primitives, so that
  // fusing never changes a result.
  const sameImplementation = new Map<string, boolean>();
  registerBatchNormReluSupport(NATIVE_BACKEND, (shape, eps) => {
    const dims = nativeShape(shape);
    if (dims === undefined) return true; // both ways run the cpu loops
    const key = cacheKey(dims, eps);
    let same = sameImplementation.get(key);
    if (same === undefined) {
      const name = (relu: boolean) =>
        `${rt.implName(plan(dims, eps, relu).forward.pd)} ${
          rt.implName(backward(dims, eps, relu).prim.pd)
        }`;
      sameImplementation.set(key, same = name(false) === name(true));
    }
    return same;
  });

  /**
   * The forward kernel: `[y, mean, variance]`, and with `relu` (fused) the ReLU workspace as a
   * fourth output, the `bool` mask tensor.
   */
  const forwardKernel = (name: string, relu: boolean): NativeKernelSpec => ({
    name,
    run: ({ inputs, attrs, backend }) => {
      const [x, gamma, beta] = ["x", "gamma", "beta"].map((k) => input(inputs, k, name));
      const dims = nativeShape(x.shape);
      if (dims === undefined || [x, gamma, beta].some((t) => t.dtype !== "float32")) return null;
      const c = dims[1];
      const p = plan(dims, attrs.eps as number, relu);
      const y = backend.allocF32(sizeOf(x.shape));
      const mean = new Float32Array(c);
      const variance = new Float32Array(c);
      const mask = relu ? [new Uint8Array(p.workspaceBytes)] : [];
      const xs = [x, gamma, beta].map((t) => backend.values(t));
      p.forwardExec.run([...xs, y, mean, variance, ...mask]);
      return [
        ...outputs(backend, y, x.shape, mean, variance),
        ...mask.map((m) => backend.makeTensorInfo([m.length], "bool", m)),
      ];
    },
  });

  // oneDNN 2.6 requires the shift as a backward argument though the gradients never read it.
  const placeholders = new Map<number, Float32Array>();
  const shiftPlaceholder = (c: number): Float32Array => {
    let p = placeholders.get(c);
    if (p === undefined) placeholders.set(c, p = new Float32Array(c));
    return p;
  };

  return [
    forwardKernel(BATCH_NORM_TRAIN, false),
    {
      name: BATCH_NORM_TRAIN_GRAD,
      run: ({ inputs, attrs, backend }) => {
        const name = BATCH_NORM_TRAIN_GRAD;
        const names = ["x", "dy", "mean", "variance", "gamma", "dmean", "dvariance"];
        const infos = names.map((k) => input(inputs, k, name));
        const [x] = infos;
        const n = sizeOf(x.shape);
        const dims = nativeShape(x.shape);
        if (dims === undefined || infos.some((t) => t.dtype !== "float32")) return null;
        const [xs, dy, mean, variance, gamma, dmean, dvariance] = infos.map((t) =>
          backend.values(t)
        );
        if (!allZero(dmean) || !allZero(dvariance)) return null;
        const c = dims[1];
        const dx = backend.allocF32(n);
        const dgamma = new Float32Array(c);
        const dbeta = new Float32Array(c);
        backwardExec(dims, attrs.eps as number).run([
          xs,
          dy,
          mean,
          variance,
          gamma,
          shiftPlaceholder(c),
          dx,
          dgamma,
          dbeta,
        ]);
        return outputs(backend, dx, x.shape, dgamma, dbeta);
      },
    },
    forwardKernel(BATCH_NORM_RELU_TRAIN, true),
    {
      name: BATCH_NORM_RELU_TRAIN_GRAD,
      run: ({ inputs, attrs, backend }) => {
        const name = BATCH_NORM_RELU_TRAIN_GRAD;
        const names = ["x", "dy", "mean", "variance", "gamma", "beta"];
        const infos = names.map((k) => input(inputs, k, name));
        const [x] = infos;
        const dims = nativeShape(x.shape);
        if (dims === undefined || infos.some((t) => t.dtype !== "float32")) return null;
        const eps = attrs.eps as number;
        const p = plan(dims, eps, true);
        const mask = backend.bytes(input(inputs, "mask", name));
        if (mask.length !== p.workspaceBytes) {
          throw new Error(
            `${name}: mask has ${mask.length} bytes, oneDNN's workspace for x [${x.shape}] ` +
              `${p.workspaceBytes}; run the forward and backward kernels on one backend`,
          );
        }
        const c = dims[1];
        const dx = backend.allocF32(sizeOf(x.shape));
        const dgamma = new Float32Array(c);
        const dbeta = new Float32Array(c);
        const [xs, dy, mean, variance, gamma, beta] = infos.map((t) => backend.values(t));
        backwardExec(dims, eps, true).run([
          xs,
          dy,
          mean,
          variance,
          gamma,
          beta,
          dx,
          dgamma,
          dbeta,
          mask,
        ]);
        return outputs(backend, dx, x.shape, dgamma, dbeta);
      },
    },
  ];
}
