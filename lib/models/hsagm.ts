/**
 * HSAGM, the hyper self-aware gating module of S-MAG (section 3.3,
 * equations F5-F9), used as a neck: feature map -> token sequence -> MLP ->
 * GRU -> attention pooling (F9's ReLU scorer by default) -> FC.
 *
 * For the T = h*w tokens F_k (row-major order, C channels each):
 *
 * ```
 * F'_k  = ReLU(W_1 F_k + b_1)                                   (F5)   [mlpDim]
 * z_k   = sigmoid(W_z [h_{k-1}, F'_k] + b_z)                     (F6)   update gate
 * r_k   = sigmoid(W_r [h_{k-1}, F'_k] + b_r)                     (F7)   reset gate
 * h_k   = z_k * h_{k-1} + (1 - z_k) * tanh(W_h [r_k * h_{k-1}, F'_k] + b_h)   (F8)
 * F''_k = h_k,  h_0 = 0                                                 [gruDim]
 * a     = softmax_k( W_a ReLU(W_b F''_k + b_b) )                 (F9)   over tokens
 * out   = W_o (sum_k a_k F''_k) + b_o                                   [outDim]
 * ```
 *
 * `scorer` picks the attention scorer of the last step:
 * - `"relu"` (default): F9 as the paper writes it, `W_a ReLU(W_b F'' + b_b)`
 *   (S-MAG section 3.3, equation 9). The paper gives no other formula for
 *   HSAGM's attention, and its Table 4 "GAM" is a separate neck, so this is
 *   the paper's HSAGM.
 * - `"gated"`: gated attention-MIL pooling (Ilse et al. 2018, the kit's GAM
 *   neck) on the GRU states, `w^T (tanh(V F''_k + b_V) * sigmoid(U F''_k + b_U))`
 *   (V = `attn_hidden`, U = `attn_gate`, w = `attn_score`): the kit's method
 *   reference reads HSAGM as "MLP + GRU front end + GAM-style pooling". Not
 *   in the paper's equations; kept as an option to compare the two readings.
 *
 * The paper's scalar bias b_a of F9 is left out: adding the same constant to
 * every token score cancels in the softmax, so it would never be trained.
 * With a token mask ([N,h*w], 1 = visible) and maskedTokens "exclude",
 * masked tokens get attention weight exactly 0; the GRU still reads every
 * token (a masked token may change the state carried to later tokens).
 * Unlike SAM/GAM, the output depends on token order (the GRU is sequential).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { type ForwardContext, Linear } from "../nn/layers.ts";
import type { ParamStore } from "../nn/params.ts";
import { Gru } from "./gru.ts";
import type { Neck } from "./parts.ts";
import {
  attentionWeights,
  flattenTokens,
  type MaskedTokens,
  parseMaskedTokens,
  positiveIntField,
  tokenRows,
  weightedTokenSum,
} from "./token_attention.ts";

/** Configuration of the HSAGM neck. */
export interface HsagmConfig {
  type: "hsagm";
  /** Width of the token MLP F' (F5). */
  mlpDim: number;
  /** GRU state size (F6-F8). */
  gruDim: number;
  /** Hidden width of the attention scorer W_b (F9). */
  attnDim: number;
  /** Output features of the final FC layer. */
  outDim: number;
  /** Handling of masked tokens when a token mask is given (default "exclude"). */
  maskedTokens?: MaskedTokens;
  /**
   * Attention scorer (default "relu" = F9 as in the paper; "gated" = GAM-style
   * tanh x sigmoid pooling, see the module docs).
   */
  scorer?: HsagmScorer;
}

/** HSAGM attention scorers: F9's ReLU scorer, or GAM-style gated attention. */
export const HSAGM_SCORERS = ["relu", "gated"] as const;
/** One of {@link HSAGM_SCORERS}. */
export type HsagmScorer = typeof HSAGM_SCORERS[number];

/** HSAGM neck: fmap [N,h,w,C] -> [N,outDim] (see module docs). */
export class Hsagm implements Neck {
  readonly outFeatures: number;
  readonly maskedTokens: MaskedTokens;
  /** W_1, b_1 (F5). */
  readonly mlp: Linear;
  /** The GRU (F6-F8). */
  readonly gru: Gru;
  /** The attention scorer (see {@link HsagmConfig.scorer}). */
  readonly scorer: HsagmScorer;
  /** W_b, b_b (F9); V, b_V with the gated scorer. */
  readonly attnHidden: Linear;
  /** U, b_U (sigmoid gate), only with the gated scorer. */
  readonly attnGate: Linear | undefined;
  /** W_a (F9), no bias. */
  readonly attnScore: Linear;
  /** Final FC W_o, b_o. */
  readonly fc: Linear;

  /**
   * @param store registers `${name}.mlp.*`, `${name}.gru.*`, `${name}.attn_hidden.*`,
   *   (gated scorer: `${name}.attn_gate.*`), `${name}.attn_score.weight`, `${name}.fc.*`.
   * @param channels C, channels of the incoming feature map.
   */
  constructor(store: ParamStore, name: string, channels: number, cfg: HsagmConfig) {
    const fields = cfg as unknown as Record<string, unknown>;
    const mlpDim = positiveIntField(fields, "mlpDim", "hsagm");
    const gruDim = positiveIntField(fields, "gruDim", "hsagm");
    const attnDim = positiveIntField(fields, "attnDim", "hsagm");
    const outDim = positiveIntField(fields, "outDim", "hsagm");
    this.maskedTokens = parseMaskedTokens(cfg.maskedTokens, "hsagm");
    const scorer = cfg.scorer ?? "relu";
    if (!(HSAGM_SCORERS as readonly string[]).includes(scorer)) {
      throw new Error(
        `hsagm: scorer must be one of ${HSAGM_SCORERS.map((s) => `"${s}"`).join(", ")} ` +
          `(F9's ReLU scorer, or GAM-style gated attention), got ${JSON.stringify(cfg.scorer)}`,
      );
    }
    this.scorer = scorer;
    this.outFeatures = outDim;
    this.mlp = new Linear(store, `${name}.mlp`, { inFeatures: channels, outFeatures: mlpDim });
    this.gru = new Gru(store, `${name}.gru`, { inFeatures: mlpDim, hidden: gruDim });
    this.attnHidden = new Linear(store, `${name}.attn_hidden`, {
      inFeatures: gruDim,
      outFeatures: attnDim,
    });
    this.attnGate = scorer === "gated"
      ? new Linear(store, `${name}.attn_gate`, { inFeatures: gruDim, outFeatures: attnDim })
      : undefined;
    this.attnScore = new Linear(store, `${name}.attn_score`, {
      inFeatures: attnDim,
      outFeatures: 1,
      bias: false,
    });
    this.fc = new Linear(store, `${name}.fc`, { inFeatures: gruDim, outFeatures: outDim });
  }

  /** GRU states F'' for every token: fmap [N,h,w,C] -> [N,h*w,gruDim] (F5-F8). */
  states(fmap: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const [n, h, w] = fmap.shape;
      const f1 = tf.relu(this.mlp.apply(tokenRows(flattenTokens(fmap))));
      return this.gru.run(tf.reshape(f1, [n, h * w, this.gru.inFeatures]));
    });
  }

  /**
   * Attention weights a (F9): fmap [N,h,w,C] -> [N,h*w] (row-major tokens), rows sum to 1.
   * With a tokenMask ([N,h*w], 1 = visible) and maskedTokens "exclude", masked tokens get 0.
   */
  attention(fmap: tf.Tensor4D, _ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.#weights(this.states(fmap), tokenMask));
  }

  /** fmap [N,h,w,C] -> [N,outDim]. */
  apply(fmap: tf.Tensor4D, _ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const states = this.states(fmap);
      return this.fc.apply(weightedTokenSum(states, this.#weights(states, tokenMask)));
    });
  }

  /**
   * Per image, matrix products only (element-wise ops not counted):
   * T*C*mlpDim (F5) + T*3*(mlpDim*gruDim + gruDim^2) (GRU) + T*gruDim*attnDim + T*attnDim (F9)
   * + T*gruDim (weighted sum) + gruDim*outDim (FC); the gated scorer adds T*gruDim*attnDim (U).
   */
  macs(tokens: number, channels: number): number {
    const mlpDim = this.gru.inFeatures;
    const gruDim = this.gru.hidden;
    const attnDim = this.attnScore.weight.shape[0];
    const scorerMacs = (this.attnGate ? 2 : 1) * gruDim * attnDim + attnDim;
    return tokens * (channels * mlpDim + this.gru.macsPerStep() + scorerMacs + gruDim) +
      gruDim * this.outFeatures;
  }

  /** F9 on GRU states [N,T,gruDim] -> [N,T]. */
  #weights(states: tf.Tensor3D, tokenMask: tf.Tensor2D | undefined): tf.Tensor2D {
    return attentionWeights(
      states,
      (rows) =>
        this.attnScore.apply(
          this.attnGate
            ? tf.mul(tf.tanh(this.attnHidden.apply(rows)), tf.sigmoid(this.attnGate.apply(rows)))
            : tf.relu(this.attnHidden.apply(rows)),
        ),
      tokenMask,
      this.maskedTokens,
    );
  }
}
