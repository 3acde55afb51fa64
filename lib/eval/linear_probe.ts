/**
 * Linear probe: softmax regression trained on frozen features, the standard
 * "linear evaluation" of self-supervised encoders (S-MAG F13-F15).
 *
 * Features are standardised with the training set's per-dimension mean and
 * standard deviation; the classifier is trained with mini-batch cross-entropy
 * (analytic gradients), Adam (decoupled weight decay, AdamW) or SGD with
 * momentum (L2 weight decay), and a cosine learning-rate schedule. Weights
 * start at zero (the problem is convex), and batches are drawn from a seeded
 * {@link Rng}, so the result is a function of the inputs and the seed.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { checkFeatures, type FeatureMatrix, inferNumClasses } from "./feature_matrix.ts";
import { topKAccuracies } from "./topk.ts";

/** Options of {@link trainLinearProbe}; every field has a default. */
export interface LinearProbeOptions {
  /** Passes over the training rows (default 30). */
  epochs?: number;
  /** Rows per mini-batch (default 256). */
  batchSize?: number;
  /** "adam" (AdamW, default) or "sgd" (momentum 0.9, Nesterov off). */
  optimizer?: "adam" | "sgd";
  /** Peak learning rate, decayed to 0 by a cosine (default 1e-3 for adam, 0.1 for sgd). */
  lr?: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** Weight decay on the weights, not the bias (default 1e-4). */
  weightDecay?: number;
  /** Seed of the batch order (default 0). */
  seed?: number;
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
  /** Mean training cross-entropy of each epoch. */
  epochLosses: number[];
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

function standardized(m: FeatureMatrix, mean: Float32Array, std: Float32Array): tf.Tensor2D {
  return tf.tidy(() =>
    tf.div(
      tf.sub(tf.tensor2d(m.data, [m.count, m.dim]), tf.tensor2d(mean, [1, m.dim])),
      tf.tensor2d(std, [1, m.dim]),
    ) as tf.Tensor2D
  );
}

/** Logits of standardised rows, read back as `[count*numClasses]`. */
async function predictScores(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
): Promise<Float32Array> {
  const logits = tf.tidy(() => tf.add(tf.matMul(x, w), b));
  const data = (await logits.data()) as Float32Array;
  logits.dispose();
  return data;
}

/**
 * Trains a softmax-regression probe on `train` and evaluates it on both sets.
 * train/test: feature matrices of equal `dim`; labels one per row.
 */
export async function trainLinearProbe(
  train: FeatureMatrix,
  trainLabels: Int32Array,
  test: FeatureMatrix,
  testLabels: Int32Array,
  opts: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  const numClasses = opts.numClasses ?? inferNumClasses(trainLabels, testLabels);
  checkFeatures(train, "linear_probe (train)", trainLabels, numClasses);
  checkFeatures(test, "linear_probe (test)", testLabels, numClasses);
  if (train.dim !== test.dim) {
    throw new Error(
      `linear_probe: train features have dim ${train.dim}, test features ${test.dim}; ` +
        `extract both with the same encoder`,
    );
  }
  const optimizer = opts.optimizer ?? "adam";
  const epochs = opts.epochs ?? 30;
  const batchSize = Math.min(opts.batchSize ?? 256, train.count);
  const peakLr = opts.lr ?? (optimizer === "adam" ? 1e-3 : 0.1);
  const momentum = opts.momentum ?? 0.9;
  const weightDecay = opts.weightDecay ?? 1e-4;
  if (!(Number.isInteger(epochs) && epochs > 0 && Number.isInteger(batchSize) && batchSize > 0)) {
    throw new RangeError(
      `linear_probe: epochs and batchSize must be positive integers, got ${epochs} and ` +
        `${batchSize}; defaults are 30 and 256`,
    );
  }
  if (!(peakLr > 0) || !(weightDecay >= 0) || !(momentum >= 0 && momentum < 1)) {
    throw new RangeError(
      `linear_probe: need lr > 0, weightDecay >= 0 and momentum in [0, 1), got ${peakLr}, ` +
        `${weightDecay}, ${momentum}`,
    );
  }
  const { mean, std } = featureStatistics(train);
  const d = train.dim;
  const rng = new Rng(opts.seed ?? 0);
  const xTrain = standardized(train, mean, std);
  const xTest = standardized(test, mean, std);
  const yTrain = tf.tensor1d(trainLabels, "int32");
  let w = tf.zeros([d, numClasses]) as tf.Tensor2D;
  let b = tf.zeros([numClasses]) as tf.Tensor1D;
  // Optimiser state: AdamW first/second moments, or SGD velocity (in m*).
  let mw = tf.zerosLike(w);
  let mb = tf.zerosLike(b);
  let vw = tf.zerosLike(w);
  let vb = tf.zerosLike(b);
  const stepsPerEpoch = Math.ceil(train.count / batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const epochLosses: number[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(train.count);
      let lossSum = tf.scalar(0);
      for (let s = 0; s < stepsPerEpoch; s++) {
        const idx = order.subarray(s * batchSize, Math.min((s + 1) * batchSize, train.count));
        const lr = 0.5 * peakLr * (1 + Math.cos((Math.PI * step) / totalSteps));
        step++;
        const next = tf.tidy(() => {
          const ids = tf.tensor1d(idx, "int32");
          const xb = tf.gather(xTrain, ids);
          const logits = tf.add(tf.matMul(xb, w), b);
          const logp = tf.logSoftmax(logits);
          const onehot = tf.oneHot(tf.gather(yTrain, ids), numClasses).toFloat();
          const loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1)));
          // d(mean CE)/d logits = (softmax - onehot) / batch.
          const g = tf.div(tf.sub(tf.exp(logp), onehot), idx.length);
          let gw: tf.Tensor = tf.matMul(xb, g, true, false);
          const gb = tf.sum(g, 0);
          if (optimizer === "sgd") {
            gw = tf.add(gw, tf.mul(w, weightDecay));
            const nmw = tf.add(tf.mul(mw, momentum), gw);
            const nmb = tf.add(tf.mul(mb, momentum), gb);
            return {
              w: tf.sub(w, tf.mul(nmw, lr)),
              b: tf.sub(b, tf.mul(nmb, lr)),
              mw: nmw,
              mb: nmb,
              vw: tf.clone(vw),
              vb: tf.clone(vb),
              loss: tf.add(lossSum, loss),
            };
          }
          const [b1, b2, eps] = [0.9, 0.999, 1e-8];
          const c1 = 1 - b1 ** step;
          const c2 = 1 - b2 ** step;
          const nmw = tf.add(tf.mul(mw, b1), tf.mul(gw, 1 - b1));
          const nmb = tf.add(tf.mul(mb, b1), tf.mul(gb, 1 - b1));
          const nvw = tf.add(tf.mul(vw, b2), tf.mul(tf.square(gw), 1 - b2));
          const nvb = tf.add(tf.mul(vb, b2), tf.mul(tf.square(gb), 1 - b2));
          const adam = (m: tf.Tensor, v: tf.Tensor) =>
            tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
          return {
            w: tf.sub(w, tf.mul(tf.add(adam(nmw, nvw), tf.mul(w, weightDecay)), lr)),
            b: tf.sub(b, tf.mul(adam(nmb, nvb), lr)),
            mw: nmw,
            mb: nmb,
            vw: nvw,
            vb: nvb,
            loss: tf.add(lossSum, loss),
          };
        });
        tf.dispose([w, b, mw, mb, vw, vb, lossSum]);
        w = next.w as tf.Tensor2D;
        b = next.b as tf.Tensor1D;
        [mw, vw] = [next.mw as tf.Tensor2D, next.vw as tf.Tensor2D];
        [mb, vb] = [next.mb as tf.Tensor1D, next.vb as tf.Tensor1D];
        lossSum = next.loss as tf.Scalar;
      }
      epochLosses.push((await lossSum.data())[0] / stepsPerEpoch);
      lossSum.dispose();
    }
    const trainScores = await predictScores(xTrain, w, b);
    const testScores = await predictScores(xTest, w, b);
    const [trainTop1, trainTop5] = topKAccuracies(trainScores, numClasses, trainLabels, [1, 5]);
    const [testTop1, testTop5] = topKAccuracies(testScores, numClasses, testLabels, [1, 5]);
    return {
      trainTop1,
      trainTop5,
      testTop1,
      testTop5,
      weights: (await w.data()) as Float32Array,
      bias: (await b.data()) as Float32Array,
      featureMean: mean,
      featureStd: std,
      epochLosses,
      numClasses,
    };
  } finally {
    tf.dispose([xTrain, xTest, yTrain, w, b, mw, mb, vw, vb]);
  }
}
