/**
 * Softmax attention over the tokens (spatial positions) of a feature map,
 * shared by the attention necks (SAM, GAM, HSAGM): flattening a map into a
 * token sequence, scoring every token, a mask-aware softmax over the token
 * scores, and the weighted sum of tokens.
 *
 * Token order is row-major: token `k = i * w + j` is position (i, j) of an
 * h x w map. Token masks follow the masking module's convention
 * ([N, h*w], 1 = visible/kept, 0 = masked).
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/**
 * What an attention neck does with masked tokens when it is given a token mask:
 * `"exclude"`: their score is set to -inf before the softmax, so their weight
 * is exactly 0; `"keep"`: the mask is ignored (masked tokens compete like any other).
 */
export type MaskedTokens = "exclude" | "keep";

/** The accepted {@link MaskedTokens} values, for validation and help texts. */
export const MASKED_TOKEN_MODES: readonly MaskedTokens[] = ["exclude", "keep"];

/**
 * Score used in place of -inf for excluded tokens. exp(EXCLUDED_SCORE - max)
 * underflows to exactly 0 in float32 whenever one token is visible, and an
 * all-masked row stays finite (it falls back to uniform weights) instead of
 * turning into NaN as a true -inf would.
 */
export const EXCLUDED_SCORE = -1e30;

/**
 * Reads the optional `maskedTokens` field of a neck config (default `"exclude"`).
 * Throws, naming the neck and the accepted values, on anything else.
 */
export function parseMaskedTokens(value: unknown, neck: string): MaskedTokens {
  if (value === undefined) return "exclude";
  if (typeof value === "string" && (MASKED_TOKEN_MODES as readonly string[]).includes(value)) {
    return value as MaskedTokens;
  }
  throw new Error(
    `${neck} neck: maskedTokens must be one of ${MASKED_TOKEN_MODES.join(", ")}, ` +
      `got ${JSON.stringify(value)}; fix the neck config`,
  );
}

/**
 * Reads a positive-integer size field of a neck config. Throws, naming the
 * neck, the field and an example value, when it is missing or invalid.
 */
export function positiveIntField(
  cfg: Record<string, unknown>,
  field: string,
  neck: string,
): number {
  const v = cfg[field];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new Error(
      `${neck} neck: "${field}" must be a positive integer, got ${JSON.stringify(v)}; ` +
        `set it in the neck config (e.g. ${field}: 128)`,
    );
  }
  return v;
}

/** fmap: [N,h,w,c] -> tokens [N, h*w, c] (row-major token order). */
export function flattenTokens(fmap: tf.Tensor4D): tf.Tensor3D {
  const [n, h, w, c] = fmap.shape;
  return tf.reshape(fmap, [n, h * w, c]);
}

/**
 * Softmax of token scores over the token axis.
 *
 * @param scores [N,T] float32.
 * @param tokenMask optional [N,T], 1 = visible, 0 = masked.
 * @param mode `"exclude"` gives masked tokens weight exactly 0 (rows with no
 *   visible token fall back to uniform weights); `"keep"` ignores the mask.
 * @returns weights [N,T], each row summing to 1.
 */
export function tokenSoftmax(
  scores: tf.Tensor2D,
  tokenMask: tf.Tensor2D | undefined,
  mode: MaskedTokens,
): tf.Tensor2D {
  if (tokenMask === undefined || mode === "keep") return tf.softmax(scores);
  if (tokenMask.shape[0] !== scores.shape[0] || tokenMask.shape[1] !== scores.shape[1]) {
    throw new Error(
      `tokenMask has shape [${tokenMask.shape}] but the feature map has ` +
        `[${scores.shape}] (images, tokens); pass a mask at feature-map resolution, ` +
        `[N, h*w] with h x w the backbone output size`,
    );
  }
  const visible = tf.greater(tokenMask, 0.5);
  const masked = tf.where(visible, scores, tf.fill(scores.shape, EXCLUDED_SCORE));
  return tf.softmax(masked);
}

/** tokens [N,T,C], weights [N,T] -> sum_k weights[n,k] * tokens[n,k,:] = [N,C]. */
export function weightedTokenSum(tokens: tf.Tensor3D, weights: tf.Tensor2D): tf.Tensor2D {
  const [n, t] = weights.shape;
  const pooled = tf.matMul(tf.reshape(weights, [n, 1, t]) as tf.Tensor3D, tokens);
  return tf.reshape(pooled, [n, tokens.shape[2]]);
}

/** tokens [N,T,C] -> [N*T, C], for applying a Linear layer to every token. */
export function tokenRows(tokens: tf.Tensor3D): tf.Tensor2D {
  const [n, t, c] = tokens.shape;
  return tf.reshape(tokens, [n * t, c]);
}

/**
 * Attention weights from a per-token scorer: every token [C] is scored by
 * `score` (e.g. `w^T tanh(V h)`), then the scores get {@link tokenSoftmax}.
 *
 * @param tokens [N,T,C] float32.
 * @param score rows [N*T,C] -> scores [N*T,1] (one row per token, see {@link tokenRows}).
 * @param tokenMask optional [N,T], 1 = visible, 0 = masked.
 * @param mode what to do with masked tokens (see {@link tokenSoftmax}).
 * @returns weights [N,T], each row summing to 1.
 */
export function attentionWeights(
  tokens: tf.Tensor3D,
  score: (rows: tf.Tensor2D) => tf.Tensor2D,
  tokenMask: tf.Tensor2D | undefined,
  mode: MaskedTokens,
): tf.Tensor2D {
  const [n, t] = tokens.shape;
  const scores = tf.reshape(score(tokenRows(tokens)), [n, t]) as tf.Tensor2D;
  return tokenSoftmax(scores, tokenMask, mode);
}
