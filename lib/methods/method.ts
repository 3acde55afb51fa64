/**
 * What a self-supervised method is to the trainer: something that turns a
 * batch of images into a named, typed record of model inputs (`prepare`,
 * outside the gradient tape), computes a scalar loss from that record (`loss`,
 * inside the tape), and optionally updates extra state after the optimizer
 * step (`afterStep`: momentum encoders, queues). Options are declared in an
 * option schema per method (`option_schema.ts`).
 *
 * Shape conventions: `images` are [N,H,W,C] float32 in [0,1], the raw
 * (un-augmented) batch; methods apply their own views and masks.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Encoder } from "../models/encoder.ts";
import type { Rng } from "../rng.ts";
import type { ViewWorker } from "../augment/view_worker.ts";

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
  /** A second thread for the host views (`stepViewPair` uses it), when the trainer has one. */
  viewWorker?: ViewWorker;
}

/** The loss of one step and scalars worth logging (e.g. positive-pair accuracy). */
export interface StepLoss {
  loss: tf.Scalar;
  metrics?: Record<string, tf.Scalar>;
}

/**
 * Collects the tensors of a prepared batch for disposal: its fields that are
 * tensors, and the tensors of fields that are plain objects or arrays (one
 * level of grouping, e.g. `{ learned: { input, tokenMask } }`, recursively);
 * other fields, such as a layout tag, are skipped.
 */
export function batchTensors(batch: object): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const v of Object.values(batch)) {
    if (v instanceof tf.Tensor) out.push(v);
    else if (v !== null && typeof v === "object") out.push(...batchTensors(v));
  }
  return out;
}

/**
 * A trainable self-supervised method. `B` is the record `prepare` builds
 * (named tensors, e.g. `{ v1, v2, tokenMask }`) and `loss` / `afterStep`
 * receive, typed: no positional arrays. The trainer frees the tensors of the
 * record ({@link batchTensors}) after `afterStep`.
 */
export interface Method<B extends object = object> {
  /** Registry name, e.g. `simclr`. */
  readonly name: string;
  /** The encoder evaluated after training (its `embed` gives the features). */
  readonly encoder: Encoder;
  /** Trainable parameters by name (what the optimizer updates). */
  params(): Map<string, tf.Variable>;
  /** Every variable a checkpoint must hold (params, buffers, momentum copies, queues). */
  state(): Map<string, tf.Variable>;
  /** Builds the model inputs for a step (views, masks); runs outside the gradient tape. */
  prepare(input: StepInput): B;
  /** Loss on the prepared batch; runs inside the gradient tape. */
  loss(batch: B, input: StepInput): StepLoss;
  /** Called after each optimizer step (momentum update, queue push). */
  afterStep?(batch: B, input: StepInput): void;
  /** Frees every variable the method owns. */
  dispose(): void;
}
