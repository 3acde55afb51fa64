/**
 * Attention-MIL pooling (Ilse, Tomczak & Welling, "Attention-based Deep
 * Multiple Instance Learning", ICML 2018) over the tokens of a feature map:
 * the common body of the SAM (`AttentionPool`, ungated) and GAM
 * (`GatedAttentionPool`, gated) necks of S-MAG Table 4.
 *
 * For tokens h_k (k = 1..T, the h*w positions of the map, C channels each):
 *
 * ```
 * g_k = tanh(V h_k + b_V)                               ungated (SAM)
 * g_k = tanh(V h_k + b_V) * sigmoid(U h_k + b_U)        gated (GAM)    V, U: [hidden, C]
 * e_k = w^T g_k                                         w: [hidden]
 * a   = softmax(e)  over tokens    (masked tokens: e_k = -inf when maskedTokens = "exclude")
 * z   = sum_k a_k h_k              -> [C]
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
  attentionWeights,
  flattenTokens,
  type MaskedTokens,
  parseMaskedTokens,
  positiveIntField,
  weightedTokenSum,
} from "./token_attention.ts";

/** The sizes and options shared by the SAM and GAM neck configs. */
export interface MilAttentionConfig {
  /** Attention dimension (rows of V, and of U when gated), e.g. 128. */
  hidden: number;
  /** Handling of masked tokens when a token mask is given (default "exclude"). */
  maskedTokens?: MaskedTokens;
}

/** What distinguishes the attention-MIL necks from each other. */
export interface MilAttentionVariant {
  /** Neck name used in error messages (`"sam"`, `"gam"`). */
  neck: string;
  /** Multiply the tanh branch by a sigmoid gate U (GAM) or not (SAM). */
  gated: boolean;
}

/** Attention-MIL neck: fmap [N,h,w,C] -> attention-weighted token mean [N,C] (see module docs). */
export class MilAttentionPool implements Neck {
  readonly outFeatures: number;
  readonly hidden: number;
  readonly maskedTokens: MaskedTokens;
  /** V (with bias b_V): token -> hidden, the tanh branch. */
  readonly v: Linear;
  /** U (with bias b_U): token -> hidden, the sigmoid gate; undefined when not gated. */
  readonly u: Linear | undefined;
  /** w: hidden -> score, no bias. */
  readonly w: Linear;

  /**
   * @param store registers `${name}.v.weight`, `${name}.v.bias`, when gated
   *   `${name}.u.weight`, `${name}.u.bias`, then `${name}.w.weight` (in this order).
   * @param channels C, channels of the incoming feature map.
   * @param cfg the neck config; throws, naming `variant.neck`, on a bad `hidden` or `maskedTokens`.
   */
  constructor(
    store: ParamStore,
    name: string,
    channels: number,
    cfg: MilAttentionConfig,
    variant: MilAttentionVariant,
  ) {
    const fields = cfg as unknown as Record<string, unknown>;
    this.hidden = positiveIntField(fields, "hidden", variant.neck);
    this.maskedTokens = parseMaskedTokens(cfg.maskedTokens, variant.neck);
    this.outFeatures = channels;
    const branch = { inFeatures: channels, outFeatures: this.hidden };
    this.v = new Linear(store, `${name}.v`, branch);
    this.u = variant.gated ? new Linear(store, `${name}.u`, branch) : undefined;
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
    return tf.tidy(() =>
      attentionWeights(
        flattenTokens(fmap),
        (rows) => this.w.apply(this.#hiddenCode(rows)),
        tokenMask,
        this.maskedTokens,
      )
    );
  }

  /** fmap [N,h,w,C] -> z [N,C] (see module docs). */
  apply(fmap: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() =>
      weightedTokenSum(flattenTokens(fmap), this.attention(fmap, ctx, tokenMask))
    );
  }

  /**
   * Per image: T*C*hidden per branch (V, and U when gated) + T*hidden (w)
   * + T*C (weighted sum); element-wise ops not counted.
   */
  macs(tokens: number, channels: number): number {
    const branches = this.u ? 2 : 1;
    return tokens * (branches * channels * this.hidden + this.hidden + channels);
  }

  /** g = tanh(V rows + b_V), times sigmoid(U rows + b_U) when gated: [M,C] -> [M,hidden]. */
  #hiddenCode(rows: tf.Tensor2D): tf.Tensor2D {
    const code = tf.tanh(this.v.apply(rows));
    return this.u ? tf.mul(code, tf.sigmoid(this.u.apply(rows))) as tf.Tensor2D : code;
  }
}
