/**
 * Composes the augmentation pipeline that turns a batch of images into one
 * or two random "views" for contrastive self-supervised learning.
 *
 * Order (SimCLR / MoCo v2): random resized crop -> horizontal flip -> colour
 * jitter (with probability) -> grayscale (with probability) -> Gaussian blur
 * (with probability) -> per-channel normalisation. All randomness comes from
 * the {@link Rng} passed in, so the same seed gives the same views.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { type ColorJitterOptions, randomColorJitter, sampleColorJitter } from "./color_jitter.ts";
import { randomHorizontalFlip, sampleFlips } from "./flip.ts";
import { type GaussianBlurOptions, randomGaussianBlur } from "./gaussian_blur.ts";
import { checkRgb, randomGrayscale, sampleGrayscaleFlags } from "./grayscale.ts";
import {
  type ChannelStats,
  checkChannelStats,
  CIFAR10_STATS,
  normalizeChannels,
} from "./normalize.ts";
import { applyHostViewPlan, type HostViewPlan } from "./host_views.ts";
import type { ViewWorker } from "./view_worker.ts";
import { type ComputeEngine, defaultComputeEngine, readOnHost } from "../backend/host_engine.ts";
import {
  applyCrops,
  type RandomResizedCropOptions,
  sampleCropBoxes,
} from "./random_resized_crop.ts";

/** Which transforms a view uses and with what strengths; `null` turns a step off. */
export interface ViewRecipe {
  /** Random resized crop (output size = input size). */
  crop: RandomResizedCropOptions | null;
  /** Probability of a horizontal flip (0 = never). */
  flipProb: number;
  /** Colour jitter, applied with its own `prob`. */
  colorJitter: ColorJitterOptions | null;
  /** Probability of converting to grayscale (0 = never; needs RGB input). */
  grayscaleProb: number;
  /** Gaussian blur, applied with its own `prob`. */
  blur: GaussianBlurOptions | null;
  /** Per-channel normalisation applied last. */
  normalize: ChannelStats | null;
}

/**
 * The SimCLR / MoCo CIFAR-10 recipe: crop area (0.08, 1) unless `opts.cropScale`, ratio (3/4, 4/3),
 * flip 0.5, jitter (0.4, 0.4, 0.4, 0.1) with p 0.8 in random order,
 * grayscale 0.2, no blur, CIFAR-10 normalisation (pass other `stats` for
 * other data). For 1-channel data (`stats` with one mean) the steps that need
 * colour are left out: jitter is brightness and contrast only (0.4, 0.4,
 * p 0.8) and there is no grayscale step.
 */
export function simclrCifarRecipe(
  stats: ChannelStats = CIFAR10_STATS,
  opts: { cropScale?: [number, number] } = {},
): ViewRecipe {
  const gray = stats.mean.length === 1;
  return {
    crop: { scale: opts.cropScale ?? [0.08, 1], ratio: [3 / 4, 4 / 3] },
    flipProb: 0.5,
    colorJitter: {
      brightness: 0.4,
      contrast: 0.4,
      saturation: gray ? 0 : 0.4,
      hue: gray ? 0 : 0.1,
      prob: 0.8,
      randomOrder: true,
    },
    grayscaleProb: gray ? 0 : 0.2,
    blur: null,
    normalize: { mean: [...stats.mean], std: [...stats.std] },
  };
}

/** No augmentation, only normalisation: the view used for evaluation and feature extraction. */
export function evalRecipe(stats: ChannelStats = CIFAR10_STATS): ViewRecipe {
  return {
    crop: null,
    flipProb: 0,
    colorJitter: null,
    grayscaleProb: 0,
    blur: null,
    normalize: { mean: [...stats.mean], std: [...stats.std] },
  };
}

/**
 * One random view of every image of the batch.
 * x: `[N,H,W,C]` float32 in [0,1] (not modified, not disposed);
 * returns a new `[N,H,W,C]` float32 tensor. `engine`: `"host"`, the loops of
 * lib/augment/host_views.ts (CPU backends), or `"tensor"`, tfjs ops; both draw the same
 * parameters from the rng in the same order and give the same views up to float rounding.
 * Default: lib/backend/host_engine.ts `defaultComputeEngine()`.
 */
export function makeView(
  x: tf.Tensor4D,
  recipe: ViewRecipe,
  rng: Rng,
  engine: ComputeEngine = defaultComputeEngine(),
): tf.Tensor4D {
  checkFloatImages(x);
  if (engine === "host") return makeViewOnHost(x, recipe, rng);
  const steps: Array<(t: tf.Tensor4D) => tf.Tensor4D> = [];
  const { crop, colorJitter, blur, normalize } = recipe;
  const [n, h, w] = x.shape;
  if (crop) {
    // Crop and flip in one crop-and-resize call (a flip is a crop with swapped columns).
    steps.push((t) => {
      const boxes = sampleCropBoxes(rng, n, h, w, crop);
      const flips = recipe.flipProb > 0 ? sampleFlips(rng, n, recipe.flipProb) : undefined;
      return applyCrops(t, boxes, [h, w], flips);
    });
  } else if (recipe.flipProb > 0) {
    steps.push((t) => randomHorizontalFlip(t, rng, recipe.flipProb));
  }
  if (colorJitter) steps.push((t) => randomColorJitter(t, rng, colorJitter));
  if (recipe.grayscaleProb > 0) steps.push((t) => randomGrayscale(t, rng, recipe.grayscaleProb));
  if (blur) steps.push((t) => randomGaussianBlur(t, rng, blur));
  if (normalize) steps.push((t) => normalizeChannels(t, normalize));
  let cur = x;
  for (const step of steps) {
    const next = step(cur);
    if (cur !== x) cur.dispose();
    cur = next;
  }
  return cur === x ? x.clone() : cur;
}

/**
 * The random choices of one host view of `x` (see {@link HostViewPlan}), drawn by the samplers
 * the tensor path uses, in its order; checks the recipe against the images. Without blur the
 * plan includes the normalisation; with blur it stops before both (blur draws its own numbers).
 */
export function planHostView(x: tf.Tensor4D, recipe: ViewRecipe, rng: Rng): HostViewPlan {
  const [n, h, w, c] = x.shape;
  const { crop, colorJitter, blur, normalize } = recipe;
  const boxes = crop ? sampleCropBoxes(rng, n, h, w, crop) : null;
  const flips = recipe.flipProb > 0 ? sampleFlips(rng, n, recipe.flipProb) : undefined;
  let jitter = null;
  if (colorJitter) {
    if (c !== 1) checkRgb(x, "color_jitter");
    jitter = sampleColorJitter(rng, n, colorJitter);
  }
  let gray = null;
  if (recipe.grayscaleProb > 0) {
    checkRgb(x, "grayscale");
    gray = sampleGrayscaleFlags(rng, n, recipe.grayscaleProb);
  }
  if (normalize && !blur) checkChannelStats(normalize, c);
  return { boxes, flips, jitter, gray, normalize: blur ? null : normalize };
}

/**
 * {@link makeView} with the transforms of lib/augment/host_views.ts: the parameters are drawn by
 * the samplers the tensor path uses, in its order; a blur (tensor op) runs on the uploaded batch.
 */
function makeViewOnHost(x: tf.Tensor4D, recipe: ViewRecipe, rng: Rng): tf.Tensor4D {
  const plan = planHostView(x, recipe, rng);
  const buf = applyHostViewPlan(readOnHost(x, "views"), x.shape, plan);
  if (!recipe.blur) return tf.tensor4d(buf, x.shape);
  const view = tf.tensor4d(buf, x.shape);
  const blurred = randomGaussianBlur(view, rng, recipe.blur);
  view.dispose();
  if (!recipe.normalize) return blurred;
  const out = normalizeChannels(blurred, recipe.normalize);
  blurred.dispose();
  return out;
}

/**
 * Two independent random views of every image (the positive pairs of
 * SimCLR / MoCo). Pass two recipes for asymmetric views (e.g. BYOL).
 * x: `[N,H,W,C]` float32 in [0,1]; returns two new `[N,H,W,C]` float32 tensors.
 * With a usable `worker` (host engine, no blur in either recipe) the second view is built on the
 * worker thread while this one builds the first: same random draws, same bits.
 */
export function makeViewPair(
  x: tf.Tensor4D,
  recipe: ViewRecipe | readonly [ViewRecipe, ViewRecipe],
  rng: Rng,
  engine: ComputeEngine = defaultComputeEngine(),
  worker?: ViewWorker,
): [tf.Tensor4D, tf.Tensor4D] {
  const [r1, r2] = (Array.isArray(recipe) ? recipe : [recipe, recipe]) as [ViewRecipe, ViewRecipe];
  if (worker?.usable && engine === "host" && !r1.blur && !r2.blur) {
    checkFloatImages(x);
    const plan1 = planHostView(x, r1, rng);
    const plan2 = planHostView(x, r2, rng);
    const pixels = readOnHost(x, "views");
    const pending = worker.start(pixels, x.shape, plan2);
    let v2: Float32Array | undefined;
    let v1: Float32Array;
    try {
      v1 = applyHostViewPlan(pixels, x.shape, plan1);
    } finally {
      v2 = pending.result(); // always collected, so the worker is free for the next pair
    }
    return [tf.tensor4d(v1, x.shape), tf.tensor4d(v2, x.shape)];
  }
  return [makeView(x, r1, rng, engine), makeView(x, r2, rng, engine)];
}

/** What the two views of one training step need (a method's `StepInput` fits). */
export interface StepViewInput {
  /** The batch, `[N,H,W,C]` float32 in [0,1]. */
  images: tf.Tensor4D;
  /** The step's random stream. */
  rng: Rng;
  /** A second thread for the host views, when the trainer has one. */
  viewWorker?: ViewWorker;
}

/**
 * {@link makeViewPair} for one training step: its images, random stream and view worker, on the
 * default compute engine. Returns two new `[N,H,W,C]` float32 tensors.
 */
export function stepViewPair(
  input: StepViewInput,
  recipe: ViewRecipe | readonly [ViewRecipe, ViewRecipe],
): [tf.Tensor4D, tf.Tensor4D] {
  return makeViewPair(input.images, recipe, input.rng, undefined, input.viewWorker);
}

/** Throws unless `x` holds float32 images (the views' input contract). */
function checkFloatImages(x: tf.Tensor4D): void {
  if (x.dtype !== "float32") {
    throw new Error(
      `views: expects float32 images in [0,1], got ${x.dtype}; convert with toFloatBatch()`,
    );
  }
}
