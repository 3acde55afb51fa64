/**
 * GAM, the "gated attention module" of S-MAG Table 4: gated attention-MIL
 * pooling (Ilse, Tomczak & Welling, ICML 2018) over the tokens of a feature map.
 *
 * For tokens h_k (k = 1..T, the h*w positions of the map, C channels each):
 *
 * ```
 * e_k = w^T ( tanh(V h_k + b_V) * sigmoid(U h_k + b_U) )   V, U: [hidden, C], w: [hidden]
 * a   = softmax(e)  over tokens    (masked tokens: e_k = -inf when maskedTokens = "exclude")
 * z   = sum_k a_k h_k              -> [C]
 * ```
 *
 * The scorer w has no bias (it would cancel in the softmax).
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

/** Configuration of the GAM neck. */
export interface GatedAttentionPoolConfig {
  type: "gam";
  /** Attention dimension (rows of V and of U), e.g. 128. */
  hidden: number;
  /** Handling of masked tokens when a token mask is given (default "exclude"). */
  maskedTokens?: MaskedTokens;
}

/** GAM neck: fmap [N,h,w,C] -> gated-attention-weighted token mean [N,C]. */
export class GatedAttentionPool implements Neck {
  readonly outFeatures: number;
  readonly hidden: number;
  readonly maskedTokens: MaskedTokens;
  /** V (tanh branch). */
  readonly v: Linear;
  /** U (sigmoid gate branch). */
  readonly u: Linear;
  /** w: hidden -> score, no bias. */
  readonly w: Linear;

  /**
   * @param store registers `${name}.v.*`, `${name}.u.*` and `${name}.w.weight`.
   * @param channels C, channels of the incoming feature map.
   */
  constructor(store: ParamStore, name: string, channels: number, cfg: GatedAttentionPoolConfig) {
    this.hidden = positiveIntField(cfg as unknown as Record<string, unknown>, "hidden", "gam");
    this.maskedTokens = parseMaskedTokens(cfg.maskedTokens, "gam");
    this.outFeatures = channels;
    this.v = new Linear(store, `${name}.v`, { inFeatures: channels, outFeatures: this.hidden });
    this.u = new Linear(store, `${name}.u`, { inFeatures: channels, outFeatures: this.hidden });
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
      const rows = tokenRows(flattenTokens(fmap));
      const gated = tf.mul(
        tf.tanh(this.v.apply(rows)),
        tf.sigmoid(this.u.apply(rows)),
      ) as tf.Tensor2D;
      const scores = tf.reshape(this.w.apply(gated), [n, h * w]) as tf.Tensor2D;
      return tokenSoftmax(scores, tokenMask, this.maskedTokens);
    });
  }

  /** fmap [N,h,w,C] -> z [N,C] (see module docs). */
  apply(fmap: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() =>
      weightedTokenSum(flattenTokens(fmap), this.attention(fmap, ctx, tokenMask))
    );
  }

  /** Per image: 2*T*C*hidden (V, U) + T*hidden (w) + T*C (weighted sum); element-wise ops not counted. */
  macs(tokens: number, channels: number): number {
    return tokens * (2 * channels * this.hidden + this.hidden + channels);
  }
}
