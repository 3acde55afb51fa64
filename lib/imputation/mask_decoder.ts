/**
 * The mask decoder of S-MAG section 3.4 (F10): a small MLP that predicts
 * every entry of a feature (or flattened pixel) matrix from its observed part
 * and its mask,
 *
 * ```
 * Xhat = Decoder( X * (1 - M), M ),   input = concat[X * (1 - M), M]  -> [2 * features]
 * ```
 *
 * NOTE mask convention: in F10-F12, M = 1 means MISSING and 0 observed, the
 * opposite of the masking module's token masks (F2, 1 = kept).
 *
 * The decoder works in standardised units: each column is shifted and scaled
 * by its observed mean and standard deviation (buffers set by
 * {@link trainMaskDecoder}), so "X * (1 - M)" puts a missing entry at its
 * column mean, and the output is mapped back to the original units.
 * Architecture: Linear(2d, hidden) -> ReLU -> [Linear(hidden, hidden) -> ReLU]
 * x (depth - 1) -> Linear(hidden, d).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { Linear } from "../nn/layers.ts";
import { type ParamStore, valueAndGrads } from "../nn/params.ts";
import { AdamW } from "../optim/adamw.ts";
import { Rng } from "../rng.ts";
import { checkMissingMatrix, type MissingMatrix } from "./missing_matrix.ts";

/** Size of a mask decoder. */
export interface MaskDecoderConfig {
  /** d, columns of the matrices it reconstructs. */
  features: number;
  /** Width of the hidden layers. */
  hidden: number;
  /** Number of hidden layers (>= 1). Default 2. */
  depth?: number;
}

/** F10 mask decoder (see module docs). All matrices are [N, features] float32, mask 1 = MISSING. */
export class MaskDecoder {
  readonly features: number;
  readonly layers: Linear[];
  /** Per-column shift of the standardisation, [features] (buffer). */
  readonly mean: tf.Variable;
  /** Per-column scale of the standardisation, [features] (buffer). */
  readonly std: tf.Variable;
  readonly #store: ParamStore;
  readonly #name: string;

  /** Registers `${name}.fc{i}.*` parameters and `${name}.mean`, `${name}.std` buffers. */
  constructor(store: ParamStore, name: string, cfg: MaskDecoderConfig) {
    const depth = cfg.depth ?? 2;
    for (
      const [field, v] of [["features", cfg.features], ["hidden", cfg.hidden], [
        "depth",
        depth,
      ]] as const
    ) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(
          `MaskDecoder: ${field} must be a positive integer, got ${v}; fix the decoder config`,
        );
      }
    }
    this.features = cfg.features;
    this.#store = store;
    this.#name = name;
    this.layers = [];
    let width = 2 * cfg.features;
    for (let i = 0; i < depth; i++) {
      this.layers.push(
        new Linear(store, `${name}.fc${i}`, { inFeatures: width, outFeatures: cfg.hidden }),
      );
      width = cfg.hidden;
    }
    this.layers.push(
      new Linear(store, `${name}.fc${depth}`, { inFeatures: width, outFeatures: cfg.features }),
    );
    this.mean = store.buffer(`${name}.mean`, [cfg.features], { kind: "zeros" });
    this.std = store.buffer(`${name}.std`, [cfg.features], { kind: "ones" });
  }

  /** The decoder's trainable parameters by name. */
  params(): Map<string, tf.Variable> {
    return this.#store.paramsUnder(`${this.#name}.`);
  }

  /**
   * F10 in standardised units: z [N,d] (standardised X, values at missing
   * entries ignored), missing [N,d] (1 = MISSING) -> standardised Xhat [N,d].
   */
  reconstructStandardised(z: tf.Tensor2D, missing: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      this.#checkShape(z, missing);
      const isMissing = tf.greater(missing, 0.5);
      // X * (1 - M), written with `where` so that NaN placeholders at missing entries vanish.
      const observed = tf.where(isMissing, tf.zerosLike(z), z);
      let h = tf.concat([observed, tf.cast(isMissing, "float32")], 1) as tf.Tensor2D;
      this.layers.forEach((layer, i) => {
        h = layer.apply(h);
        if (i < this.layers.length - 1) h = tf.relu(h);
      });
      return h;
    });
  }

  /** F10: x [N,d] (missing entries ignored, may be NaN), missing [N,d] (1 = MISSING) -> Xhat [N,d]. */
  reconstruct(x: tf.Tensor2D, missing: tf.Tensor2D): tf.Tensor2D {
    this.#checkShape(x, missing);
    return tf.tidy(() => {
      const z = tf.div(tf.sub(x, this.mean), this.std) as tf.Tensor2D;
      return tf.add(tf.mul(this.reconstructStandardised(z, missing), this.std), this.mean);
    });
  }

  /**
   * Imputation by the decoder alone: observed entries of `m` unchanged,
   * missing ones (mask 1 = MISSING) replaced by Xhat. Returns [rows, cols].
   */
  impute(m: MissingMatrix): Float32Array {
    checkMissingMatrix(m, "MaskDecoder.impute");
    const xhat = tf.tidy(() => {
      const x = tf.tensor2d(m.values, [m.rows, m.cols]);
      const mask = tf.tensor2d(Float32Array.from(m.missing), [m.rows, m.cols]);
      return this.reconstruct(x, mask);
    });
    const full = xhat.dataSync() as Float32Array;
    xhat.dispose();
    const out = new Float32Array(m.values.length);
    for (let p = 0; p < out.length; p++) out[p] = m.missing[p] === 1 ? full[p] : m.values[p];
    return out;
  }

  /** Multiply-adds per row. */
  macs(): number {
    return this.layers.reduce((s, l) => s + l.macs(), 0);
  }

  #checkShape(z: tf.Tensor2D, missing: tf.Tensor2D): void {
    if (z.shape[1] !== this.features || missing.shape.join(",") !== z.shape.join(",")) {
      throw new Error(
        `MaskDecoder expects x and missing of shape [N, ${this.features}], got [${z.shape}] and ` +
          `[${missing.shape}]; build the decoder with features = the matrix's columns`,
      );
    }
  }
}

/** Options of {@link trainMaskDecoder}. */
export interface MaskDecoderTrainOptions {
  /** Optimiser steps. Default 400. */
  steps?: number;
  /** Rows per step. Default 64. */
  batchSize?: number;
  /** Probability that an observed entry is hidden (made MISSING) in a training batch. Default 0.3. */
  missingRate?: number;
  /** AdamW learning rate. Default 3e-3. */
  lr?: number;
  /** AdamW weight decay. Default 0. */
  weightDecay?: number;
  /** Seed of batch and mask sampling. Default 0. */
  seed?: number;
}

/**
 * Fits `decoder` by random masking: sets its standardisation from the
 * observed entries of `data` (mask 1 = MISSING; pass an all-zero mask for
 * complete data), then repeatedly hides a random `missingRate` of the
 * observed entries of a batch and minimises the mean squared error
 * (standardised units) on the hidden entries only. Entries already missing
 * in `data` are inputs-as-missing and never targets.
 *
 * @returns the loss of every step.
 */
export function trainMaskDecoder(
  decoder: MaskDecoder,
  data: MissingMatrix,
  opts: MaskDecoderTrainOptions = {},
): { losses: number[] } {
  checkMissingMatrix(data, "trainMaskDecoder");
  if (data.cols !== decoder.features) {
    throw new Error(
      `trainMaskDecoder: data has ${data.cols} columns but the decoder expects ${decoder.features}; ` +
        `build the decoder with features = ${data.cols}`,
    );
  }
  const steps = opts.steps ?? 400;
  const batch = Math.min(opts.batchSize ?? 64, data.rows);
  const rate = opts.missingRate ?? 0.3;
  if (!(rate > 0 && rate < 1)) {
    throw new Error(`trainMaskDecoder: missingRate must lie in (0, 1), got ${rate}; e.g. 0.3`);
  }
  const { rows, cols, values, missing } = data;
  // Standardisation from observed entries.
  const mean = new Float32Array(cols);
  const std = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    let s2 = 0;
    let n = 0;
    for (let i = 0; i < rows; i++) {
      if (missing[i * cols + j] === 0) {
        const v = values[i * cols + j];
        s += v;
        s2 += v * v;
        n++;
      }
    }
    if (n === 0) {
      throw new Error(
        `trainMaskDecoder: column ${j} has no observed entry; drop it or train on data that observes it`,
      );
    }
    mean[j] = s / n;
    std[j] = Math.sqrt(Math.max(s2 / n - (s / n) ** 2, 0)) || 1;
  }
  tf.tidy(() => {
    decoder.mean.assign(tf.tensor1d(mean));
    decoder.std.assign(tf.tensor1d(std));
  });
  const standardised = new Float32Array(values.length);
  for (let p = 0; p < values.length; p++) {
    standardised[p] = missing[p] === 1 ? 0 : (values[p] - mean[p % cols]) / std[p % cols];
  }

  const rng = new Rng(opts.seed ?? 0);
  const optim = new AdamW({ lr: opts.lr ?? 3e-3, weightDecay: opts.weightDecay ?? 0 });
  const params = decoder.params();
  const losses: number[] = [];
  const z = new Float32Array(batch * cols);
  const inputMissing = new Float32Array(batch * cols);
  const target = new Float32Array(batch * cols);
  for (let step = 0; step < steps; step++) {
    let hidden = 0;
    for (let b = 0; b < batch; b++) {
      const i = rng.int(rows);
      for (let j = 0; j < cols; j++) {
        const p = i * cols + j;
        const q = b * cols + j;
        z[q] = standardised[p];
        const hide = missing[p] === 0 && rng.bernoulli(rate);
        inputMissing[q] = missing[p] === 1 || hide ? 1 : 0;
        target[q] = hide ? 1 : 0;
        hidden += target[q];
      }
    }
    if (hidden === 0) continue;
    const loss = tf.tidy(() => {
      const zt = tf.tensor2d(z, [batch, cols]);
      const mt = tf.tensor2d(inputMissing, [batch, cols]);
      const tt = tf.tensor2d(target, [batch, cols]);
      const { value, grads } = valueAndGrads(() => {
        const err = tf.square(tf.sub(decoder.reconstructStandardised(zt, mt), zt));
        return tf.div(tf.sum(tf.mul(err, tt)), hidden) as tf.Scalar;
      }, params);
      optim.step(grads, params);
      return value;
    });
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  optim.dispose();
  return { losses };
}
