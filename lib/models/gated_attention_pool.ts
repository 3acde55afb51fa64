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
 * The scorer w has no bias (it would cancel in the softmax). The computation
 * is the gated {@link MilAttentionPool}.
 *
 * @module
 */
import type { Linear } from "../nn/layers.ts";
import type { ParamStore } from "../nn/params.ts";
import { type MilAttentionConfig, MilAttentionPool } from "./mil_attention_pool.ts";

/** Configuration of the GAM neck (`hidden`: rows of V and of U). */
export interface GatedAttentionPoolConfig extends MilAttentionConfig {
  type: "gam";
}

/** GAM neck: fmap [N,h,w,C] -> gated-attention-weighted token mean [N,C]. */
export class GatedAttentionPool extends MilAttentionPool {
  /** U (sigmoid gate branch); always present in GAM. */
  declare readonly u: Linear;

  /**
   * @param store registers `${name}.v.*`, `${name}.u.*` and `${name}.w.weight`.
   * @param channels C, channels of the incoming feature map.
   */
  constructor(store: ParamStore, name: string, channels: number, cfg: GatedAttentionPoolConfig) {
    super(store, name, channels, cfg, { neck: "gam", gated: true });
  }
}
