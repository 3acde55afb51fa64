/**
 * What notebook 02 (gating necks) shows besides accuracy: the cost of each
 * neck (parameters and FLOPs per image) and the attention maps of trained
 * necks over a few test images, with how far they are from uniform pooling.
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "../tfjs.ts";
import { normalizeChannels } from "../augment/normalize.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import { channelStats } from "../data/channel_stats.ts";
import { loadDataset } from "../data/registry.ts";
import { loadTrainedEncoder } from "../experiment/trained_encoder.ts";
import { buildEncoder, type PartConfig } from "../models/encoder.ts";
import { RESNET_DEPTHS } from "../models/resnet.ts";
import { ParamStore } from "../nn/params.ts";
import type { Uint8Image } from "../plot/image_grid.ts";

/** Params and FLOPs per image of one encoder (backbone + neck, no head). */
export interface EncoderCost {
  params: number;
  neckParams: number;
  flops: { backbone: number; neck: number; head: number; total: number };
}

/** Builds backbone + `neck` (parameters allocated, then freed) and counts params and FLOPs. */
export function encoderCost(
  backbone: PartConfig,
  neck: PartConfig,
  imageSize: number,
): EncoderCost {
  const store = new ParamStore(0);
  try {
    const enc = buildEncoder(store, { backbone, neck });
    let neckParams = 0;
    for (const v of store.paramsUnder("neck.").values()) neckParams += v.size;
    return { params: store.countParams(), neckParams, flops: enc.flops(imageSize, imageSize) };
  } finally {
    store.dispose();
  }
}

/**
 * The cost of the same kind of neck on the paper's scale (ResNet-18 of width
 * 64 at 224x224; SAM/GAM width 128, HSAGM sized to the 512 backbone channels).
 */
export function paperScaleCost(neck: PartConfig): EncoderCost {
  const blocks = RESNET_DEPTHS.resnet18;
  const channels = 64 * 2 ** (blocks.length - 1);
  const scaled: PartConfig = neck.type === "hsagm"
    ? { type: "hsagm", mlpDim: channels, gruDim: channels, attnDim: 128, outDim: channels }
    : neck.type === "sam" || neck.type === "gam"
    ? { type: neck.type, hidden: 128 }
    : { type: neck.type };
  return encoderCost({ type: "resnet", blocks, width: 64 }, scaled, 224);
}

/** 1234567 -> "1.23M"; 2.6e9 -> "2.60G". */
export function humanCount(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}K`;
  return String(x);
}

/**
 * `img` tinted red by an attention map over an `h` x `w` feature grid
 * (nearest upsampling; weights scaled to the map's largest), as RGB.
 */
export function attentionOverlay(
  img: Uint8Image,
  att: ArrayLike<number>,
  h: number,
  w: number,
): Uint8Image {
  const { height: H, width: W } = img;
  const C = img.channels ?? 3;
  if (att.length !== h * w) {
    throw new Error(`attentionOverlay: ${att.length} weights for a ${h}x${w} grid`);
  }
  let max = 0;
  for (let i = 0; i < att.length; i++) max = Math.max(max, att[i]);
  const out = new Uint8Array(H * W * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const a = max > 0 ? att[Math.floor((y * h) / H) * w + Math.floor((x * w) / W)] / max : 0;
      const p = (y * W + x) * C;
      const grey = C === 3 ? (img.data[p] + img.data[p + 1] + img.data[p + 2]) / 3 : img.data[p];
      const q = (y * W + x) * 3;
      out[q] = Math.round(0.4 * grey + 0.6 * 255 * a);
      out[q + 1] = Math.round(0.4 * grey);
      out[q + 2] = Math.round(0.4 * grey);
    }
  }
  return { data: out, height: H, width: W, channels: 3 };
}

/** Entropy of a weight vector divided by log(its length): 1 = uniform (like GAP), 0 = one cell. */
export function normalisedEntropy(att: ArrayLike<number>): number {
  if (att.length < 2) return NaN;
  let e = 0;
  for (let i = 0; i < att.length; i++) if (att[i] > 0) e -= att[i] * Math.log(att[i]);
  return e / Math.log(att.length);
}

/** Whether every run directory has a saved checkpoint (they are not committed to git). */
export async function haveCheckpoints(runDirs: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const dir of runDirs) {
    const ok = await Deno.stat(join(dir, "checkpoint")).then((s) => s.isDirectory, () => false);
    if (!ok) missing.push(dir);
  }
  return missing;
}

/** Attention maps of trained necks over the same images. */
export interface AttentionMaps {
  /** The images (one test image of each of the first classes). */
  images: Uint8Image[];
  /** Class name of each image. */
  classes: string[];
  /** Per run: weights [image][cell] over an `h` x `w` grid. */
  maps: { runDir: string; weights: Float32Array[]; h: number; w: number }[];
}

/**
 * Loads `config`'s dataset and, for each run directory, its trained encoder,
 * and computes the neck's attention on one test image of each of the first
 * `n` classes (no mask). Every run must use an attention neck.
 */
export async function attentionMaps(
  config: ExperimentConfig,
  runDirs: readonly string[],
  n = 6,
): Promise<AttentionMaps> {
  const dataset = await loadDataset(config.data.dataset, {
    trainSize: config.data.trainSize,
    testSize: config.data.testSize,
    seed: 0,
  });
  const [H, W, C] = dataset.imageShape;
  const size = H * W * C;
  const stats = channelStats(dataset.train, C);
  const picks = Array.from({ length: n }, (_, k) => {
    const first = dataset.test.labels.findIndex((l) => l === k % dataset.classes.length);
    return first >= 0 ? first : k;
  });
  const pixels = new Uint8Array(n * size);
  picks.forEach((idx, i) =>
    pixels.set(dataset.test.images.subarray(idx * size, (idx + 1) * size), i * size)
  );
  const images = picks.map((_, i) => ({
    data: pixels.subarray(i * size, (i + 1) * size),
    height: H,
    width: W,
    channels: C,
  }));
  const maps: AttentionMaps["maps"] = [];
  for (const runDir of runDirs) {
    const trained = await loadTrainedEncoder(runDir);
    try {
      const neck = trained.encoder.neck as unknown as {
        attention?(f: tf.Tensor4D, ctx: { training: boolean }): tf.Tensor2D;
      };
      if (typeof neck.attention !== "function") {
        throw new Error(
          `${runDir}: its neck (${trained.config.encoder.neck.type}) has no attention`,
        );
      }
      const [att, h, w] = tf.tidy(() => {
        const x = normalizeChannels(
          tf.div(tf.tensor4d(pixels, [n, H, W, C], "float32"), 255) as tf.Tensor4D,
          stats,
        );
        const fmap = trained.encoder.featureMap(x, { training: false });
        return [neck.attention!(fmap, { training: false }), fmap.shape[1], fmap.shape[2]] as const;
      });
      const values = att.dataSync() as Float32Array;
      att.dispose();
      const T = h * w;
      maps.push({
        runDir,
        h,
        w,
        weights: Array.from({ length: n }, (_, i) => values.slice(i * T, (i + 1) * T)),
      });
    } finally {
      trained.store.dispose();
    }
  }
  return { images, classes: picks.map((i) => dataset.classes[dataset.test.labels[i]]), maps };
}
