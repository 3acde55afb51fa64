/**
 * Reduces a numpy-style broadcast of two tensors to the few dimensions oneDNN needs: drops
 * size-1 axes of the output and merges neighbouring axes that are broadcast the same way, so
 * `[256,32,32,32] * [32]` becomes `[262144, 32] * [1, 32]` and `x * scalar` becomes
 * `[n] * [1]`. oneDNN's binary primitive broadcasts its second source only, so the operand of
 * full size goes first (operands are swapped for commutative ops when needed).
 *
 * @module
 */

import * as tf from "../../../tfjs.ts";
import { sizeOf } from "../native_kernel.ts";

/** How to run `a op b` as oneDNN binary(src0, src1). */
export interface BroadcastPlan {
  /** Output shape (numpy broadcast of a and b). */
  out: number[];
  /** True when b is src0 and a is src1 (only for commutative ops). */
  swap: boolean;
  /** src0 (and dst) dims after merging. */
  dims0: number[];
  /** src1 dims: equal to dims0 or 1 (broadcast) per axis. */
  dims1: number[];
}

/**
 * Plans `a op b`; null when neither operand has the output's size (both broadcast, e.g.
 * [n,1] + [1,m]) or when only `a` is broadcast and the op is not commutative.
 */
export function planBroadcast(
  aShape: readonly number[],
  bShape: readonly number[],
  commutative: boolean,
): BroadcastPlan | null {
  const out = tf.backend_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const total = sizeOf(out);
  let swap = false;
  let small: readonly number[];
  if (sizeOf(aShape) === total) {
    small = bShape;
  } else if (commutative && sizeOf(bShape) === total) {
    swap = true;
    small = aShape;
  } else {
    return null;
  }
  const r = out.length;
  const padded = [...new Array(r - small.length).fill(1), ...small];
  const dims0: number[] = [];
  const dims1: number[] = [];
  let lastFlag: boolean | undefined;
  for (let i = 0; i < r; i++) {
    if (out[i] === 1) continue;
    const broadcast = padded[i] === 1;
    if (broadcast === lastFlag) {
      dims0[dims0.length - 1] *= out[i];
      if (!broadcast) dims1[dims1.length - 1] *= out[i];
    } else {
      dims0.push(out[i]);
      dims1.push(broadcast ? 1 : out[i]);
      lastFlag = broadcast;
    }
  }
  if (dims0.length === 0) {
    dims0.push(1);
    dims1.push(1);
  }
  return { out, swap, dims0, dims1 };
}
