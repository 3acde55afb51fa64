/**
 * 2-D pooling on oneDNN (NHWC, zero copy): `MaxPool`, `AvgPool`, `MaxPoolGrad` (re-runs the
 * forward pass to get oneDNN's argmax workspace, then the backward pass) and `AvgPoolGrad`.
 *
 * Semantics follow the stock cpu kernels: average pooling divides by the number of valid
 * (unpadded) inputs in the forward pass, while tfjs's `AvgPoolGrad` divides by the full window
 * size, so the gradient uses oneDNN's include-padding average.
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, NCHW data.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import { ALG, ARG, DESC_SIZE, PROP, QUERY, TAG } from "../dnnl_ffi.ts";
import { type DnnlRuntime, Executable, type Primitive } from "../dnnl_runtime.ts";
import { cacheKey, input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";

/** Geometry of one pooling in oneDNN terms (src, dst: N, C, H, W; the rest: H, W). */
interface PoolGeometry {
  src: number[];
  dst: number[];
  kernel: number[];
  strides: number[];
  padL: number[];
  padR: number[];
}

function poolInfo(xShape: number[], attrs: tf.NamedAttrMap): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as "same" | "valid" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
  return {
    src: [info.batchSize, info.inChannels, info.inHeight, info.inWidth],
    dst: [info.batchSize, info.outChannels, info.outHeight, info.outWidth],
    kernel: [info.filterHeight, info.filterWidth],
    strides: [info.strideHeight, info.strideWidth],
    padL: [info.padInfo.top, info.padInfo.left],
    padR: [info.padInfo.bottom, info.padInfo.right],
  };
}

/**
 * The memory descriptors and window of `g` in the order both pooling_v2 desc inits take them
 * after the kind: src, dst (NHWC, tag `acdb`), strides, kernel, dilation (none), padding_l,
 * padding_r.
 */
function poolOperands(rt: DnnlRuntime, g: PoolGeometry) {
  return [
    rt.mdTag(g.src, TAG.acdb),
    rt.mdTag(g.dst, TAG.acdb),
    rt.dims(g.strides),
    rt.dims(g.kernel),
    rt.dims([0, 0]),
    rt.dims(g.padL),
    rt.dims(g.padR),
  ] as const;
}

/** tfjs NHWC shape of oneDNN dims N,C,H,W. */
function nhwc(d: number[]): number[] {
  return [d[0], d[2], d[3], d[1]];
}

/** The pooling kernels (see module docs). */
export function poolKernels(rt: DnnlRuntime): NativeKernelSpec[] {
  const fwd = new Map<string, { prim: Primitive; exec: Executable; ws: Uint8Array | null }>();
  const bwd = new Map<string, Executable>();

  const forward = (g: PoolGeometry, alg: number, training: boolean) => {
    const key = cacheKey(g.src, g.dst, g.kernel, g.strides, g.padL, g.padR, alg, training);
    let plan = fwd.get(key);
    if (plan === undefined) {
      const prop = training ? PROP.forwardTraining : PROP.forwardInference;
      const desc = new Uint8Array(DESC_SIZE.poolingV2);
      rt.check(
        rt.fn.dnnl_pooling_v2_forward_desc_init(desc, prop, alg, ...poolOperands(rt, g)),
        "dnnl_pooling_v2_forward_desc_init",
      );
      const prim = rt.primitive(desc, "pooling forward");
      const args = rt.queriedArgs(prim.pd, [[ARG.src, QUERY.srcMd], [ARG.dst, QUERY.dstMd]]);
      let ws: Uint8Array | null = null;
      if (training) {
        const wsMd = rt.queryMd(prim.pd, QUERY.workspaceMd);
        if (wsMd !== null && rt.mdBytes(wsMd) > 0) {
          ws = new Uint8Array(rt.mdBytes(wsMd));
          args.push({ arg: ARG.workspace, md: wsMd });
        }
      }
      plan = { prim, exec: new Executable(rt, prim, args), ws };
      fwd.set(key, plan);
    }
    return plan;
  };

  const backward = (g: PoolGeometry, alg: number): Executable => {
    const key = cacheKey(g.src, g.dst, g.kernel, g.strides, g.padL, g.padR, alg);
    let exec = bwd.get(key);
    if (exec === undefined) {
      const hint = forward(g, alg, true);
      const desc = new Uint8Array(DESC_SIZE.poolingV2);
      rt.check(
        rt.fn.dnnl_pooling_v2_backward_desc_init(desc, alg, ...poolOperands(rt, g)),
        "dnnl_pooling_v2_backward_desc_init",
      );
      const prim = rt.primitive(desc, "pooling backward", hint.prim.pd);
      const args = rt.queriedArgs(prim.pd, [
        [ARG.diffDst, QUERY.diffDstMd],
        [ARG.diffSrc, QUERY.diffSrcMd],
      ]);
      if (hint.ws !== null) {
        args.push({ arg: ARG.workspace, md: rt.queryMd(hint.prim.pd, QUERY.workspaceMd) });
      }
      exec = new Executable(rt, prim, args);
      bwd.set(key, exec);
    }
    return exec;
  };

  const nhwcOk = (attrs: tf.NamedAttrMap) =>
    attrs.dataFormat === undefined || attrs.dataFormat === "NHWC";

  const forwardKernel = (name: string, alg: number): NativeKernelSpec => ({
    name,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", name);
      if (x.dtype !== "float32" || !nhwcOk(attrs)) return null;
      const g = poolInfo(x.shape, attrs);
      const out = backend.allocF32(sizeOf(g.dst));
      forward(g, alg, false).exec.run([backend.values(x), out]);
      return backend.output(out, nhwc(g.dst));
    },
  });

  /**
   * The gradient kernel of pooling `alg`: dx [N,H,W,C] from dy and the forward input x. Max
   * pooling first re-runs the forward pass for oneDNN's argmax workspace.
   */
  const gradKernel = (name: string, alg: number): NativeKernelSpec => ({
    name,
    run: ({ inputs, attrs, backend }) => {
      const dy = input(inputs, "dy", name);
      const x = input(inputs, "input", name);
      if (dy.dtype !== "float32" || x.dtype !== "float32") return null;
      const g = poolInfo(x.shape, attrs);
      let ws: Uint8Array | null = null;
      if (alg === ALG.poolingMax) {
        const f = forward(g, alg, true);
        const scratch = backend.allocF32(sizeOf(g.dst));
        f.exec.run(
          f.ws === null ? [backend.values(x), scratch] : [backend.values(x), scratch, f.ws],
        );
        ws = f.ws;
      }
      const dx = backend.allocF32(sizeOf(g.src));
      backward(g, alg).run(ws === null ? [backend.values(dy), dx] : [backend.values(dy), dx, ws]);
      return backend.output(dx, [...x.shape]);
    },
  });

  return [
    forwardKernel(tf.MaxPool, ALG.poolingMax),
    forwardKernel(tf.AvgPool, ALG.poolingAvgExcludePadding),
    gradKernel(tf.MaxPoolGrad, ALG.poolingMax),
    gradKernel(tf.AvgPoolGrad, ALG.poolingAvgIncludePadding),
  ];
}
