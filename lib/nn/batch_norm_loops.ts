/**
 * Training-mode batch normalisation as plain loops over float32 arrays: the forward pass in
 * one read of `x` plus one write of `y`, the backward pass in two reads of `x`/`dy` plus one
 * write of `dx` (the composed tf-op version makes about 23 passes). Data is viewed as a
 * row-major `[R, C]` matrix (channels last: R = N*H*W for an NHWC map); per-channel sums are
 * accumulated in float64.
 *
 * These loops are the `cpu` backend's fused batch-norm kernels (and the native backend's
 * fallback); see `batch_norm_kernels.ts`.
 *
 * @module
 */

/** Outputs of {@link batchNormForwardLoops}. */
export interface BatchNormForwardArrays {
  /** [R*C] normalised, scaled and shifted values. */
  y: Float32Array;
  /** [C] batch mean. */
  mean: Float32Array;
  /** [C] biased batch variance (divided by R). */
  variance: Float32Array;
}

/** Outputs of {@link batchNormBackwardLoops}. */
export interface BatchNormBackwardArrays {
  /** [R*C] gradient of the input. */
  dx: Float32Array;
  /** [C] gradient of the scale. */
  dgamma: Float32Array;
  /** [C] gradient of the shift. */
  dbeta: Float32Array;
}

/**
 * Forward pass: `y = (x - mean) / sqrt(variance + eps) * gamma + beta` with the batch
 * statistics of each of the C channels over the R rows. Sums are taken about the first row
 * (shifted data), so a large mean does not cancel the variance.
 *
 * @param x [R*C] row-major.
 * @param gamma [C]; beta [C].
 * @param out optional output arrays to write into (lengths R*C, C, C).
 */
export function batchNormForwardLoops(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  out?: Partial<BatchNormForwardArrays>,
): BatchNormForwardArrays {
  const c = gamma.length;
  const rows = x.length / c;
  const y = out?.y ?? new Float32Array(x.length);
  const mean = out?.mean ?? new Float32Array(c);
  const variance = out?.variance ?? new Float32Array(c);
  const pivot = new Float64Array(c);
  const s = new Float64Array(c);
  const ss = new Float64Array(c);
  if (rows > 0) { for (let j = 0; j < c; j++) pivot[j] = x[j]; }
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    for (let j = 0; j < c; j++) {
      const d = x[base + j] - pivot[j];
      s[j] += d;
      ss[j] += d * d;
    }
  }
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const m = s[j] / rows;
    const v = Math.max(ss[j] / rows - m * m, 0);
    const mu = pivot[j] + m;
    mean[j] = mu;
    variance[j] = v;
    scale[j] = gamma[j] / Math.sqrt(v + eps);
    shift[j] = beta[j] - mu * scale[j];
  }
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    for (let j = 0; j < c; j++) y[base + j] = x[base + j] * scale[j] + shift[j];
  }
  return { y, mean, variance };
}

/**
 * Backward pass of {@link batchNormForwardLoops}, including the gradients that reach the
 * `mean` and `variance` outputs (`dmean`, `dvariance`; zeros when they feed no loss):
 *
 * `dx = gamma*invstd/R * (R*dy - sum(dy) - xhat*sum(dy*xhat)) + dmean/R + 2*dvariance*(x-mean)/R`,
 * `dgamma = sum(dy*xhat)`, `dbeta = sum(dy)`, with `xhat = (x - mean)*invstd` and
 * `invstd = 1/sqrt(variance + eps)`.
 *
 * @param x, dy [R*C]; mean, variance, gamma, dmean, dvariance [C].
 * @param out optional output arrays to write into (lengths R*C, C, C).
 */
export function batchNormBackwardLoops(
  x: Float32Array,
  dy: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  dmean: Float32Array,
  dvariance: Float32Array,
  eps: number,
  out?: Partial<BatchNormBackwardArrays>,
): BatchNormBackwardArrays {
  const c = gamma.length;
  const rows = x.length / c;
  const dx = out?.dx ?? new Float32Array(x.length);
  const dgamma = out?.dgamma ?? new Float32Array(c);
  const dbeta = out?.dbeta ?? new Float32Array(c);
  const sdy = new Float64Array(c);
  const sdyd = new Float64Array(c); // sum(dy * (x - mean))
  const mu = Float64Array.from(mean);
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    for (let j = 0; j < c; j++) {
      const g = dy[base + j];
      sdy[j] += g;
      sdyd[j] += g * (x[base + j] - mu[j]);
    }
  }
  // dx = a*dy + k*x + b per channel.
  const a = new Float64Array(c);
  const k = new Float64Array(c);
  const b = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const inv = 1 / Math.sqrt(variance[j] + eps);
    const sdyXhat = sdyd[j] * inv;
    dgamma[j] = sdyXhat;
    dbeta[j] = sdy[j];
    a[j] = gamma[j] * inv;
    k[j] = (-a[j] * inv * sdyXhat + 2 * dvariance[j]) / rows;
    b[j] = (-a[j] * sdy[j] + dmean[j]) / rows - k[j] * mu[j];
  }
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    for (let j = 0; j < c; j++) {
      dx[base + j] = a[j] * dy[base + j] + k[j] * x[base + j] + b[j];
    }
  }
  return { dx, dgamma, dbeta };
}
