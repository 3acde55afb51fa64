/**
 * Weighted k-nearest-neighbour classifier on frozen features: the kNN monitor
 * of the MoCo CIFAR-10 demo (InstDisc style).
 *
 * Features are L2-normalised; for each test row the k most cosine-similar
 * training rows vote for their class with weight `exp(sim / T)`; the class
 * scores are the summed votes. Similarities are computed chunk by chunk
 * (`chunkSize x nTrain` at a time) so that memory stays bounded.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { checkFeatures, type FeatureMatrix, inferNumClasses } from "./feature_matrix.ts";
import { topKAccuracies } from "./topk.ts";

/** Options of {@link knnClassify}. */
export interface KnnOptions {
  /** Number of neighbours (MoCo demo: 200); clamped to the training-set size. */
  k?: number;
  /** Temperature T of the vote weights `exp(sim / T)` (MoCo demo: 0.1). */
  temperature?: number;
  /** Number of classes; default `max(label) + 1` over train and test labels. */
  numClasses?: number;
  /** Test rows per chunk (memory ~ chunkSize * nTrain floats); default 256. */
  chunkSize?: number;
}

/** Result of {@link knnClassify}. */
export interface KnnResult {
  /** Top-1 accuracy on the test rows, in [0, 1]. */
  top1: number;
  /** Top-5 accuracy on the test rows, in [0, 1] (1 when there are <= 5 classes). */
  top5: number;
  /** `[nTest*numClasses]` summed vote weights per class, row-major. */
  scores: Float32Array;
  /** Number of classes used. */
  numClasses: number;
}

function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12);
    return tf.div(x, norm) as tf.Tensor2D;
  });
}

/**
 * Classifies every test row by a weighted vote of its k nearest training rows.
 * train/test: feature matrices of equal `dim`; labels one per row.
 * Tensors are created and disposed internally; the result is plain arrays.
 */
export async function knnClassify(
  train: FeatureMatrix,
  trainLabels: Int32Array,
  test: FeatureMatrix,
  testLabels: Int32Array,
  opts: KnnOptions = {},
): Promise<KnnResult> {
  const numClasses = opts.numClasses ?? inferNumClasses(trainLabels, testLabels);
  checkFeatures(train, "knn (train)", trainLabels, numClasses);
  checkFeatures(test, "knn (test)", testLabels, numClasses);
  if (train.dim !== test.dim) {
    throw new Error(
      `knn: train features have dim ${train.dim}, test features ${test.dim}; ` +
        `extract both with the same encoder`,
    );
  }
  const temperature = opts.temperature ?? 0.1;
  const chunkSize = opts.chunkSize ?? 256;
  if (!(temperature > 0) || !(Number.isInteger(chunkSize) && chunkSize > 0)) {
    throw new RangeError(
      `knn: temperature must be > 0 and chunkSize a positive integer, got ${temperature} and ` +
        `${chunkSize}; defaults are 0.1 and 256`,
    );
  }
  const k = Math.min(opts.k ?? 200, train.count);
  if (!(Number.isInteger(k) && k > 0)) {
    throw new RangeError(`knn: k must be a positive integer, got ${opts.k}; default is 200`);
  }
  // Stored transposed, [dim, nTrain]: on wasm, matMul with transposeB is several times slower.
  const bank = tf.tidy(() =>
    tf.transpose(l2Normalize(tf.tensor2d(train.data, [train.count, train.dim])))
  );
  const bankLabels = tf.tensor1d(trainLabels, "int32");
  const scores = new Float32Array(test.count * numClasses);
  try {
    for (let start = 0; start < test.count; start += chunkSize) {
      const rows = Math.min(chunkSize, test.count - start);
      const chunkScores = tf.tidy(() => {
        const q = l2Normalize(
          tf.tensor2d(test.data.subarray(start * test.dim, (start + rows) * test.dim), [
            rows,
            test.dim,
          ]),
        );
        const sim = tf.matMul(q, bank);
        const { values, indices } = tf.topk(sim, k, true);
        const weights = tf.exp(tf.div(values, temperature));
        const votes = tf.oneHot(tf.gather(bankLabels, indices), numClasses);
        return tf.sum(tf.mul(votes, tf.expandDims(weights, 2)), 1);
      });
      scores.set((await chunkScores.data()) as Float32Array, start * numClasses);
      chunkScores.dispose();
    }
  } finally {
    tf.dispose([bank, bankLabels]);
  }
  const [top1, top5] = topKAccuracies(scores, numClasses, testLabels, [1, 5]);
  return { top1, top5, scores, numClasses };
}
