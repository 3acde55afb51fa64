/**
 * What a self-supervised method is to the trainer: something that turns a
 * batch of images into model inputs (outside the gradient tape), computes a
 * scalar loss from them (inside the tape), and optionally updates extra
 * state after the optimizer step (momentum encoders, queues).
 *
 * Shape conventions: `images` are [N,H,W,C] float32 in [0,1], the raw
 * (un-augmented) batch; methods apply their own views and masks.
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import type { Encoder } from "../models/encoder.ts";
import type { Rng } from "../rng.ts";

/** Everything a method may use to prepare one training step. */
export interface StepInput {
  /** Raw batch, [N,H,W,C] float32 in [0,1]. */
  images: tf.Tensor4D;
  /** Class labels of the batch (only supervised terms such as S-MAG's L_cls may read them). */
  labels: tf.Tensor1D;
  /** Random stream for this step alone (derived from seed, epoch and step). */
  rng: Rng;
  /** Global optimizer step, from 0. */
  step: number;
  /** Epoch, from 0. */
  epoch: number;
}

/** The loss of one step and scalars worth logging (e.g. positive-pair accuracy). */
export interface StepLoss {
  loss: tf.Scalar;
  metrics?: Record<string, tf.Scalar>;
}

/** A trainable self-supervised method. */
export interface Method {
  /** Registry name, e.g. `simclr`. */
  readonly name: string;
  /** The encoder evaluated after training (its `embed` gives the features). */
  readonly encoder: Encoder;
  /** Trainable parameters by name (what the optimizer updates). */
  params(): Map<string, tf.Variable>;
  /** Every variable a checkpoint must hold (params, buffers, momentum copies, queues). */
  state(): Map<string, tf.Variable>;
  /** Builds the model inputs for a step (views, masks); runs outside the gradient tape. */
  prepare(input: StepInput): tf.Tensor[];
  /** Loss on prepared inputs; runs inside the gradient tape. */
  loss(inputs: tf.Tensor[], input: StepInput): StepLoss;
  /** Called after each optimizer step (momentum update, queue push). */
  afterStep?(inputs: tf.Tensor[], input: StepInput): void;
  /** Frees every variable the method owns. */
  dispose(): void;
}
