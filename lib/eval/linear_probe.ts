/**
 * Linear probe: multinomial logistic regression on frozen features, the standard "linear
 * evaluation" of self-supervised encoders (S-MAG F13-F15), solved to convergence.
 *
 * Features are standardised with the training rows' per-dimension mean and standard deviation.
 * The probe minimises the mean training cross-entropy plus an L2 penalty on the weights (not the
 * bias), `(1/n) sum_i CE_i + ||W||^2 / (2 C n)`: scikit-learn's `LogisticRegression(C)` objective
 * (multinomial, lbfgs), so both find the same optimum. It is solved by L-BFGS
 * ({@link minimizeLbfgs}) from zero weights until the largest gradient entry is below `tol`
 * (default 1e-4, scikit-learn's `tol`) or `maxIter` iterations. The problem is strictly convex,
 * so the result depends only on the features, labels and `C`: no seed, no schedule, no epochs.
 *
 * @module
 */
import { minimizeLbfgs } from "../optim/lbfgs.ts";
import { checkFeatures, type FeatureMatrix, inferNumClasses } from "./feature_matrix.ts";
import { topKAccuracies } from "./topk.ts";

/** Options of {@link trainLinearProbe}; every field has a default. */
export interface LinearProbeOptions {
  /** Inverse regularisation strength `C` (default 1, scikit-learn's default). */
  c?: number;
  /** L-BFGS iteration cap (default 1000). */
  maxIter?: number;
  /** Gradient tolerance (largest entry) for convergence (default 1e-4). */
  tol?: number;
  /** Number of classes; default `max(label) + 1` over train and test labels. */
  numClasses?: number;
}

/** The trained probe and its accuracies. */
export interface LinearProbeResult {
  /** Top-1 / top-5 accuracy on the training rows, in [0, 1]. */
  trainTop1: number;
  trainTop5: number;
  /** Top-1 / top-5 accuracy on the test rows, in [0, 1]. */
  testTop1: number;
  testTop5: number;
  /** `[dim*numClasses]` weights (row = feature), applied to standardised features. */
  weights: Float32Array;
  /** `[numClasses]` bias. */
  bias: Float32Array;
  /** `[dim]` training mean and standard deviation used to standardise features. */
  featureMean: Float32Array;
  featureStd: Float32Array;
  /** Objective value at the solution (mean cross-entropy + penalty). */
  objective: number;
  /** L-BFGS iterations taken. */
  iterations: number;
  /** True when the gradient tolerance (or float64 progress limit) was reached before `maxIter`. */
  converged: boolean;
  numClasses: number;
}

/** Per-dimension mean and standard deviation (std below 1e-6 is replaced by 1). */
export function featureStatistics(m: FeatureMatrix): { mean: Float32Array; std: Float32Array } {
  const mean = new Float64Array(m.dim);
  const sq = new Float64Array(m.dim);
  for (let i = 0; i < m.count; i++) {
    for (let j = 0; j < m.dim; j++) mean[j] += m.data[i * m.dim + j];
  }
  for (let j = 0; j < m.dim; j++) mean[j] /= m.count;
  for (let i = 0; i < m.count; i++) {
    for (let j = 0; j < m.dim; j++) sq[j] += (m.data[i * m.dim + j] - mean[j]) ** 2;
  }
  const std = Float32Array.from(sq, (s) => {
    const v = Math.sqrt(s / m.count);
    return v < 1e-6 ? 1 : v;
  });
  return { mean: Float32Array.from(mean), std };
}

function standardize(m: FeatureMatrix, mean: Float32Array, std: Float32Array): Float64Array {
  const out = new Float64Array(m.count * m.dim);
  for (let i = 0; i < m.count; i++) {
    for (let j = 0; j < m.dim; j++) {
      out[i * m.dim + j] = (m.data[i * m.dim + j] - mean[j]) / std[j];
    }
  }
  return out;
}

/** Logits `x W + b` of `count` standardised rows, `[count*k]`. */
function logits(x: Float64Array, count: number, d: number, k: number, theta: Float64Array) {
  const out = new Float64Array(count * k);
  const bOff = d * k;
  for (let i = 0; i < count; i++) {
    const row = out.subarray(i * k, (i + 1) * k);
    for (let c = 0; c < k; c++) row[c] = theta[bOff + c];
    for (let j = 0; j < d; j++) {
      const v = x[i * d + j];
      if (v === 0) continue;
      const w = j * k;
      for (let c = 0; c < k; c++) row[c] += v * theta[w + c];
    }
  }
  return out;
}

/**
 * The probe's objective over `theta = [W (d x k, row-major), b (k)]`: mean cross-entropy of the
 * standardised rows plus `lambda / 2 * ||W||^2`, with its gradient written into `grad`.
 */
function objective(
  x: Float64Array,
  labels: Int32Array,
  d: number,
  k: number,
  lambda: number,
): (theta: Float64Array, grad: Float64Array) => number {
  const n = labels.length;
  const probs = new Float64Array(k);
  return (theta, grad) => {
    const z = logits(x, n, d, k, theta);
    grad.fill(0);
    let loss = 0;
    const bOff = d * k;
    for (let i = 0; i < n; i++) {
      const row = z.subarray(i * k, (i + 1) * k);
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, row[c]);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        probs[c] = Math.exp(row[c] - max);
        sum += probs[c];
      }
      loss += Math.log(sum) + max - row[labels[i]];
      // d CE / d logits = softmax - onehot (divided by n below).
      for (let c = 0; c < k; c++) probs[c] /= sum;
      probs[labels[i]] -= 1;
      for (let c = 0; c < k; c++) grad[bOff + c] += probs[c];
      for (let j = 0; j < d; j++) {
        const v = x[i * d + j];
        if (v === 0) continue;
        const w = j * k;
        for (let c = 0; c < k; c++) grad[w + c] += v * probs[c];
      }
    }
    let penalty = 0;
    for (let p = 0; p < bOff; p++) {
      grad[p] = grad[p] / n + lambda * theta[p];
      penalty += theta[p] * theta[p];
    }
    for (let c = 0; c < k; c++) grad[bOff + c] /= n;
    return loss / n + 0.5 * lambda * penalty;
  };
}

/**
 * Fits the probe on `train` and evaluates it on both sets (see module docs).
 * train/test: feature matrices of equal `dim`; labels one per row.
 */
export function trainLinearProbe(
  train: FeatureMatrix,
  trainLabels: Int32Array,
  test: FeatureMatrix,
  testLabels: Int32Array,
  opts: LinearProbeOptions = {},
): LinearProbeResult {
  const numClasses = opts.numClasses ?? inferNumClasses(trainLabels, testLabels);
  checkFeatures(train, "linear_probe (train)", trainLabels, numClasses);
  checkFeatures(test, "linear_probe (test)", testLabels, numClasses);
  if (train.dim !== test.dim) {
    throw new Error(
      `linear_probe: train features have dim ${train.dim}, test features ${test.dim}; ` +
        `extract both with the same encoder`,
    );
  }
  const c = opts.c ?? 1;
  const maxIter = opts.maxIter ?? 1000;
  const tol = opts.tol ?? 1e-4;
  if (!(c > 0 && Number.isFinite(c)) || !(Number.isInteger(maxIter) && maxIter > 0) || !(tol > 0)) {
    throw new RangeError(
      `linear_probe: need C > 0 (--linear-c), an integer maxIter > 0 (--linear-max-iter) and ` +
        `tol > 0, got ${c}, ${maxIter}, ${tol}; defaults are 1, 1000 and 1e-4`,
    );
  }
  const { mean, std } = featureStatistics(train);
  const d = train.dim;
  const k = numClasses;
  const xTrain = standardize(train, mean, std);
  const fit = minimizeLbfgs(
    objective(xTrain, trainLabels, d, k, 1 / (c * train.count)),
    new Float64Array(d * k + k),
    { maxIter, gradTol: tol },
  );
  const scores = (x: Float64Array, count: number) =>
    Float32Array.from(logits(x, count, d, k, fit.x));
  const [trainTop1, trainTop5] = topKAccuracies(scores(xTrain, train.count), k, trainLabels, [
    1,
    5,
  ]);
  const xTest = standardize(test, mean, std);
  const [testTop1, testTop5] = topKAccuracies(scores(xTest, test.count), k, testLabels, [1, 5]);
  return {
    trainTop1,
    trainTop5,
    testTop1,
    testTop5,
    weights: Float32Array.from(fit.x.subarray(0, d * k)),
    bias: Float32Array.from(fit.x.subarray(d * k)),
    featureMean: mean,
    featureStd: std,
    objective: fit.value,
    iterations: fit.iterations,
    converged: fit.converged,
    numClasses,
  };
}
