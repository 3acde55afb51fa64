/**
 * Training kernels for the tfjs `wasm` backend, built from its own fast forward kernels.
 *
 * tfjs-backend-wasm 4.22 ships no `Conv2DBackpropFilter` nor depthwise backprop kernels
 * (so a ConvNet cannot be trained on it as shipped), and its `Conv2DBackpropInput` is far
 * slower than its XNNPACK forward `Conv2D`. Every gradient of a convolution is itself a
 * convolution, so each kernel here rewrites its gradient as a forward (depthwise)
 * convolution plus cheap transposes / pads, and runs that on the wasm backend:
 *
 * - `Conv2DBackpropInput`: dx = conv(zero-dilated dy, spatially flipped filter with in/out
 *   channels swapped), stride 1, with padding `k-1-pad`.
 * - `Conv2DBackpropFilter`: dW = conv(x^T, dy^T) where x^T = x with batch and channel swapped
 *   ([Cin,H,W,N]) and dy^T = [Ho,Wo,N,Cout] used as a filter dilated by the forward stride;
 *   the output [Cin,kh,kw,Cout] is transposed back to [kh,kw,Cin,Cout].
 * - `DepthwiseConv2dNativeBackpropInput` / `...BackpropFilter`: the same two rewrites with a
 *   depthwise convolution (for the filter, batch is folded into channels and summed after).
 *
 * Layout: NHWC only (the wasm backend's only layout); dilation 1 only (tfjs computes no
 * conv gradients for dilation > 1 anyway).
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { type Conv2DWindowAttrs, nhwcConv2DInfo } from "./conv2d_info.ts";
import { KernelScope } from "./kernel_scope.ts";
import { registerWasmReduceKernels } from "./wasm_reduce_kernels.ts";

const BACKEND = "wasm";

/**
 * Names of the kernels `registerWasmTrainingKernels` installs for the wasm backend: the
 * conv gradients defined here, plus the faster `Sum` / `Mean` of `wasm_reduce_kernels.ts`.
 */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.Sum,
  tf.Mean,
];

/** What tfjs hands a kernel function. */
interface KernelCall {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/**
 * A kernel function that runs `body` on the call's inputs and attributes (typed as the
 * kernel's `Attrs`) in a fresh wasm {@link KernelScope}: the tensor `body` returns (made by the
 * scope) is the kernel's output, every other intermediate is freed.
 */
function scopedKernel<Attrs>(
  body: (scope: KernelScope, inputs: tf.NamedTensorInfoMap, attrs: Attrs) => tf.TensorInfo,
): (call: KernelCall) => tf.TensorInfo {
  return (call) => {
    const scope = new KernelScope(call.backend, BACKEND);
    try {
      return scope.keep(body(scope, call.inputs, call.attrs as unknown as Attrs));
    } finally {
      scope.dispose();
    }
  };
}

/** The input `name` of a kernel call; throws naming the kernel when it is missing. */
function input(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): tf.TensorInfo {
  const info = inputs[name];
  if (info === undefined) {
    throw new Error(
      `${kernel} (wasm training kernel): missing input '${name}'; pass it in inputs.`,
    );
  }
  return info;
}

/** Pads before/after along height and width; negative values mean "crop". */
interface Pads2D {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

function checkNhwc(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== "NHWC") {
    throw new Error(
      `${kernel} (wasm training kernel): dataFormat '${dataFormat}' is not supported; ` +
        `use NHWC tensors (the wasm backend is NHWC-only).`,
    );
  }
}

/**
 * Geometry of a depthwise gradient call: x [N,H,W,C], filter [kh,kw,C,M]. Throws naming
 * `kernel` unless the dilation is 1.
 */
function depthwiseInfo(
  kernel: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: Conv2DWindowAttrs & { dilations?: [number, number] | number },
): tf.backend_util.Conv2DInfo {
  const info = nhwcConv2DInfo(xShape, filterShape, attrs, attrs.dilations ?? 1, true);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error(
      `${kernel} (wasm training kernel): dilation ${info.dilationHeight}x${info.dilationWidth} ` +
        `is not supported; gradients need dilation 1 (use strides instead of dilations).`,
    );
  }
  return info;
}

/**
 * Inserts (s-1) zeros after every row/column of x [N,H,W,C] -> [N,H*sh,W*sw,C].
 * (The trailing zeros are accounted for by the caller's padding.)
 */
function zeroDilate(scope: KernelScope, x: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const x6 = scope.reshape(x, [n, h, 1, w, 1, c]);
  const padded = scope.run(tf.PadV2, { x: x6 }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  });
  return scope.reshape(padded, [n, h * sh, w * sw, c]);
}

/**
 * Applies the negative parts of `pads` to x [N,H,W,C] as a crop (Slice) and returns the
 * cropped tensor with the remaining non-negative pads as an explicit-padding attribute.
 */
function cropNegativePads(
  scope: KernelScope,
  x: tf.TensorInfo,
  pads: Pads2D,
): { x: tf.TensorInfo; pad: tf.backend_util.ExplicitPadding } {
  const cropTop = Math.max(0, -pads.top);
  const cropBottom = Math.max(0, -pads.bottom);
  const cropLeft = Math.max(0, -pads.left);
  const cropRight = Math.max(0, -pads.right);
  let out = x;
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    const [n, h, w, c] = x.shape;
    out = scope.run(tf.Slice, { x }, {
      begin: [0, cropTop, cropLeft, 0],
      size: [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c],
    });
  }
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, pads.top), Math.max(0, pads.bottom)],
    [Math.max(0, pads.left), Math.max(0, pads.right)],
    [0, 0],
  ];
  return { x: out, pad };
}

/**
 * Pads for the "filter gradient as convolution" rewrite: input [*,H,W,*] convolved with a
 * (Ho x Wo) filter dilated by the stride must produce a (kh x kw) output.
 */
function filterGradPads(info: tf.backend_util.Conv2DInfo): Pads2D {
  return {
    top: info.padInfo.top,
    bottom: info.filterHeight + (info.outHeight - 1) * info.strideHeight - info.inHeight -
      info.padInfo.top,
    left: info.padInfo.left,
    right: info.filterWidth + (info.outWidth - 1) * info.strideWidth - info.inWidth -
      info.padInfo.left,
  };
}

/**
 * Pads for the "input gradient as convolution" rewrite: the zero-dilated dy
 * [*, Ho*sh, Wo*sw, *] convolved (stride 1) with the flipped filter must produce [*,H,W,*].
 */
function inputGradPads(info: tf.backend_util.Conv2DInfo): Pads2D {
  return {
    top: info.filterHeight - 1 - info.padInfo.top,
    bottom: info.inHeight + info.padInfo.top - info.outHeight * info.strideHeight,
    left: info.filterWidth - 1 - info.padInfo.left,
    right: info.inWidth + info.padInfo.left - info.outWidth * info.strideWidth,
  };
}

/**
 * The operands shared by both input-gradient rewrites: dy [N,Ho,Wo,C'] zero-dilated by the
 * stride and cropped where the pads are negative (`x`, with the remaining `pad`), so that a
 * stride-1 convolution with `flipped` (the filter [kh,kw,*,*] reversed along kh and kw) yields
 * dx [N,H,W,*].
 */
function inputGradOperands(
  scope: KernelScope,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): { x: tf.TensorInfo; pad: tf.backend_util.ExplicitPadding; flipped: tf.TensorInfo } {
  const dilated = zeroDilate(scope, dy, info.strideHeight, info.strideWidth);
  const { x, pad } = cropNegativePads(scope, dilated, inputGradPads(info));
  return { x, pad, flipped: scope.run(tf.Reverse, { x: filter }, { dims: [0, 1] }) };
}

/** Conv2DBackpropInput: inputs dy [N,Ho,Wo,Cout], filter [kh,kw,Cin,Cout] -> dx [N,H,W,Cin]. */
const conv2dBackpropInput = scopedKernel<tf.Conv2DBackpropInputAttrs>((scope, inputs, a) => {
  const dy = input(inputs, "dy", tf.Conv2DBackpropInput);
  const filter = input(inputs, "filter", tf.Conv2DBackpropInput);
  checkNhwc(tf.Conv2DBackpropInput, a.dataFormat);
  const info = nhwcConv2DInfo(a.inputShape, filter.shape, a);
  const { x, pad, flipped } = inputGradOperands(scope, dy, filter, info);
  const swapped = scope.run(tf.Transpose, { x: flipped }, { perm: [0, 1, 3, 2] });
  return scope.run(tf.Conv2D, { x, filter: swapped }, {
    strides: 1,
    pad,
    dataFormat: "NHWC",
    dilations: 1,
  });
});

/** Conv2DBackpropFilter: inputs x [N,H,W,Cin], dy [N,Ho,Wo,Cout] -> dW [kh,kw,Cin,Cout]. */
const conv2dBackpropFilter = scopedKernel<tf.Conv2DBackpropFilterAttrs>((scope, inputs, a) => {
  const x = input(inputs, "x", tf.Conv2DBackpropFilter);
  const dy = input(inputs, "dy", tf.Conv2DBackpropFilter);
  checkNhwc(tf.Conv2DBackpropFilter, a.dataFormat);
  const info = nhwcConv2DInfo(x.shape, a.filterShape, a);
  // Batch becomes the contracted "channel" axis: x^T [Cin,H,W,N], dy^T [Ho,Wo,N,Cout].
  const xT = scope.run(tf.Transpose, { x }, { perm: [3, 1, 2, 0] });
  const dyT = scope.run(tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const { x: cropped, pad } = cropNegativePads(scope, xT, filterGradPads(info));
  const grad = scope.run(tf.Conv2D, { x: cropped, filter: dyT }, {
    strides: 1,
    pad,
    dataFormat: "NHWC",
    dilations: [info.strideHeight, info.strideWidth],
  });
  return scope.run(tf.Transpose, { x: grad }, { perm: [1, 2, 0, 3] });
});

// The depthwise gradient kernels' attribute types, by shorter names.
type DepthwiseInputAttrs = tf.DepthwiseConv2dNativeBackpropInputAttrs;
type DepthwiseFilterAttrs = tf.DepthwiseConv2dNativeBackpropFilterAttrs;

/**
 * DepthwiseConv2dNativeBackpropInput: inputs dy [N,Ho,Wo,C*M], filter [kh,kw,C,M]
 * -> dx [N,H,W,C].
 */
const depthwiseBackpropInput = scopedKernel<DepthwiseInputAttrs>((scope, inputs, a) => {
  const kernel = tf.DepthwiseConv2dNativeBackpropInput;
  const dy = input(inputs, "dy", kernel);
  const filter = input(inputs, "filter", kernel);
  const info = depthwiseInfo(kernel, a.inputShape, filter.shape, a);
  const { x, pad, flipped } = inputGradOperands(scope, dy, filter, info);
  const [kh, kw, c, m] = filter.shape;
  // One depthwise channel per (c, m) pair; the M partial inputs are summed afterwards.
  const perPair = scope.reshape(flipped, [kh, kw, c * m, 1]);
  const dxPairs = scope.run(tf.DepthwiseConv2dNative, { x, filter: perPair }, {
    strides: 1,
    pad,
    dilations: 1,
  });
  if (m === 1) return dxPairs;
  const [n, h, w] = dxPairs.shape;
  const split = scope.reshape(dxPairs, [n, h, w, c, m]);
  return scope.run(tf.Sum, { x: split }, { axis: [4], keepDims: false });
});

/**
 * DepthwiseConv2dNativeBackpropFilter: inputs x [N,H,W,C], dy [N,Ho,Wo,C*M]
 * -> dW [kh,kw,C,M].
 */
const depthwiseBackpropFilter = scopedKernel<DepthwiseFilterAttrs>((scope, inputs, a) => {
  const kernel = tf.DepthwiseConv2dNativeBackpropFilter;
  const x = input(inputs, "x", kernel);
  const dy = input(inputs, "dy", kernel);
  const info = depthwiseInfo(kernel, x.shape, a.filterShape, a);
  const [kh, kw, c, m] = a.filterShape;
  const [n, h, w] = x.shape;
  const [, ho, wo] = dy.shape;
  // Fold batch into channels: x -> [1,H,W,N*C]; dy -> filter [Ho,Wo,N*C,M].
  const xT = scope.run(tf.Transpose, { x }, { perm: [1, 2, 0, 3] });
  const xFolded = scope.reshape(xT, [1, h, w, n * c]);
  const dyT = scope.run(tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
  const dyFolded = scope.reshape(dyT, [ho, wo, n * c, m]);
  const { x: cropped, pad } = cropNegativePads(scope, xFolded, filterGradPads(info));
  const perSample = scope.run(tf.DepthwiseConv2dNative, { x: cropped, filter: dyFolded }, {
    strides: 1,
    pad,
    dilations: [info.strideHeight, info.strideWidth],
  });
  // [1,kh,kw,N*C*M] -> [kh,kw,N,C*M] -> sum over N -> [kh,kw,C,M]
  const byBatch = scope.reshape(perSample, [kh, kw, n, c * m]);
  const summed = scope.run(tf.Sum, { x: byBatch }, { axis: [2], keepDims: false });
  return scope.reshape(summed, [kh, kw, c, m]);
});

const CONFIGS: readonly tf.KernelConfig[] = [
  { kernelName: tf.Conv2DBackpropInput, backendName: BACKEND, kernelFunc: conv2dBackpropInput },
  {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: BACKEND,
    kernelFunc: conv2dBackpropFilter,
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName: BACKEND,
    kernelFunc: depthwiseBackpropInput,
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName: BACKEND,
    kernelFunc: depthwiseBackpropFilter,
  },
] as tf.KernelConfig[];

/**
 * Registers the training kernels above for backend "wasm", replacing any kernel of the
 * same name (the shipped, slow `Conv2DBackpropInput`), and the leading-axes `Sum` / `Mean`. Idempotent; may be called before
 * or after `tf.setBackend("wasm")`. Requires `@tensorflow/tfjs-backend-wasm` to be imported
 * (its forward kernels are used). Returns the names of the kernels now patched.
 */
export function registerWasmTrainingKernels(): string[] {
  if (tf.getKernel(tf.Conv2D, BACKEND) === undefined) {
    throw new Error(
      "registerWasmTrainingKernels: the wasm backend's kernels are not registered; " +
        'import "@tensorflow/tfjs-backend-wasm" before calling it.',
    );
  }
  for (const config of CONFIGS) {
    const existing = tf.getKernel(config.kernelName, BACKEND);
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  }
  registerWasmReduceKernels();
  return [...WASM_TRAINING_KERNELS];
}
