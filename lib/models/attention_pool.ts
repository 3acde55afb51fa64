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
 * softmax, so such a bias would never receive a gradient. The computation is
 * the ungated {@link MilAttentionPool}.
 *
 * @module
 */
import type { ParamStore } from "../nn/params.ts";
import { type MilAttentionConfig, MilAttentionPool } from "./mil_attention_pool.ts";

/** Configuration of the SAM neck (`hidden`: rows of V). */
export interface AttentionPoolConfig extends MilAttentionConfig {
  type: "sam";
}

/** SAM neck: fmap [N,h,w,C] -> attention-weighted token mean [N,C]. */
export class AttentionPool extends MilAttentionPool {
  /**
   * @param store registers `${name}.v.weight`, `${name}.v.bias`, `${name}.w.weight`.
   * @param channels C, channels of the incoming feature map.
   */
  constructor(store: ParamStore, name: string, channels: number, cfg: AttentionPoolConfig) {
    super(store, name, channels, cfg, { neck: "sam", gated: false });
  }
}
