/**
 * `DepthwiseConv2dNative` (NHWC, channel multiplier 1) in plain JS with the channel loop
 * innermost over flat `Float32Array`s. It keeps the cpu kernel's arithmetic exactly: each
 * output starts at 0 and adds `x * w` tap by tap in the same order (filter row, then filter
 * column), rounding to float32 after every add, so results are bit-identical. Only the loop
 * overhead goes: the cpu kernel runs a channel-multiplier loop per element and reads its
 * arrays through generic accessors (~40 ns per multiply-add here; the kit's Gaussian blurs, a
 * depthwise convolution over `[1, 34, 34, 768]`, took ~0.1 s a call).
 *
 * Declines (cpu kernel runs instead): non-float32 inputs, a channel multiplier other than 1,
 * a data format other than NHWC, outputs below {@link MIN_NATIVE_ELEMENTS} elements.
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import type { DnnlRuntime } from "../dnnl_runtime.ts";
import { input, type NativeKernelSpec, sizeOf } from "../native_kernel.ts";
import { MIN_NATIVE_ELEMENTS } from "./binary.ts";

/**
 * `y = depthwiseConv2d(x, w)` for channel multiplier 1: x `[N,H,W,C]`, w `[kh,kw,C,1]`, y
 * `[N,outH,outW,C]` (overwritten), geometry from tfjs's conv info. With column stride and
 * dilation 1, an output row is a run of `outW * C` values and each tap adds a shifted run of
 * an input row times that tap's weights repeated per column (long, branch-free loops whatever C
 * is); otherwise one pixel's channels at a time. Either way every output adds its taps in the
 * cpu kernel's order (filter row, then filter column).
 */
export function depthwiseInto(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  y.fill(0);
  if (info.strideWidth === 1 && info.dilationWidth === 1) depthwiseRows(x, w, y, info);
  else depthwisePixels(x, w, y, info);
}

function depthwiseRows(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const c = info.inChannels;
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, dilationHeight } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const rowLen = outWidth * c;
  // wide[(wr * kw + wc) * rowLen + yc * c + d] = w[wr, wc, d]: each tap's weights per column.
  const wide = new Float32Array(filterHeight * filterWidth * rowLen);
  for (let t = 0; t < filterHeight * filterWidth; t++) {
    for (let yc = 0; yc < outWidth; yc++) {
      wide.set(w.subarray(t * c, (t + 1) * c), t * rowLen + yc * c);
    }
  }
  for (let b = 0; b < info.batchSize; b++) {
    const xb = b * inHeight * inWidth * c;
    const yb = b * outHeight * rowLen;
    for (let yr = 0; yr < outHeight; yr++) {
      const yRow = yb + yr * rowLen;
      const xrCorner = yr * strideHeight - padTop;
      for (let wr = 0; wr < filterHeight; wr++) {
        const xr = xrCorner + wr * dilationHeight;
        if (xr < 0 || xr >= inHeight) continue;
        const xRow = xb + xr * inWidth * c;
        for (let wc = 0; wc < filterWidth; wc++) {
          // Output columns whose input column yc - padLeft + wc lies inside the image.
          const first = Math.max(0, padLeft - wc);
          const last = Math.min(outWidth, inWidth + padLeft - wc); // exclusive
          if (first >= last) continue;
          const wOff = (wr * filterWidth + wc) * rowLen;
          const xOff = xRow + (wc - padLeft) * c;
          for (let j = first * c, end = last * c; j < end; j++) {
            y[yRow + j] += x[xOff + j] * wide[wOff + j];
          }
        }
      }
    }
  }
}

function depthwisePixels(
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const c = info.inChannels;
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  for (let b = 0; b < info.batchSize; b++) {
    const xb = b * inHeight * inWidth * c;
    const yb = b * outHeight * outWidth * c;
    for (let yr = 0; yr < outHeight; yr++) {
      const yRow = yb + yr * outWidth * c;
      const xrCorner = yr * strideHeight - padTop;
      for (let wr = 0; wr < filterHeight; wr++) {
        const xr = xrCorner + wr * dilationHeight;
        if (xr < 0 || xr >= inHeight) continue;
        const xRow = xb + xr * inWidth * c;
        for (let yc = 0; yc < outWidth; yc++) {
          const yOff = yRow + yc * c;
          const xcCorner = yc * strideWidth - padLeft;
          for (let wc = 0; wc < filterWidth; wc++) {
            const xcol = xcCorner + wc * dilationWidth;
            if (xcol < 0 || xcol >= inWidth) continue;
            const xOff = xRow + xcol * c;
            const wOff = (wr * filterWidth + wc) * c;
            for (let d = 0; d < c; d++) y[yOff + d] += x[xOff + d] * w[wOff + d];
          }
        }
      }
    }
  }
}

/** The DepthwiseConv2dNative kernel (see module docs). */
export function depthwiseConvKernels(_rt: DnnlRuntime): NativeKernelSpec[] {
  return [{
    name: tf.DepthwiseConv2dNative,
    run: ({ inputs, attrs, backend }) => {
      const x = input(inputs, "x", tf.DepthwiseConv2dNative);
      const filter = input(inputs, "filter", tf.DepthwiseConv2dNative);
      if (x.dtype !== "float32" || filter.dtype !== "float32") return null;
      if (x.shape.length !== 4 || filter.shape.length !== 4 || filter.shape[3] !== 1) return null;
      if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") return null;
      const dilations = (attrs.dilations ?? [1, 1]) as number | [number, number];
      const strides = attrs.strides as number | [number, number];
      if (!tf.backend_util.eitherStridesOrDilationsAreOne(strides, dilations)) return null;
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        strides,
        dilations,
        attrs.pad as "valid" | "same" | number,
        attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
        true,
      );
      const total = sizeOf(info.outShape);
      if (total < MIN_NATIVE_ELEMENTS) return null;
      const y = backend.allocF32(total);
      depthwiseInto(backend.values(x), backend.values(filter), y, info);
      return backend.output(y, [...info.outShape]);
    },
  }];
}
