/**
 * The three parts every encoder is assembled from (mmpretrain style):
 * backbone (pixels -> feature map), neck (feature map -> vector) and head
 * (vector -> embedding for the loss). Methods combine them with a loss.
 *
 * Shape conventions: images [N,H,W,C] float32; feature maps [N,h,w,c];
 * vectors [N,D].
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import type { ForwardContext } from "../nn/layers.ts";

/** Maps images to a spatial feature map. */
export interface Backbone {
  /** Channels of the output feature map. */
  readonly outChannels: number;
  /** x: [N,H,W,C] -> [N,h,w,outChannels]. */
  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D;
  /** Spatial size of the output map for an input of h x w. */
  outSize(h: number, w: number): [number, number];
  /** Multiply-adds per image for an input of h x w. */
  macs(h: number, w: number): number;
}

/** Pools a feature map into one vector per image (the "gating" slot of S-MAG). */
export interface Neck {
  /** Length of the pooled vector. */
  readonly outFeatures: number;
  /**
   * fmap: [N,h,w,c] -> [N,outFeatures]. `tokenMask` ([N, h*w], 1 = visible,
   * 0 = masked) lets mask-aware necks treat masked tokens specially; necks
   * that ignore it document so.
   */
  apply(fmap: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D;
  /** Multiply-adds per image for a map of `tokens` positions and `channels` channels. */
  macs(tokens: number, channels: number): number;
}

/** Maps pooled vectors to the space the loss works in (projection MLP, classifier). */
export interface Head {
  readonly outFeatures: number;
  /** z: [N,D] -> [N,outFeatures]. */
  apply(z: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
  /** Multiply-adds per image. */
  macs(): number;
}
