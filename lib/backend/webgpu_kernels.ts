/**
 * A faster filter gradient for the tfjs `webgpu` backend.
 *
 * tfjs-backend-webgpu 4.22 computes `Conv2DBackpropFilter` with one GPU thread per filter
 * weight, each summing over every (image, output row, output column): a ResNet-10 step at
 * batch 2 x 128 runs 12 such kernels in 379 ms of its 409 ms of kernel time on an NVIDIA H200
 * (`bash bench/gpu_check.sh`; results/bench/gpu-history/1-stock-filter-grad/). With few
 * weights and a reduction of N x Ho x Wo (~260,000) terms per thread, the GPU stays almost idle.
 *
 * Here the gradient is a sum of matrix products, one per filter tap (kh, kw):
 *
 *   dW[kh, kw] = X_(kh,kw)^T dY,   X_(kh,kw) = x padded, shifted by (kh, kw), sampled at the
 *                                  stride: [N*Ho*Wo, Cin];   dY: [N*Ho*Wo, Cout]
 *
 * The reduction over N*Ho*Wo rows is split into groups of whole images
 * ({@link reductionGroups}): one batched matrix product gives a partial dW per group, and a
 * sum over the groups finishes it. (One product over all rows sends tfjs to its split-K
 * program, which accumulates the few outputs with atomic adds: 227 ms for the same 12 kernels
 * against 62 ms grouped: results/bench/gpu-history/2-split-k-filter-grad/ and
 * results/bench/gpu-profile.json.)
 *
 * Shapes: x [N, H, W, Cin], dy [N, Ho, Wo, Cout], output [kh, kw, Cin, Cout]; NHWC and
 * dilation 1 only (tfjs computes no filter gradient for dilation > 1).
 *
 * {@link conv2dFilterGradByTaps} uses only stock kernels (PadV2, StridedSlice, Reshape,
 * BatchMatMul, Sum, Concat), so it runs, and is tested, on any backend.
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { type Conv2DWindowAttrs, nhwcConv2DInfo } from "./conv2d_info.ts";
import { KernelScope } from "./kernel_scope.ts";

/** Kernels {@link registerWebGpuTrainingKernels} replaces on the webgpu backend. */
export const WEBGPU_TRAINING_KERNELS: readonly string[] = [tf.Conv2DBackpropFilter];

/** Attributes of a `Conv2DBackpropFilter` kernel call. */
type FilterGradAttrs = Conv2DWindowAttrs & {
  filterShape: [number, number, number, number];
  dataFormat?: "NHWC" | "NCHW";
};

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const info = inputs[name];
  if (info === undefined) {
    throw new Error(`Conv2DBackpropFilter (webgpu): missing input '${name}'; pass it in inputs.`);
  }
  return info;
}

/**
 * The filter gradient of a channels-last 2-D convolution as one matrix product per filter tap,
 * run with the stock kernels of `scope`'s backend. Returns dW [kh, kw, Cin, Cout], owned by
 * `scope` (call `scope.keep` on it to return it from a kernel).
 *
 * @param x the convolution's input [N, H, W, Cin]
 * @param dy the gradient of its output [N, Ho, Wo, Cout]
 * @param attrs the kernel's attributes (strides, pad, dimRoundingMode, filterShape)
 */
export function conv2dFilterGradByTaps(
  scope: KernelScope,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: FilterGradAttrs,
): tf.TensorInfo {
  if (attrs.dataFormat === "NCHW") {
    throw new Error(
      "Conv2DBackpropFilter (webgpu): only NHWC (channels last) is supported; the kit's " +
        "layers are NHWC, transpose NCHW data first.",
    );
  }
  const [kh, kw, cin, cout] = attrs.filterShape;
  const info = nhwcConv2DInfo(x.shape, attrs.filterShape, attrs);
  const { batchSize: n, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const [h, w] = [x.shape[1], x.shape[2]];
  // Rows and columns any tap reads: [-top, (kh - 1) + sh * (ho - 1) - top]; pad what lies
  // outside the image with zeros (what the convolution read there).
  const bottom = Math.max(0, kh - 1 + sh * (ho - 1) - top - (h - 1));
  const right = Math.max(0, kw - 1 + sw * (wo - 1) - left - (w - 1));
  const padded = top || left || bottom || right
    ? scope.run(tf.PadV2, { x }, {
      paddings: [[0, 0], [top, bottom], [left, right], [0, 0]],
      constantValue: 0,
    })
    : x;
  const groups = reductionGroups(n, ho * wo);
  const rows = (n * ho * wo) / groups;
  const dy3 = scope.reshape(dy, [groups, rows, cout]);
  const taps: tf.TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const shifted = scope.run(tf.StridedSlice, { x: padded }, {
        begin: [0, i, j, 0],
        end: [n, i + sh * (ho - 1) + 1, j + sw * (wo - 1) + 1, cin],
        strides: [1, sh, sw, 1],
        beginMask: 0,
        endMask: 0,
        ellipsisMask: 0,
        newAxisMask: 0,
        shrinkAxisMask: 0,
      });
      const x3 = scope.reshape(shifted, [groups, rows, cin]);
      const perGroup = scope.run(tf.BatchMatMul, { a: x3, b: dy3 }, {
        transposeA: true,
        transposeB: false,
      });
      taps.push(scope.run(tf.Sum, { x: perGroup }, { axis: [0], keepDims: true }));
    }
  }
  const stacked = taps.length === 1
    ? taps[0]
    : scope.run(tf.Concat, taps as unknown as tf.NamedTensorInfoMap, { axis: 0 });
  return scope.reshape(stacked, [kh, kw, cin, cout]);
}

/**
 * How many groups of whole images the reduction over (image, row, column) is split into: one
 * batched matrix product per group runs on its own workgroups, and a sum over the groups
 * follows. Groups hold at least {@link ROWS_PER_GROUP} rows (fewer only when the whole batch
 * has fewer), so each group's product is long enough to keep its workgroup busy.
 */
export function reductionGroups(images: number, rowsPerImage: number): number {
  for (let perGroup = 1; perGroup <= images; perGroup++) {
    if (images % perGroup === 0 && perGroup * rowsPerImage >= ROWS_PER_GROUP) {
      return images / perGroup;
    }
  }
  return 1;
}

/** The fewest reduction rows a group of {@link reductionGroups} holds. */
export const ROWS_PER_GROUP = 1024;

/**
 * Registers the kit's `Conv2DBackpropFilter` ({@link conv2dFilterGradByTaps}) for the webgpu
 * backend in place of the stock one. Call after `@tensorflow/tfjs-backend-webgpu` is imported;
 * idempotent. Returns the names of the kernels it replaced.
 */
export function registerWebGpuTrainingKernels(): string[] {
  const backendName = "webgpu";
  const stock = tf.getKernel(tf.Conv2DBackpropFilter, backendName);
  if (stock?.kernelFunc === filterGradKernel) return [...WEBGPU_TRAINING_KERNELS];
  if (stock) tf.unregisterKernel(tf.Conv2DBackpropFilter, backendName);
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: filterGradKernel,
  });
  return [...WEBGPU_TRAINING_KERNELS];
}

function filterGradKernel(
  call: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const scope = new KernelScope(call.backend as tf.KernelBackend, "webgpu");
  try {
    const attrs = call.attrs as unknown as FilterGradAttrs;
    return scope.keep(
      conv2dFilterGradByTaps(scope, input(call.inputs, "x"), input(call.inputs, "dy"), attrs),
    );
  } finally {
    scope.dispose();
  }
}
