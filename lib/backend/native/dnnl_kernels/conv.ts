/**
 * 2-D convolution and both its gradients on oneDNN: `Conv2D`, `FusedConv2D` (bias and
 * relu/linear activation), `Conv2DBackpropInput` and `Conv2DBackpropFilter`.
 *
 * Activations stay in the tfjs NHWC `Float32Array`s (oneDNN tag `acdb` on dims N,C,H,W; zero
 * copy). The filter (tfjs HWIO = oneDNN `hwio` on dims O,I,H,W) is left to oneDNN's choice of
 * layout (`any`) and reordered per call, which selects the fast AVX-512/AVX2 brgconv/jit
 * kernels; plain `hwio` weights would fall back to a 2-3x slower gemm path. Primitives and the
 * reorder buffers are cached by shape.
 *
 * Declines (cpu kernel runs instead): NCHW data, dilation > 1, non-float32 inputs, prelu/other
 * fused activations, a bias that is not one value per output channel.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import { ALG, ARG, DESC_SIZE, PROP, QUERY, TAG } from "../dnnl_ffi.ts";
import { type DnnlRuntime, Executable, type Primitive, type Ptr } from "../dnnl_runtime.ts";
import type { NativeBackend } from "../native_backend.ts";
import {
  cacheKey,
  input,
  type NativeKernelArgs,
  type NativeKernelSpec,
  sizeOf,
} from "../native_kernel.ts";

/** Geometry of one convolution in oneDNN terms. */
interface Geometry {
  src: number[]; // N, C, H, W
  weights: number[]; // O, I, KH, KW
  dst: number[]; // N, O, OH, OW
  strides: number[];
  padL: number[];
  padR: number[];
}

function geometry(info: tf.backend_util.Conv2DInfo): Geometry {
  return {
    src: [info.batchSize, info.inChannels, info.inHeight, info.inWidth],
    weights: [info.outChannels, info.inChannels, info.filterHeight, info.filterWidth],
    dst: [info.batchSize, info.outChannels, info.outHeight, info.outWidth],
    strides: [info.strideHeight, info.strideWidth],
    padL: [info.padInfo.top, info.padInfo.left],
    padR: [info.padInfo.bottom, info.padInfo.right],
  };
}

function geometryKey(g: Geometry): string {
  return cacheKey(g.src, g.weights, g.dst, g.strides, g.padL, g.padR);
}

/** A layout conversion with its private destination buffer (null when none is needed). */
interface Reorder {
  exec: Executable;
  buffer: Float32Array;
}

function makeReorder(rt: DnnlRuntime, from: Ptr, to: Ptr, bufferMd: Ptr): Reorder | null {
  if (rt.mdEqual(from, to)) return null;
  const prim = rt.reorder(from, to);
  return {
    exec: new Executable(rt, prim, [{ arg: ARG.from, md: from }, { arg: ARG.to, md: to }]),
    buffer: new Float32Array(Math.ceil(rt.mdBytes(bufferMd) / 4)),
  };
}

interface ForwardPlan {
  exec: Executable;
  /** hwio -> the primitive's weights layout. */
  weightsIn: Reorder | null;
  bias: boolean;
  impl: string;
}

interface BackwardDataPlan {
  exec: Executable;
  weightsIn: Reorder | null;
  impl: string;
}

interface BackwardWeightsPlan {
  exec: Executable;
  /** The primitive's diff-weights layout -> hwio. */
  weightsOut: Reorder | null;
  impl: string;
}

/** The convolution primitives of one runtime, cached by geometry. */
class ConvPlans {
  readonly #rt: DnnlRuntime;
  readonly #fwdPd = new Map<string, Primitive>();
  readonly #fwd = new Map<string, ForwardPlan>();
  readonly #bwdData = new Map<string, BackwardDataPlan>();
  readonly #bwdWeights = new Map<string, BackwardWeightsPlan>();

  constructor(rt: DnnlRuntime) {
    this.#rt = rt;
  }

  #descs(g: Geometry) {
    const rt = this.#rt;
    return {
      src: rt.mdTag(g.src, TAG.acdb),
      dst: rt.mdTag(g.dst, TAG.acdb),
      weightsAny: rt.mdTag(g.weights, TAG.any),
      weightsUser: rt.mdTag(g.weights, TAG.hwio),
      strides: rt.dims(g.strides),
      padL: rt.dims(g.padL),
      padR: rt.dims(g.padR),
    };
  }

  #forwardDesc(g: Geometry, bias: boolean, prop: number): Uint8Array {
    const rt = this.#rt;
    const d = this.#descs(g);
    const desc = new Uint8Array(DESC_SIZE.convolution);
    const biasMd = bias ? rt.mdTag([g.dst[1]], TAG.a) : null;
    rt.check(
      rt.fn.dnnl_convolution_forward_desc_init(
        desc,
        prop,
        ALG.convolutionDirect,
        d.src,
        d.weightsAny,
        biasMd === null ? null : Deno.UnsafePointer.of(biasMd),
        d.dst,
        d.strides,
        d.padL,
        d.padR,
      ),
      "dnnl_convolution_forward_desc_init",
    );
    return desc;
  }

  /** Forward-training primitive descriptor, the hint the backward primitives need. */
  #hint(g: Geometry): Ptr {
    const key = geometryKey(g);
    let p = this.#fwdPd.get(key);
    if (p === undefined) {
      p = this.#rt.primitive(this.#forwardDesc(g, false, PROP.forwardTraining), "conv fwd hint");
      this.#fwdPd.set(key, p);
    }
    return p.pd;
  }

  forward(g: Geometry, bias: boolean): ForwardPlan {
    const key = cacheKey(geometryKey(g), bias);
    let plan = this.#fwd.get(key);
    if (plan !== undefined) return plan;
    const rt = this.#rt;
    const d = this.#descs(g);
    const prim = rt.primitive(this.#forwardDesc(g, bias, PROP.forwardTraining), "conv forward");
    const wMd = rt.queryMd(prim.pd, QUERY.weightsMd);
    const user = Deno.UnsafePointer.of(d.weightsUser);
    const args = [
      { arg: ARG.src, md: rt.queryMd(prim.pd, QUERY.srcMd) },
      { arg: ARG.weights, md: wMd },
      { arg: ARG.dst, md: rt.queryMd(prim.pd, QUERY.dstMd) },
    ];
    if (bias) args.push({ arg: ARG.bias, md: Deno.UnsafePointer.of(rt.mdTag([g.dst[1]], TAG.a)) });
    plan = {
      exec: new Executable(rt, prim, args),
      weightsIn: makeReorder(rt, user, wMd, wMd),
      bias,
      impl: rt.implName(prim.pd),
    };
    this.#fwd.set(key, plan);
    return plan;
  }

  backwardData(g: Geometry): BackwardDataPlan {
    const key = geometryKey(g);
    let plan = this.#bwdData.get(key);
    if (plan !== undefined) return plan;
    const rt = this.#rt;
    const d = this.#descs(g);
    const desc = new Uint8Array(DESC_SIZE.convolution);
    rt.check(
      rt.fn.dnnl_convolution_backward_data_desc_init(
        desc,
        ALG.convolutionDirect,
        d.src,
        d.weightsAny,
        d.dst,
        d.strides,
        d.padL,
        d.padR,
      ),
      "dnnl_convolution_backward_data_desc_init",
    );
    const prim = rt.primitive(desc, "conv backward data", this.#hint(g));
    const wMd = rt.queryMd(prim.pd, QUERY.weightsMd);
    plan = {
      exec: new Executable(rt, prim, [
        { arg: ARG.diffDst, md: rt.queryMd(prim.pd, QUERY.diffDstMd) },
        { arg: ARG.weights, md: wMd },
        { arg: ARG.diffSrc, md: rt.queryMd(prim.pd, QUERY.diffSrcMd) },
      ]),
      weightsIn: makeReorder(rt, Deno.UnsafePointer.of(d.weightsUser), wMd, wMd),
      impl: rt.implName(prim.pd),
    };
    this.#bwdData.set(key, plan);
    return plan;
  }

  backwardWeights(g: Geometry): BackwardWeightsPlan {
    const key = geometryKey(g);
    let plan = this.#bwdWeights.get(key);
    if (plan !== undefined) return plan;
    const rt = this.#rt;
    const d = this.#descs(g);
    const desc = new Uint8Array(DESC_SIZE.convolution);
    rt.check(
      rt.fn.dnnl_convolution_backward_weights_desc_init(
        desc,
        ALG.convolutionDirect,
        d.src,
        d.weightsAny,
        null,
        d.dst,
        d.strides,
        d.padL,
        d.padR,
      ),
      "dnnl_convolution_backward_weights_desc_init",
    );
    const prim = rt.primitive(desc, "conv backward weights", this.#hint(g));
    const wMd = rt.queryMd(prim.pd, QUERY.diffWeightsMd);
    plan = {
      exec: new Executable(rt, prim, [
        { arg: ARG.src, md: rt.queryMd(prim.pd, QUERY.srcMd) },
        { arg: ARG.diffDst, md: rt.queryMd(prim.pd, QUERY.diffDstMd) },
        { arg: ARG.diffWeights, md: wMd },
      ]),
      weightsOut: makeReorder(rt, wMd, Deno.UnsafePointer.of(d.weightsUser), wMd),
      impl: rt.implName(prim.pd),
    };
    this.#bwdWeights.set(key, plan);
    return plan;
  }

  /** Implementation names per cached primitive (for the bench report). */
  impls(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, p] of this.#fwd) out[`fwd ${k}`] = p.impl;
    for (const [k, p] of this.#bwdData) out[`bwd_data ${k}`] = p.impl;
    for (const [k, p] of this.#bwdWeights) out[`bwd_weights ${k}`] = p.impl;
    return out;
  }
}

function isNhwc(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === "NHWC" || dataFormat === "channelsLast";
}

function noDilation(dilations: unknown): boolean {
  if (dilations === undefined || dilations === null) return true;
  if (typeof dilations === "number") return dilations === 1;
  return (dilations as number[]).every((d) => d === 1);
}

function allFloat(...infos: tf.TensorInfo[]): boolean {
  return infos.every((i) => i.dtype === "float32");
}

function weightsFor(plan: { weightsIn: Reorder | null }, filter: Float32Array): Float32Array {
  if (plan.weightsIn === null) return filter;
  plan.weightsIn.exec.run([filter, plan.weightsIn.buffer]);
  return plan.weightsIn.buffer;
}

/** Last-resort cache of the implementation names, exposed for the bench. */
let lastPlans: ConvPlans | undefined;

/** Implementation names oneDNN picked for the convolutions run so far. */
export function convImplementations(): Record<string, string> {
  return lastPlans?.impls() ?? {};
}

/** The convolution kernels (see module docs). */
export function convKernels(rt: DnnlRuntime): NativeKernelSpec[] {
  const plans = new ConvPlans(rt);
  lastPlans = plans;

  const forward = (
    backend: NativeBackend,
    x: tf.TensorInfo,
    filter: tf.TensorInfo,
    attrs: tf.NamedAttrMap,
    bias: tf.TensorInfo | undefined,
    relu: boolean,
  ): tf.TensorInfo | null => {
    if (!isNhwc(attrs.dataFormat) || !noDilation(attrs.dilations)) return null;
    if (!allFloat(x, filter) || (bias && bias.dtype !== "float32")) return null;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as [number, number] | number,
      1,
      attrs.pad as "same" | "valid" | number,
      attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
      false,
      "channelsLast",
    );
    if (bias && sizeOf(bias.shape) !== info.outChannels) return null;
    const g = geometry(info);
    const plan = plans.forward(g, bias !== undefined);
    const out = backend.allocF32(sizeOf(info.outShape));
    const w = weightsFor(plan, backend.values(filter));
    const bufs = [backend.values(x), w, out];
    if (bias) bufs.push(backend.values(bias));
    plan.exec.run(bufs);
    if (relu) { for (let i = 0; i < out.length; i++) if (out[i] < 0) out[i] = 0; }
    return backend.output(out, info.outShape);
  };

  return [
    {
      name: tf.Conv2D,
      run: ({ inputs, attrs, backend }: NativeKernelArgs) =>
        forward(
          backend,
          input(inputs, "x", tf.Conv2D),
          input(inputs, "filter", tf.Conv2D),
          attrs,
          undefined,
          false,
        ),
    },
    {
      name: tf.FusedConv2D,
      run: ({ inputs, attrs, backend }: NativeKernelArgs) => {
        const act = attrs.activation ?? "linear";
        if ((act !== "linear" && act !== "relu") || inputs.preluActivationWeights) return null;
        return forward(
          backend,
          input(inputs, "x", tf.FusedConv2D),
          input(inputs, "filter", tf.FusedConv2D),
          attrs,
          inputs.bias ?? undefined,
          act === "relu",
        );
      },
    },
    {
      name: tf.Conv2DBackpropInput,
      run: ({ inputs, attrs, backend }: NativeKernelArgs) => {
        const dy = input(inputs, "dy", tf.Conv2DBackpropInput);
        const filter = input(inputs, "filter", tf.Conv2DBackpropInput);
        if (!isNhwc(attrs.dataFormat) || !allFloat(dy, filter)) return null;
        const info = tf.backend_util.computeConv2DInfo(
          attrs.inputShape as [number, number, number, number],
          filter.shape as [number, number, number, number],
          attrs.strides as [number, number] | number,
          1,
          attrs.pad as "same" | "valid" | number,
          attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
          false,
          "channelsLast",
        );
        const plan = plans.backwardData(geometry(info));
        const dx = backend.allocF32(sizeOf(info.inShape));
        plan.exec.run([backend.values(dy), weightsFor(plan, backend.values(filter)), dx]);
        return backend.output(dx, [...info.inShape]);
      },
    },
    {
      name: tf.Conv2DBackpropFilter,
      run: ({ inputs, attrs, backend }: NativeKernelArgs) => {
        const x = input(inputs, "x", tf.Conv2DBackpropFilter);
        const dy = input(inputs, "dy", tf.Conv2DBackpropFilter);
        if (!isNhwc(attrs.dataFormat) || !allFloat(x, dy)) return null;
        const filterShape = attrs.filterShape as [number, number, number, number];
        const info = tf.backend_util.computeConv2DInfo(
          x.shape as [number, number, number, number],
          filterShape,
          attrs.strides as [number, number] | number,
          1,
          attrs.pad as "same" | "valid" | number,
          attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
          false,
          "channelsLast",
        );
        const plan = plans.backwardWeights(geometry(info));
        const dw = backend.allocF32(sizeOf(filterShape));
        if (plan.weightsOut === null) {
          plan.exec.run([backend.values(x), backend.values(dy), dw]);
        } else {
          plan.exec.run([backend.values(x), backend.values(dy), plan.weightsOut.buffer]);
          plan.weightsOut.exec.run([plan.weightsOut.buffer, dw]);
        }
        return backend.output(dw, [...filterShape]);
      },
    },
  ];
}
