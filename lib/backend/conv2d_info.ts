/**
 * The geometry of a channels-last 2-D convolution kernel call (forward or either gradient),
 * read from the kernel's attributes: shared by the native (oneDNN) and the wasm training
 * convolution kernels.
 *
 * @module
 */

import * as tf from "../tfjs.ts";

/** The window attributes every tfjs 2-D convolution kernel carries. */
export interface Conv2DWindowAttrs {
  strides: [number, number] | number;
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/**
 * `tf.backend_util.computeConv2DInfo` for NHWC data: x [N,H,W,Cin] convolved with a filter
 * [kh,kw,Cin,Cout] (depthwise: [kh,kw,C,M], output C*M channels), the window taken from a
 * kernel's `attrs` (its typed attrs or the raw `NamedAttrMap`).
 *
 * @param dilations the filter dilation (the gradient kernels carry none: 1).
 */
export function nhwcConv2DInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: Conv2DWindowAttrs | tf.NamedAttrMap,
  dilations: [number, number] | number = 1,
  depthwise = false,
): tf.backend_util.Conv2DInfo {
  const window = attrs as Conv2DWindowAttrs;
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    window.strides,
    dilations,
    window.pad,
    window.dimRoundingMode,
    depthwise,
    "channelsLast",
  );
}
