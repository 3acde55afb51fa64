/**
 * Elementary layers over a {@link ParamStore}: convolution, batch norm and
 * linear. Each is a small class whose `apply` is a pure tfjs computation, so
 * it can be differentiated with `tf.variableGrads` and wrapped in `tf.tidy`.
 *
 * Shape conventions: images/feature maps are NHWC float32, kernels HWIO,
 * dense weights `[in, out]`.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { fanInUniform, heNormal, ParamStore } from "./params.ts";
import { batchNormTrain, type BatchNormTrainResult } from "./batch_norm_op.ts";
import { batchNormReluTrain } from "./batch_norm_relu_op.ts";

/** Forward-pass context shared by all layers. */
export interface ForwardContext {
  /** Training mode: batch statistics in batch norm and running-stat updates. */
  training: boolean;
}

/** 2-D convolution without bias (batch norm follows it in every block here). */
export class Conv2d {
  readonly kernel: tf.Variable;
  readonly stride: number;
  readonly padding: "same" | "valid";

  /**
   * @param store where the HWIO kernel is registered as `${name}.kernel`.
   * @param size square kernel side.
   */
  constructor(
    store: ParamStore,
    name: string,
    opts: {
      inChannels: number;
      outChannels: number;
      size: number;
      stride?: number;
      padding?: "same" | "valid";
    },
  ) {
    const { inChannels, outChannels, size } = opts;
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? "same";
    // Kaiming normal, fan_out mode (as torchvision's ResNet).
    this.kernel = store.param(
      `${name}.kernel`,
      [size, size, inChannels, outChannels],
      heNormal(size * size * outChannels),
    );
  }

  /** x: [N,H,W,Cin] -> [N,H/stride,W/stride,Cout]. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.conv2d(x, this.kernel as tf.Tensor4D, this.stride, this.padding);
  }

  /** Multiply-adds per image for an input of spatial size h x w. */
  macs(h: number, w: number): number {
    const [k1, k2, cin, cout] = this.kernel.shape;
    const ho = this.padding === "same"
      ? Math.ceil(h / this.stride)
      : Math.ceil((h - k1 + 1) / this.stride);
    const wo = this.padding === "same"
      ? Math.ceil(w / this.stride)
      : Math.ceil((w - k2 + 1) / this.stride);
    return ho * wo * k1 * k2 * cin * cout;
  }
}

/**
 * Batch normalisation over all axes but the last (works for NHWC maps and
 * [N,C] vectors). In training it normalises with batch statistics and moves
 * the running statistics by `momentum` (PyTorch convention: new = (1-m) old + m batch).
 */
export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly momentum: number;
  readonly eps: number;
  readonly affine: boolean;

  /** @param channels size of the last axis. */
  constructor(
    store: ParamStore,
    name: string,
    channels: number,
    opts: { momentum?: number; eps?: number; zeroInitGamma?: boolean; affine?: boolean } = {},
  ) {
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    this.gamma = store.param(`${name}.gamma`, [channels], {
      kind: opts.zeroInitGamma ? "zeros" : "ones",
    });
    this.beta = store.param(`${name}.beta`, [channels], { kind: "zeros" });
    this.runningMean = store.buffer(`${name}.running_mean`, [channels], { kind: "zeros" });
    this.runningVar = store.buffer(`${name}.running_var`, [channels], { kind: "ones" });
  }

  /**
   * Normalises x (any rank >= 2, channels last). Training mode runs the fused op
   * {@link batchNormTrain} (one kernel forward, one backward) and moves the running statistics
   * (running_var gets the unbiased batch variance); eval mode uses the running statistics.
   */
  apply<T extends tf.Tensor>(x: T, ctx: ForwardContext): T {
    return ctx.training ? this.#train(x, batchNormTrain) : this.#evaluate(x);
  }

  /**
   * `relu(apply(x, ctx))`; in training mode one fused op, {@link batchNormReluTrain} (the ReLU
   * inside the batch-norm kernels where the backend has them).
   */
  applyRelu<T extends tf.Tensor>(x: T, ctx: ForwardContext): T {
    if (ctx.training) return this.#train(x, batchNormReluTrain);
    return tf.tidy(() => tf.relu(this.#evaluate(x))) as T;
  }

  #train<T extends tf.Tensor>(
    x: T,
    op: (x: T, gamma: tf.Tensor, beta: tf.Tensor, eps: number) => BatchNormTrainResult<T>,
  ): T {
    const c = x.shape[x.shape.length - 1];
    const gamma = this.affine ? this.gamma : tf.ones([c]);
    const beta = this.affine ? this.beta : tf.zeros([c]);
    const { y, mean, variance } = op(x, gamma, beta, this.eps);
    const n = x.size / c;
    // Running statistics never feed the training loss, so no gradient flows through them.
    const mom = this.momentum;
    this.runningMean.assign(
      tf.tidy(() => tf.add(tf.mul(this.runningMean, 1 - mom), tf.mul(mean, mom))),
    );
    this.runningVar.assign(
      tf.tidy(() =>
        tf.add(tf.mul(this.runningVar, 1 - mom), tf.mul(variance, mom * n / Math.max(n - 1, 1)))
      ),
    );
    tf.dispose(this.affine ? [mean, variance] : [mean, variance, gamma, beta]);
    return y;
  }

  #evaluate<T extends tf.Tensor>(x: T): T {
    // y = (x - mean) * (gamma / sqrt(var + eps)) + beta, folded into one scale/shift.
    const mean = this.runningMean;
    const variance = this.runningVar;
    const scale = this.affine
      ? tf.mul(this.gamma, tf.rsqrt(tf.add(variance, this.eps)))
      : tf.rsqrt(tf.add(variance, this.eps));
    const shift = this.affine
      ? tf.sub(this.beta, tf.mul(mean, scale))
      : tf.neg(tf.mul(mean, scale));
    return tf.add(tf.mul(x, scale), shift) as T;
  }
}

/** Fully connected layer `y = x W + b`, x: [N, in] -> [N, out]. */
export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    store: ParamStore,
    name: string,
    opts: { inFeatures: number; outFeatures: number; bias?: boolean },
  ) {
    const { inFeatures, outFeatures } = opts;
    this.weight = store.param(
      `${name}.weight`,
      [inFeatures, outFeatures],
      fanInUniform(inFeatures),
    );
    this.bias = (opts.bias ?? true)
      ? store.param(`${name}.bias`, [outFeatures], fanInUniform(inFeatures))
      : undefined;
  }

  /** x: [N, in] -> [N, out]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x, this.weight as tf.Tensor2D);
    return this.bias ? tf.add<tf.Tensor2D>(y, this.bias) : y;
  }

  /** Multiply-adds per row. */
  macs(): number {
    const [fanIn, fanOut] = this.weight.shape as [number, number];
    return fanIn * fanOut;
  }
}
