/**
 * Combining several loss terms into one objective, e.g. KDC-MAE's
 * `L = L_r + lambda_c L_c + lambda_kd L_kd` (defaults lambda_c = 0.01,
 * lambda_kd = 10) and its "dynamic weights" ablation, where the weights are
 * learned.
 *
 * Static: `L = sum_i w_i L_i` ({@link weightedLossSum}).
 *
 * Learned ({@link UncertaintyWeighting}): the KDC-MAE paper only says the
 * weights are "learnable parameters ... updated by the global loss" and does
 * not give their form (learning raw w_i by descent would drive them to 0). The
 * kit's choice is homoscedastic-uncertainty weighting (Kendall, Gal & Cipolla,
 * CVPR 2018), in the common simplified form with one learnable log-variance
 * s_i per term:
 *
 * ```
 * L = sum_i exp(-s_i) L_i + s_i,      dL/ds_i = 1 - exp(-s_i) L_i
 * ```
 *
 * so each s_i settles at log L_i and the effective weight exp(-s_i) at 1/L_i.
 * The loss value can be negative; only its gradients matter. The s_i are
 * scalars, so AdamW's default exclusion leaves them out of weight decay.
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import type { ParamStore } from "../nn/params.ts";

/**
 * Static weighted sum `sum_name weights[name] * losses[name]`.
 *
 * @param losses scalar loss terms by name (e.g. `{ rec, con, kd }`).
 * @param weights a finite weight for every name in `losses`, and no others.
 * @returns scalar total, differentiable in every term.
 */
export function weightedLossSum(
  losses: Record<string, tf.Scalar>,
  weights: Record<string, number>,
): tf.Scalar {
  const names = Object.keys(losses);
  if (names.length === 0) {
    throw new Error("weightedLossSum: no loss terms given; pass at least one named scalar");
  }
  for (const name of names) {
    const w = weights[name];
    if (w === undefined) {
      throw new Error(
        `weightedLossSum: no weight for loss term "${name}"; add "${name}" to the weights ` +
          `(known: ${Object.keys(weights).join(", ") || "none"})`,
      );
    }
    if (!Number.isFinite(w)) {
      throw new RangeError(`weightedLossSum: weight of "${name}" must be finite, got ${w}`);
    }
    if (losses[name].rank !== 0) {
      throw new Error(
        `weightedLossSum: loss term "${name}" has shape [${losses[name].shape}]; reduce it ` +
          `to a scalar (e.g. tf.mean) first`,
      );
    }
  }
  for (const name of Object.keys(weights)) {
    if (!(name in losses)) {
      throw new Error(
        `weightedLossSum: weight "${name}" has no loss term; remove it or pass the term`,
      );
    }
  }
  return tf.tidy(() => tf.addN(names.map((n) => tf.mul(losses[n], weights[n]))) as tf.Scalar);
}

/**
 * Uncertainty-weighted sum `sum_i exp(-s_i) L_i + s_i` as a pure function.
 *
 * @param losses M scalar loss terms.
 * @param logVars [M] log-variances s_i.
 * @returns scalar, differentiable in the terms and in logVars.
 */
export function uncertaintyWeightedSum(losses: tf.Scalar[], logVars: tf.Tensor1D): tf.Scalar {
  if (logVars.rank !== 1 || logVars.shape[0] !== losses.length || losses.length === 0) {
    throw new Error(
      `uncertaintyWeightedSum: need one log-variance per loss term, got ${losses.length} ` +
        `terms and logVars of shape [${logVars.shape}]`,
    );
  }
  return tf.tidy(() => {
    const l = tf.stack(losses) as tf.Tensor1D;
    return tf.sum(tf.add(tf.mul(tf.exp(tf.neg(logVars)), l), logVars)) as tf.Scalar;
  });
}

/**
 * Learned loss weights (the KDC-MAE "dynamic weights" variant, kit's form:
 * see the module doc). Registers one scalar parameter `<prefix>.<term>` per
 * loss term in a {@link ParamStore}, so the optimizer updates it with the
 * model and checkpoints save it.
 */
export class UncertaintyWeighting {
  /** Term names, in order. */
  readonly names: readonly string[];
  readonly #logVars: tf.Variable[];

  /**
   * @param store where the log-variances live (e.g. the model's store).
   * @param names the loss terms, e.g. `["rec", "con", "kd"]`.
   * @param opts.prefix parameter-name prefix, default "lossWeights".
   * @param opts.initialLogVar initial s_i for all terms, default 0 (weight 1).
   */
  constructor(
    store: ParamStore,
    names: readonly string[],
    opts: { prefix?: string; initialLogVar?: number } = {},
  ) {
    if (names.length === 0 || new Set(names).size !== names.length) {
      throw new Error(
        `UncertaintyWeighting: term names must be non-empty and distinct, got [${names}]`,
      );
    }
    const init = opts.initialLogVar ?? 0;
    if (!Number.isFinite(init)) {
      throw new RangeError(`UncertaintyWeighting: initialLogVar must be finite, got ${init}`);
    }
    const prefix = opts.prefix ?? "lossWeights";
    this.names = [...names];
    this.#logVars = names.map((n) => {
      const v = store.param(`${prefix}.${n}`, [], { kind: "zeros" });
      if (init !== 0) tf.tidy(() => v.assign(tf.scalar(init)));
      return v;
    });
  }

  /**
   * `sum_i exp(-s_i) L_i + s_i` over the named terms; call inside the loss
   * closure so the s_i receive gradients.
   *
   * @param losses a scalar for every term name, and no others.
   */
  combine(losses: Record<string, tf.Scalar>): tf.Scalar {
    for (const name of Object.keys(losses)) {
      if (!this.names.includes(name)) {
        throw new Error(
          `UncertaintyWeighting.combine: unknown loss term "${name}"; known terms: ` +
            `${this.names.join(", ")}`,
        );
      }
    }
    const terms = this.names.map((n) => {
      const l = losses[n];
      if (l === undefined) {
        throw new Error(
          `UncertaintyWeighting.combine: missing loss term "${n}"; pass every term the ` +
            `weighting was built with (${this.names.join(", ")})`,
        );
      }
      return l;
    });
    return tf.tidy(() => uncertaintyWeightedSum(terms, tf.stack(this.#logVars) as tf.Tensor1D));
  }

  /** Current effective weights exp(-s_i) by name (for logging). */
  weights(): Record<string, number> {
    const out: Record<string, number> = {};
    this.names.forEach((n, i) => {
      out[n] = Math.exp(-this.#logVars[i].dataSync()[0]);
    });
    return out;
  }
}
