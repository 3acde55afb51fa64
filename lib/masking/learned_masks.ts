/**
 * The two learned mask generators of S-MAG, as small modules over a
 * {@link ParamStore}. Both are differentiable, so they can be trained with the
 * encoder (or adversarially, as ADIOS does).
 *
 * - F3, {@link AttentionMaskMlp}: `M = tanh(W2 ReLU(W1 A + b1) + b2)` from an
 *   attention map A over L tokens: `[N,L] -> [N,L]`.
 * - F4, {@link ConvMaskGenerator}: `M = sigmoid(sum_l W_l * ReLU(F_{l-1}) + b_l)`,
 *   read as a conv stack `F_l = W_l * ReLU(F_{l-1}) + b_l` on a feature map
 *   `F_0` whose last layer has one channel: `[N,h,w,C] -> [N,h,w,1]`.
 *
 * Outputs are soft masks in the kit's convention (1 = kept). To mask pixels,
 * expand them with `tokenMaskToPixels` (reshape `[N,h,w,1]` to `[N,h*w]` first)
 * and pass them to `applyVisualMask`, or pass them to `maskImages` as a `given`
 * mask. `smag` trains them adversarially (`mask: "learned"`): the mask goes
 * through {@link reverseGradient}, so the generator maximises the loss the
 * encoder minimises, under a budget on the masked fraction.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { ParamStore } from "../nn/params.ts";
import { Conv2d, Linear } from "../nn/layers.ts";

/** Options of {@link AttentionMaskMlp}. */
export interface AttentionMaskMlpOptions {
  /** L, the number of tokens of the attention map. */
  tokens: number;
  /** Hidden width of the MLP (default L). */
  hidden?: number;
  /**
   * `"signed"` (default): the paper's tanh output in [-1,1]. `"unit"`:
   * `(tanh(.) + 1) / 2` in [0,1], directly usable as an F2 mask.
   */
  range?: "signed" | "unit";
}

/** F3: an MLP from an attention map to a token mask. */
export class AttentionMaskMlp {
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly tokens: number;
  readonly range: "signed" | "unit";

  /** Registers `${name}.fc1.{weight,bias}` and `${name}.fc2.{weight,bias}` in `store`. */
  constructor(store: ParamStore, name: string, opts: AttentionMaskMlpOptions) {
    const { tokens } = opts;
    const hidden = opts.hidden ?? tokens;
    if (![tokens, hidden].every((v) => Number.isInteger(v) && v > 0)) {
      throw new RangeError(
        `AttentionMaskMlp: tokens and hidden must be positive integers, got ${tokens}, ${hidden}`,
      );
    }
    this.tokens = tokens;
    this.range = opts.range ?? "signed";
    this.fc1 = new Linear(store, `${name}.fc1`, { inFeatures: tokens, outFeatures: hidden });
    this.fc2 = new Linear(store, `${name}.fc2`, { inFeatures: hidden, outFeatures: tokens });
  }

  /** a: attention map `[N,L]` float32 -> mask `[N,L]` float32. */
  apply(a: tf.Tensor2D): tf.Tensor2D {
    if (a.rank !== 2 || a.shape[1] !== this.tokens) {
      throw new Error(
        `AttentionMaskMlp: attention map shape [${a.shape}] is not [N, ${this.tokens}]; ` +
          `flatten an [N,h,w] map row-major to [N,h*w]`,
      );
    }
    return tf.tidy(() => {
      const m = tf.tanh(this.fc2.apply(tf.relu(this.fc1.apply(a))));
      return this.range === "unit" ? tf.mul(tf.add(m, 1), 0.5) : m;
    });
  }
}

/** Options of {@link ConvMaskGenerator}. */
export interface ConvMaskGeneratorOptions {
  /** Channels C of the input feature map. */
  inChannels: number;
  /** Output channels of the hidden conv layers; a final 1-channel layer is added. Default [16]. */
  hidden?: number[];
  /** Square kernel side, odd (default 3); "same" padding, stride 1. */
  kernelSize?: number;
}

/** F4: a conv stack from a feature map to a spatial mask in (0,1). */
export class ConvMaskGenerator {
  readonly convs: Conv2d[];
  readonly biases: tf.Variable[];
  readonly inChannels: number;

  /** Registers `${name}.conv{l}.kernel` and `${name}.conv{l}.bias` for every layer l. */
  constructor(store: ParamStore, name: string, opts: ConvMaskGeneratorOptions) {
    const hidden = opts.hidden ?? [16];
    const size = opts.kernelSize ?? 3;
    if (!Number.isInteger(size) || size < 1 || size % 2 === 0) {
      throw new RangeError(`ConvMaskGenerator: kernelSize must be odd and positive, got ${size}`);
    }
    const widths = [opts.inChannels, ...hidden, 1];
    if (!widths.every((v) => Number.isInteger(v) && v > 0)) {
      throw new RangeError(
        `ConvMaskGenerator: channel counts must be positive integers, got [${widths}]`,
      );
    }
    this.inChannels = opts.inChannels;
    this.convs = [];
    this.biases = [];
    for (let l = 0; l + 1 < widths.length; l++) {
      this.convs.push(
        new Conv2d(store, `${name}.conv${l}`, {
          inChannels: widths[l],
          outChannels: widths[l + 1],
          size,
        }),
      );
      this.biases.push(store.param(`${name}.conv${l}.bias`, [widths[l + 1]], { kind: "zeros" }));
    }
  }

  /** f: feature map `[N,h,w,C]` float32 -> mask `[N,h,w,1]` float32 in (0,1). */
  apply(f: tf.Tensor4D): tf.Tensor4D {
    if (f.rank !== 4 || f.shape[3] !== this.inChannels) {
      throw new Error(
        `ConvMaskGenerator: feature map shape [${f.shape}] is not [N,h,w,${this.inChannels}] ` +
          `(NHWC); build the generator with the encoder's channel count`,
      );
    }
    return tf.tidy(() => {
      let x: tf.Tensor4D = f;
      this.convs.forEach((conv, l) => {
        x = tf.add(conv.apply(tf.relu(x)), this.biases[l]);
      });
      return tf.sigmoid(x);
    });
  }
}

const reverse = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.neg(dy),
}));

/**
 * Identity in the forward pass whose gradient is negated (a gradient-reversal
 * layer): parameters upstream of it ascend the loss that those downstream
 * descend, as in adversarial mask learning (ADIOS).
 */
export function reverseGradient<T extends tf.Tensor>(x: T): T {
  return reverse(x) as T;
}
