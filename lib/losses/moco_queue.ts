/**
 * MoCo v2 building blocks: the momentum (EMA) update of the key encoder, the
 * queue of negative keys, and the MoCo loss (InfoNCE against the queue, with
 * optional saliency-paper hard negatives).
 *
 * One training step, with the key branch kept out of the gradient: tfjs has no
 * `stopGradient`, but a tensor computed *outside* the closure handed to
 * `valueAndGrads` / `tf.variableGrads` is a constant for that gradient, which
 * is exactly MoCo's `k.detach()`:
 *
 * ```ts
 * const k = tf.tidy(() => keyEncoder.embed(xKey));          // outside the tape: no gradient
 * const { value, grads } = valueAndGrads(
 *   () => mocoLoss(queryEncoder.embed(xQuery), k, queue, 0.2),
 *   queryStore.params(),
 * );
 * optimizer.step(grads);
 * emaUpdate(keyStore.allVariables(), queryStore.allVariables(), 0.99);
 * queue.enqueue(k);                                          // after the loss: current keys
 * k.dispose();                                               // are not their own negatives
 * ```
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";
import { DEFAULT_HARD_ALPHA, infoNce } from "./info_nce.ts";
import { l2NormalizeRows } from "./nt_xent.ts";

/**
 * Momentum update `target <- m * target + (1 - m) * source`, by name.
 *
 * The two maps must hold the same names with the same shapes (e.g.
 * `keyStore.allVariables()` and `queryStore.allVariables()` of two copies of
 * one model); everything is checked before any variable is written, so a bad
 * call changes nothing.
 *
 * @param target variables of the momentum (key) encoder; updated in place.
 * @param source variables of the online (query) encoder; read only.
 * @param m momentum in [0, 1] (MoCo: 0.999 on ImageNet, 0.99 on CIFAR); 0
 *   copies the source, 1 leaves the target unchanged.
 */
export function emaUpdate(
  target: Map<string, tf.Variable>,
  source: Map<string, tf.Variable>,
  m: number,
): void {
  if (!(m >= 0 && m <= 1)) {
    throw new RangeError(`emaUpdate: momentum m must be in [0, 1], got ${m} (MoCo uses 0.99)`);
  }
  for (const [name, t] of target) {
    const s = source.get(name);
    if (s === undefined) {
      throw new Error(
        `emaUpdate: source has no variable "${name}"; build the key encoder from the same ` +
          `configuration as the query encoder so their parameter names match`,
      );
    }
    if (!tf.util.arraysEqual(t.shape, s.shape)) {
      throw new Error(
        `emaUpdate: "${name}" has shape [${t.shape}] in the target but [${s.shape}] in the ` +
          `source; build both encoders from the same configuration`,
      );
    }
  }
  for (const name of source.keys()) {
    if (!target.has(name)) {
      throw new Error(
        `emaUpdate: target has no variable "${name}"; build the key encoder from the same ` +
          `configuration as the query encoder so their parameter names match`,
      );
    }
  }
  for (const [name, t] of target) {
    const s = source.get(name)!;
    const next = tf.tidy(() => tf.add(tf.mul(t, m), tf.mul(s, 1 - m)));
    t.assign(next);
    next.dispose();
  }
}

/** Checkpointable state of a {@link KeyQueue}. */
export interface KeyQueueState {
  /** `[K, D]` copy of the stored keys (caller disposes). */
  keys: tf.Tensor2D;
  /** Row the next enqueued key goes to. */
  pointer: number;
  /** Total number of keys enqueued since the queue was created. */
  enqueued: number;
}

/**
 * MoCo's queue of negative keys: a fixed-size `[K, D]` ring buffer held in a
 * non-trainable `tf.Variable`. Each {@link enqueue} writes a batch of
 * L2-normalised keys at the pointer and advances it modulo K, overwriting the
 * oldest keys (wrap-around inside a batch is allowed, so K need not be a
 * multiple of the batch size). Before K keys have been written, the remaining
 * rows hold the random unit vectors of the initialisation (as in MoCo).
 */
export class KeyQueue {
  /** Capacity K. */
  readonly size: number;
  /** Key dimension D. */
  readonly dim: number;
  readonly #keys: tf.Variable<tf.Rank.R2>;
  #pointer = 0;
  #enqueued = 0;

  /**
   * @param size capacity K (MoCo CIFAR demo 4096, ImageNet 65536).
   * @param dim key dimension D (128 in MoCo v2).
   * @param rng draws the initial random unit vectors.
   */
  constructor(size: number, dim: number, rng: Rng) {
    if (!Number.isInteger(size) || size < 1 || !Number.isInteger(dim) || dim < 1) {
      throw new RangeError(
        `KeyQueue: size and dim must be positive integers, got size ${size}, dim ${dim}`,
      );
    }
    this.size = size;
    this.dim = dim;
    const init = new Float32Array(size * dim);
    for (let i = 0; i < init.length; i++) init[i] = rng.gaussian();
    this.#keys = tf.tidy(() => tf.variable(l2NormalizeRows(tf.tensor2d(init, [size, dim])), false));
  }

  /** The `[K, D]` stored keys (unit rows); read only, do not dispose. */
  get keys(): tf.Tensor2D {
    return this.#keys;
  }

  /** Row the next enqueued key goes to. */
  get pointer(): number {
    return this.#pointer;
  }

  /** Number of keys enqueued so far. */
  get enqueued(): number {
    return this.#enqueued;
  }

  /** True once every row holds an enqueued key rather than an initial random one. */
  get full(): boolean {
    return this.#enqueued >= this.size;
  }

  /**
   * Writes `batch` (L2-normalised here) at rows `pointer, pointer+1, ...`
   * modulo K and advances the pointer.
   *
   * @param batch [B, D] float32 keys, B <= K; not modified or disposed.
   */
  enqueue(batch: tf.Tensor2D): void {
    if (batch.rank !== 2 || batch.shape[1] !== this.dim) {
      throw new Error(
        `KeyQueue.enqueue: keys must be [B, ${this.dim}], got [${batch.shape}]; enqueue the ` +
          `key encoder's projection output`,
      );
    }
    const b = batch.shape[0];
    if (b > this.size) {
      throw new Error(
        `KeyQueue.enqueue: batch of ${b} keys exceeds the queue size ${this.size}; use a ` +
          `queue at least as large as the batch`,
      );
    }
    if (b === 0) return;
    const rows = Int32Array.from({ length: b }, (_, i) => (this.#pointer + i) % this.size);
    const next = tf.tidy(() =>
      tf.tensorScatterUpdate(
        this.#keys,
        tf.tensor2d(rows, [b, 1], "int32"),
        l2NormalizeRows(batch),
      )
    );
    this.#keys.assign(next as tf.Tensor2D);
    next.dispose();
    this.#pointer = (this.#pointer + b) % this.size;
    this.#enqueued += b;
  }

  /** A copy of the queue for checkpoints (dispose `keys` when done). */
  state(): KeyQueueState {
    return { keys: tf.clone(this.#keys), pointer: this.#pointer, enqueued: this.#enqueued };
  }

  /** Restores a state from {@link state} (same K and D); the tensor is copied. */
  restore(state: KeyQueueState): void {
    if (!tf.util.arraysEqual(state.keys.shape, [this.size, this.dim])) {
      throw new Error(
        `KeyQueue.restore: checkpoint queue is [${state.keys.shape}] but this queue is ` +
          `[${this.size}, ${this.dim}]; restore into a queue built with the same size and dim`,
      );
    }
    if (!Number.isInteger(state.pointer) || state.pointer < 0 || state.pointer >= this.size) {
      throw new RangeError(
        `KeyQueue.restore: pointer ${state.pointer} is outside [0, ${this.size}); the ` +
          `checkpoint is corrupt`,
      );
    }
    this.#keys.assign(state.keys);
    this.#pointer = state.pointer;
    this.#enqueued = state.enqueued;
  }

  /** Frees the buffer. */
  dispose(): void {
    this.#keys.dispose();
  }
}

/**
 * MoCo (v2) loss: InfoNCE of queries against their keys, with the queue as
 * the negatives, `logits = [q.k+, q.queue] / tau`, and with the saliency
 * paper's hard negatives appended as `alpha * q.k_hard / tau` when `hard` is
 * given.
 *
 * Gradient: flows into q (and `hard`, if it was computed inside the tape).
 * `k` must be computed outside the closure whose gradient is taken, which is
 * MoCo's stop-gradient (see the module doc); this function does not detach it.
 * The saliency paper also produces `hard` with the key encoder, so compute it
 * outside the tape too.
 *
 * @param q [N, D] query embeddings (online encoder, inside the tape).
 * @param k [N, D] key embeddings (momentum encoder, outside the tape).
 * @param queue the negative keys: a {@link KeyQueue} or a `[K, D]` tensor.
 * @param tau temperature (MoCo v2 0.2, MoCo CIFAR demo 0.1).
 * @param hard optional [N, D] hard negatives, one per query.
 * @param alpha scale of the hard-negative similarity, default 2.
 * @returns scalar mean loss over the N queries.
 */
export function mocoLoss(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  queue: KeyQueue | tf.Tensor2D,
  tau: number,
  hard?: tf.Tensor2D | null,
  alpha: number = DEFAULT_HARD_ALPHA,
): tf.Scalar {
  const bank = queue instanceof KeyQueue ? queue.keys : queue;
  return infoNce(q, k, bank, tau, { hardNegatives: hard ?? null, alpha });
}
