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
import { nhwcConv2DInfo } from "../../conv2d_info.ts";
import { ALG, ARG, DESC_SIZE, PROP, QUERY, TAG } from "../dnnl_ffi.ts";
import {
  type DnnlRuntime,
  Executable,
  type Primitive,
  type Ptr,
  type QueriedArg,
} from "../dnnl_runtime.ts";
import type { NativeBackend } from "../native_backend.ts";
import { cacheKey, input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";

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

/** True for a 1x1, undilated, unpadded convolution with a stride above 1. */
function isStrided1x1(info: tf.backend_util.Conv2DInfo): boolean {
  const p = info.padInfo;
  return info.filterHeight === 1 && info.filterWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 &&
    (info.strideHeight > 1 || info.strideWidth > 1) &&
    p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0;
}

/**
 * The pixels a strided 1x1 conv reads, NHWC `[N, outH, outW, C]` from `[N, H, W, C]`: one oneDNN
 * reorder from a strided view of the input (multi-threaded; a JS loop with one `subarray` + `set`
 * per pixel cost 3x the weight gradient it feeds at ResNet-10 width 16). oneDNN refuses views
 * whose rows overrun the next image (`outH * stride > H`, odd heights): those take a JS loop.
 */
function subsample(
  rt: DnnlRuntime,
  cache: Map<string, Executable>,
  backend: NativeBackend,
  x: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): Float32Array {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } =
    info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const out = backend.allocF32(n * oh * ow * c);
  if (oh * sh > h) {
    let o = 0;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < oh; i++) {
        let from = (b * h + i * sh) * w * c;
        for (let j = 0; j < ow; j++, from += sw * c) {
          for (let k = 0; k < c; k++) out[o++] = x[from + k];
        }
      }
    }
    return out;
  }
  const dims = [n, c, oh, ow];
  const key = cacheKey(dims, [h, w, sh, sw]);
  let exec = cache.get(key);
  if (exec === undefined) {
    const from = Deno.UnsafePointer.of(rt.md(dims, [h * w * c, 1, sh * w * c, sw * c]));
    const to = Deno.UnsafePointer.of(rt.mdTag(dims, TAG.acdb));
    exec = new Executable(rt, rt.reorder(from, to), [
      { arg: ARG.from, md: from },
      { arg: ARG.to, md: to },
    ]);
    cache.set(key, exec);
  }
  exec.run([x, out]);
  return out;
}

/** `g` on its already-subsampled input: source = output size, stride 1. */
function unitStride(g: Geometry): Geometry {
  return { ...g, src: [g.src[0], g.src[1], g.dst[2], g.dst[3]], strides: [1, 1] };
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

/** The two backward passes: "data" (dy, weights -> dx) and "weights" (x, dy -> dw). */
type BackwardPass = "data" | "weights";

interface BackwardPlan {
  /** Runs on buffers dy, weights, dx ("data") or x, dy, dw ("weights"). */
  exec: Executable;
  /** "data": hwio -> the primitive's weights layout; "weights": its diff-weights layout -> hwio. */
  weights: Reorder | null;
  impl: string;
}

// Execution arguments as `[DNNL_ARG_*, QUERY of the layout the primitive chose]`.
const X: QueriedArg = [ARG.src, QUERY.srcMd];
const W: QueriedArg = [ARG.weights, QUERY.weightsMd];
const Y: QueriedArg = [ARG.dst, QUERY.dstMd];
const DX: QueriedArg = [ARG.diffSrc, QUERY.diffSrcMd];
const DW: QueriedArg = [ARG.diffWeights, QUERY.diffWeightsMd];
const DY: QueriedArg = [ARG.diffDst, QUERY.diffDstMd];

/**
 * `run` arguments in buffer order: x, w -> y (forward; a fused bias follows), dy, w -> dx
 * (backward data), x, dy -> dw (backward weights).
 */
const RUN_ARGS = { forward: [X, W, Y], data: [DY, W, DX], weights: [X, DY, DW] } as const;

/** Memory descriptors of one geometry and its window, as the convolution desc inits take them. */
interface ConvDescs {
  src: Uint8Array;
  dst: Uint8Array;
  /** The weights in the layout oneDNN picks (`any`). */
  weightsAny: Uint8Array;
  /** The weights as tfjs stores them (`hwio`). */
  weightsUser: Uint8Array;
  /** strides, padding_l, padding_r. */
  window: readonly [Uint8Array, Uint8Array, Uint8Array];
}

/** The convolution primitives of one runtime, cached by geometry. */
class ConvPlans {
  readonly #rt: DnnlRuntime;
  readonly #fwdPd = new Map<string, Primitive>();
  readonly #fwd = new Map<string, ForwardPlan>();
  readonly #bwd: Record<BackwardPass, Map<string, BackwardPlan>> = {
    data: new Map(),
    weights: new Map(),
  };

  constructor(rt: DnnlRuntime) {
    this.#rt = rt;
  }

  #descs(g: Geometry): ConvDescs {
    const rt = this.#rt;
    return {
      src: rt.mdTag(g.src, TAG.acdb),
      dst: rt.mdTag(g.dst, TAG.acdb),
      weightsAny: rt.mdTag(g.weights, TAG.any),
      weightsUser: rt.mdTag(g.weights, TAG.hwio),
      window: [rt.dims(g.strides), rt.dims(g.padL), rt.dims(g.padR)],
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
        ...d.window,
      ),
      "dnnl_convolution_forward_desc_init",
    );
    return desc;
  }

  /** The initialised op descriptor of the backward `pass` over the descriptors `d`. */
  #backwardDesc(d: ConvDescs, pass: BackwardPass): Uint8Array {
    const fn = this.#rt.fn;
    const { src, weightsAny: w, dst, window } = d;
    const desc = new Uint8Array(DESC_SIZE.convolution);
    const alg = ALG.convolutionDirect;
    this.#rt.check(
      pass === "data"
        ? fn.dnnl_convolution_backward_data_desc_init(desc, alg, src, w, dst, ...window)
        : fn.dnnl_convolution_backward_weights_desc_init(desc, alg, src, w, null, dst, ...window),
      `dnnl_convolution_backward_${pass}_desc_init`,
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
    const args = rt.queriedArgs(prim.pd, RUN_ARGS.forward);
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

  /** The backward primitive `pass` of `g`, hinted by its forward-training primitive. */
  backward(g: Geometry, pass: BackwardPass): BackwardPlan {
    const key = geometryKey(g);
    let plan = this.#bwd[pass].get(key);
    if (plan !== undefined) return plan;
    const rt = this.#rt;
    const d = this.#descs(g);
    const prim = rt.primitive(this.#backwardDesc(d, pass), `conv backward ${pass}`, this.#hint(g));
    const wMd = rt.queryMd(prim.pd, pass === "data" ? QUERY.weightsMd : QUERY.diffWeightsMd);
    const user = Deno.UnsafePointer.of(d.weightsUser);
    plan = {
      exec: new Executable(rt, prim, rt.queriedArgs(prim.pd, RUN_ARGS[pass])),
      weights: pass === "data" ? makeReorder(rt, user, wMd, wMd) : makeReorder(rt, wMd, user, wMd),
      impl: rt.implName(prim.pd),
    };
    this.#bwd[pass].set(key, plan);
    return plan;
  }

  /** Implementation names per cached primitive (for the bench report). */
  impls(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, p] of this.#fwd) out[`fwd ${k}`] = p.impl;
    for (const [k, p] of this.#bwd.data) out[`bwd_data ${k}`] = p.impl;
    for (const [k, p] of this.#bwd.weights) out[`bwd_weights ${k}`] = p.impl;
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

/** `filter` (hwio) in the layout of the primitive `weightsIn` reorders to. */
function weightsFor(weightsIn: Reorder | null, filter: Float32Array): Float32Array {
  if (weightsIn === null) return filter;
  weightsIn.exec.run([filter, weightsIn.buffer]);
  return weightsIn.buffer;
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
  const subsamplers = new Map<string, Executable>();

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
    const info = nhwcConv2DInfo(x.shape, filter.shape, attrs);
    if (bias && sizeOf(bias.shape) !== info.outChannels) return null;
    const g = geometry(info);
    const plan = plans.forward(g, bias !== undefined);
    const out = backend.allocF32(sizeOf(info.outShape));
    const w = weightsFor(plan.weightsIn, backend.values(filter));
    const bufs = [backend.values(x), w, out];
    if (bias) bufs.push(backend.values(bias));
    plan.exec.run(bufs);
    if (relu) { for (let i = 0; i < out.length; i++) if (out[i] < 0) out[i] = 0; }
    return backend.output(out, info.outShape);
  };

  return [
    {
      name: tf.Conv2D,
      run: ({ inputs, attrs, backend }) =>
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
      run: ({ inputs, attrs, backend }) => {
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
      run: ({ inputs, attrs, backend }) => {
        const dy = input(inputs, "dy", tf.Conv2DBackpropInput);
        const filter = input(inputs, "filter", tf.Conv2DBackpropInput);
        if (!isNhwc(attrs.dataFormat) || !allFloat(dy, filter)) return null;
        const info = nhwcConv2DInfo(attrs.inputShape as number[], filter.shape, attrs);
        const plan = plans.backward(geometry(info), "data");
        const dx = backend.allocF32(sizeOf(info.inShape));
        plan.exec.run([backend.values(dy), weightsFor(plan.weights, backend.values(filter)), dx]);
        return backend.output(dx, [...info.inShape]);
      },
    },
    {
      name: tf.Conv2DBackpropFilter,
      run: ({ inputs, attrs, backend }) => {
        const x = input(inputs, "x", tf.Conv2DBackpropFilter);
        const dy = input(inputs, "dy", tf.Conv2DBackpropFilter);
        if (!isNhwc(attrs.dataFormat) || !allFloat(x, dy)) return null;
        const filterShape = attrs.filterShape as [number, number, number, number];
        const info = nhwcConv2DInfo(x.shape, filterShape, attrs);
        // oneDNN 2.6's 1x1 strided weight gradient writes out of bounds for channel counts that
        // are not multiples of 8 (wrong values, heap corruption; lib/backend/native/conv_test.ts):
        // a 1x1 conv of stride s equals a stride-1 conv of the input sampled every s pixels.
        const sampled = isStrided1x1(info)
          ? subsample(rt, subsamplers, backend, backend.values(x), info)
          : null;
        const g = sampled ? unitStride(geometry(info)) : geometry(info);
        const src = sampled ?? backend.values(x);
        const plan = plans.backward(g, "weights");
        const dw = backend.allocF32(sizeOf(filterShape));
        if (plan.weights === null) {
          plan.exec.run([src, backend.values(dy), dw]);
        } else {
          plan.exec.run([src, backend.values(dy), plan.weights.buffer]);
          plan.weights.exec.run([plan.weights.buffer, dw]);
        }
        if (sampled) backend.releaseF32(sampled);
        return backend.output(dw, [...filterShape]);
      },
    },
  ];
}
