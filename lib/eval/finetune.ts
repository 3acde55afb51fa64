/**
 * Fine-tuning with a label budget: the pretrained backbone + neck and a new
 * linear classifier are trained end to end with cross-entropy on a small,
 * class-balanced labelled subset (e.g. CIFAR-10 with 4,000 labels), then
 * evaluated on the test split. Light augmentation (crop + flip) as in the
 * semi-supervised protocols.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { ImageSplit } from "../data/dataset.ts";
import { toFloatBatch } from "../augment/float_batch.ts";
import { makeView, type ViewRecipe } from "../augment/views.ts";
import type { ChannelStats } from "../augment/normalize.ts";
import { buildEncoder, type EncoderConfig } from "../models/encoder.ts";
import { Linear } from "../nn/layers.ts";
import { ParamStore, valueAndGrads } from "../nn/params.ts";
import { AdamW } from "../optim/adamw.ts";
import { warmupCosine } from "../optim/schedule.ts";
import { epochRng, stepRng } from "../train/step_rng.ts";
import { classifyTopK } from "./classify.ts";

/** Options of {@link finetune}. */
export interface FinetuneOptions {
  /** Encoder config of the pretrained model (its head is dropped). */
  encoder: EncoderConfig;
  /** Pretrained variables by name (`backbone.*`, `neck.*`; others are ignored). */
  weights: Map<string, tf.Tensor>;
  /** The labelled budget subset. */
  train: ImageSplit;
  test: ImageSplit;
  imageShape: [number, number, number];
  numClasses: number;
  stats: ChannelStats;
  epochs: number;
  batchSize: number;
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  weightDecay?: number;
  seed: number;
  log?: (line: string) => void;
}

/** Test accuracy after fine-tuning. */
export interface FinetuneResult {
  top1: number;
  top5: number;
  labels: number;
  epochs: number;
  seconds: number;
}

/** Fine-tunes a copy of the pretrained encoder; the given weights are not modified. */
export async function finetune(opts: FinetuneOptions): Promise<FinetuneResult> {
  const start = performance.now();
  const store = new ParamStore(opts.seed + 1);
  try {
    const enc = buildEncoder(store, { backbone: opts.encoder.backbone, neck: opts.encoder.neck });
    const classifier = new Linear(store, "classifier", {
      inFeatures: enc.neck.outFeatures,
      outFeatures: opts.numClasses,
    });
    for (const [name, v] of store.allVariables()) {
      const w = opts.weights.get(name);
      if (w) v.assign(w);
      else if (!name.startsWith("classifier.")) {
        throw new Error(
          `finetune: pretrained weights lack "${name}"; pass the trained encoder's state`,
        );
      }
    }
    const recipe: ViewRecipe = {
      crop: { scale: [0.5, 1], ratio: [3 / 4, 4 / 3] },
      flipProb: 0.5,
      colorJitter: null,
      grayscaleProb: 0,
      blur: null,
      normalize: opts.stats,
    };
    const batch = Math.min(opts.batchSize, opts.train.count);
    const perEpoch = Math.max(1, Math.floor(opts.train.count / batch));
    const total = perEpoch * opts.epochs;
    const lr = opts.lr ?? 1e-3;
    const schedule = warmupCosine({
      baseLr: lr,
      warmupSteps: Math.min(perEpoch, total - 1),
      totalSteps: total,
    });
    const optimizer = new AdamW({ lr, weightDecay: opts.weightDecay ?? 0.05 });
    const params = store.params();
    let step = 0;
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = epochRng(opts.seed + 7919, epoch).permutation(opts.train.count);
      let lossSum = 0;
      for (let s = 0; s < perEpoch; s++) {
        const idx = order.subarray(s * batch, (s + 1) * batch);
        const raw = toFloatBatch(opts.train, idx, opts.imageShape);
        const x = makeView(raw, recipe, stepRng(opts.seed + 7919, epoch, s));
        const y = tf.oneHot(
          tf.tensor1d(Int32Array.from(idx, (i) => opts.train.labels[i]), "int32"),
          opts.numClasses,
        );
        const { value, grads } = valueAndGrads(() => {
          const logits = classifier.apply(enc.embed(x, { training: true }));
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        }, params);
        optimizer.step(grads, params, schedule(step++));
        lossSum += (await value.data())[0];
        tf.dispose([raw, x, y, value, ...grads.values()]);
      }
      opts.log?.(
        `finetune epoch ${epoch + 1}/${opts.epochs} loss ${(lossSum / perEpoch).toFixed(4)}`,
      );
    }
    optimizer.dispose();
    const { top1, top5 } = await classifyTopK(
      (x) => classifier.apply(enc.embed(x, { training: false })),
      opts.test,
      opts.imageShape,
      opts.stats,
    );
    return {
      top1,
      top5,
      labels: opts.train.count,
      epochs: opts.epochs,
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    store.dispose();
  }
}
