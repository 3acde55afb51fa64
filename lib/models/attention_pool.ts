/**
 * SAM, the "self-attention module" of S-MAG Table 4: attention-MIL pooling
 * (Ilse, Tomczak & Welling, "Attention-based Deep Multiple Instance
 * Learning", ICML 2018) over the tokens of a feature map.
 *
 * For tokens h_k (k = 1..T, the h*w positions of the map, C channels each):
 *
 * ```
 * e_k = w^T tanh(V h_k + b_V)        V: [hidden, C], w: [hidden]
 * a   = softmax(e)  over tokens      (masked tokens: e_k = -inf when maskedTokens = "exclude")
 * z   = sum_k a_k h_k                -> [C]
 * ```
 *
 * The scorer w has no bias: a constant added to every e_k cancels in the
 * softmax, so such a bias would never receive a gradient.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { type ForwardContext, Linear } from "../nn/layers.ts";
import type { ParamStore } from "../nn/params.ts";
import type { Neck } from "./parts.ts";
import {
  flattenTokens,
  type MaskedTokens,
  parseMaskedTokens,
  positiveIntField,
  tokenRows,
  tokenSoftmax,
  weightedTokenSum,
} from "./token_attention.ts";

/** Configuration of the SAM neck. */
export interface AttentionPoolConfig {
  type: "sam";
  /** Attention dimension (rows of V), e.g. 128. */
  hidden: number;
  /** Handling of masked tokens when a token mask is given (default "exclude"). */
  maskedTokens?: MaskedTokens;
}

/** SAM neck: fmap [N,h,w,C] -> attention-weighted token mean [N,C]. */
export class AttentionPool implements Neck {
  readonly outFeatures: number;
  readonly hidden: number;
  readonly maskedTokens: MaskedTokens;
  /** V (with bias b_V): token -> hidden. */
  readonly v: Linear;
  /** w: hidden -> score, no bias. */
  readonly w: Linear;

  /**
   * @param store registers `${name}.v.weight`, `${name}.v.bias`, `${name}.w.weight`.
   * @param channels C, channels of the incoming feature map.
   */
  constructor(store: ParamStore, name: string, channels: number, cfg: AttentionPoolConfig) {
    this.hidden = positiveIntField(cfg as unknown as Record<string, unknown>, "hidden", "sam");
    this.maskedTokens = parseMaskedTokens(cfg.maskedTokens, "sam");
    this.outFeatures = channels;
    this.v = new Linear(store, `${name}.v`, { inFeatures: channels, outFeatures: this.hidden });
    this.w = new Linear(store, `${name}.w`, {
      inFeatures: this.hidden,
      outFeatures: 1,
      bias: false,
    });
  }

  /**
   * Attention weights a: fmap [N,h,w,C] -> [N,h*w] (row-major tokens), rows sum to 1.
   * With a tokenMask ([N,h*w], 1 = visible) and maskedTokens "exclude", masked tokens get 0.
   */
  attention(fmap: tf.Tensor4D, _ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [n, h, w] = fmap.shape;
      const hidden = tf.tanh(this.v.apply(tokenRows(flattenTokens(fmap))));
      const scores = tf.reshape(this.w.apply(hidden), [n, h * w]) as tf.Tensor2D;
      return tokenSoftmax(scores, tokenMask, this.maskedTokens);
    });
  }

  /** fmap [N,h,w,C] -> z [N,C] (see module docs). */
  apply(fmap: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() =>
      weightedTokenSum(flattenTokens(fmap), this.attention(fmap, ctx, tokenMask))
    );
  }

  /** Per image: T*C*hidden (V) + T*hidden (w) + T*C (weighted sum); element-wise ops not counted. */
  macs(tokens: number, channels: number): number {
    return tokens * (channels * this.hidden + this.hidden + channels);
  }
}
