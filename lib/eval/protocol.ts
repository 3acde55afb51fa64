/**
 * The evaluation protocol run after every pre-training: features of the
 * frozen encoder (backbone + neck, before the projection head), then a
 * weighted kNN classifier (k=200, T=0.1, as the MoCo CIFAR monitor) and a
 * linear probe (L2-regularised multinomial logistic regression on standardised
 * features, solved to convergence by L-BFGS; S-MAG F13-F15), each reporting
 * top-1 and top-5 on the test split, and two collapse diagnostics of the test features
 * (feature_spread.ts: normalised std and effective rank).
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import type { ImageSplit } from "../data/dataset.ts";
import type { ChannelStats } from "../augment/normalize.ts";
import { extractFeatures } from "./features.ts";
import { knnClassify } from "./knn.ts";
import { trainLinearProbe } from "./linear_probe.ts";
import { featureSpread } from "./feature_spread.ts";

/** Inputs of {@link evaluateRepresentation}. */
export interface RepresentationEvalOptions {
  /** Frozen encoder, evaluation mode: normalised [N,H,W,C] -> [N,D]. */
  encode: (x: tf.Tensor4D) => tf.Tensor2D;
  /** Labelled images the kNN and the probe fit on. */
  train: ImageSplit;
  test: ImageSplit;
  imageShape: [number, number, number];
  numClasses: number;
  /** Input normalisation (training-set statistics). */
  stats: ChannelStats;
  knnK: number;
  knnTemperature: number;
  /** Inverse L2 strength of the linear probe (scikit-learn's C). */
  linearC: number;
  /** L-BFGS iteration cap of the probe. */
  linearMaxIter: number;
  batchSize?: number;
}

/** Accuracies as fractions in [0,1]. */
export interface RepresentationEval {
  knnTop1: number;
  knnTop5: number;
  linearTop1: number;
  linearTop5: number;
  linearTrainTop1: number;
  featureDim: number;
  /** L-BFGS iterations of the probe and whether it converged before its cap. */
  linearIterations: number;
  linearConverged: boolean;
  /** Normalised std of the test features (about 1 spread out, 0 collapsed). */
  featureStd: number;
  /** Effective rank (RankMe) of the test features, in [1, featureDim]. */
  featureRank: number;
}

/** Extracts features once and runs kNN and the linear probe on them. */
export async function evaluateRepresentation(
  opts: RepresentationEvalOptions,
): Promise<RepresentationEval> {
  const feat = {
    batchSize: opts.batchSize ?? 256,
    imageShape: opts.imageShape,
    normalize: opts.stats,
  };
  const train = await extractFeatures(opts.encode, opts.train, feat);
  const test = await extractFeatures(opts.encode, opts.test, feat);
  const knn = await knnClassify(train, opts.train.labels, test, opts.test.labels, {
    k: Math.min(opts.knnK, train.count),
    temperature: opts.knnTemperature,
    numClasses: opts.numClasses,
  });
  const probe = trainLinearProbe(train, opts.train.labels, test, opts.test.labels, {
    c: opts.linearC,
    maxIter: opts.linearMaxIter,
    numClasses: opts.numClasses,
  });
  const spread = featureSpread(test);
  return {
    knnTop1: knn.top1,
    knnTop5: knn.top5,
    linearTop1: probe.testTop1,
    linearTop5: probe.testTop5,
    linearTrainTop1: probe.trainTop1,
    featureDim: train.dim,
    linearIterations: probe.iterations,
    linearConverged: probe.converged,
    featureStd: spread.std,
    featureRank: spread.rank,
  };
}
