/**
 * The "Baseline" neck of S-MAG Table 4: global average pooling over all
 * spatial positions. It ignores any token mask (every position counts).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { ForwardContext } from "../nn/layers.ts";
import type { Neck } from "./parts.ts";

/** Configuration of the global-average-pooling neck. */
export interface GlobalAvgPoolConfig {
  type: "gap";
}

/** fmap [N,h,w,c] -> mean over h,w -> [N,c]. */
export class GlobalAvgPool implements Neck {
  readonly outFeatures: number;

  /** @param channels channels of the incoming feature map. */
  constructor(channels: number) {
    this.outFeatures = channels;
  }

  apply(fmap: tf.Tensor4D, _ctx: ForwardContext): tf.Tensor2D {
    return tf.mean(fmap, [1, 2]) as tf.Tensor2D;
  }

  macs(tokens: number, channels: number): number {
    return tokens * channels;
  }
}
