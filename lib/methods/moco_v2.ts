/**
 * MoCo v2 (He et al. 2020; Chen et al. 2020, "Improved baselines with
 * momentum contrastive learning"): a query encoder trained by gradient, a
 * momentum (EMA) copy of it as the key encoder, and a queue of keys from
 * earlier batches as the negatives.
 *
 * One step, with `v1`, `v2` two augmented views of the batch:
 *
 * ```
 * prepare   (outside the tape = stop-gradient on the keys):
 *           k = keyEncoder.project(v2, training)           [N,D]
 * loss      (inside the tape):
 *           q = encoder.project(v1, training)             [N,D]
 *           InfoNCE, logits = [q.k+, q.queue] / T, positive in column 0
 * afterStep key params <- m * key params + (1 - m) * query params;
 *           enqueue k (overwriting the oldest keys)
 * ```
 *
 * With `symmetric`, both views serve as query and key: the query batch is
 * `[v1; v2]` with keys `[k(v2); k(v1)]` (row i of the keys is the positive of
 * query row i), the loss is the mean over the 2N queries, i.e. the mean of
 * the two directions (the MoCo CIFAR demo sums them: same direction, twice
 * the scale), and the 2N keys are enqueued.
 *
 * Options: {@link MOCO_V2_OPTIONS} (`deno task train --method moco-v2 --help`): temperature
 * 0.1 (CIFAR demo), momentum 0.99, queueSize 4096 (at least the keys enqueued per step, the
 * batch size, twice it when symmetric; it need not be a multiple of the batch: writes wrap
 * around the ring buffer), symmetric false (see above).
 *
 * Differences from the reference implementation, to know when comparing:
 * - **No shuffle-BN.** MoCo shuffles the key batch across GPUs so that batch-norm
 *   statistics cannot leak which key belongs to which query; the CIFAR demo mimics
 *   this on one GPU with split batch norm. Here there is one device and plain batch
 *   norm: the key encoder runs in training mode (batch statistics) on the whole key
 *   batch, in a forward pass separate from the queries. A BN "shortcut" is therefore
 *   possible in principle; watch the kNN accuracy rather than the loss.
 * - The momentum update covers the trainable parameters only (as in MoCo, which
 *   averages `parameters()`); the key encoder's batch-norm running statistics come from
 *   its own training-mode forward passes (they are never used for evaluation).
 * - The queue's write position is derived from the global step (`step * keys per step`
 *   modulo K), so a resumed run writes where the uninterrupted run would have. The
 *   method must therefore be driven with steps numbered from 0 and a fixed batch size,
 *   as the trainer does.
 *
 * Checkpoint (`state()`): the query encoder's variables under their own names (so
 * `method.state()` loads into a plain encoder for fine-tuning), the key encoder's under
 * `key.<name>`, and the queue as `queue.keys` `[K, D]`.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import {
  simclrCifarRecipe,
  type StepViewInput,
  stepViewPair,
  type ViewRecipe,
} from "../augment/views.ts";
import { emaUpdate, KeyQueue, mocoLoss } from "../losses/moco_queue.ts";
import { DEFAULT_HARD_ALPHA } from "../losses/info_nce.ts";
import { ParamStore } from "../nn/params.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import { Rng } from "../rng.ts";
import type { Method, StepInput, StepLoss } from "./method.ts";
import { type MethodContext, registerMethod } from "./registry.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import {
  booleanOption,
  defineOptions,
  numberOption,
  optionError,
  type OptionValues,
  readOptions,
} from "./option_schema.ts";

/** The options of `moco-v2` (and of the MoCo base of `saliency-moco`). */
export const MOCO_V2_OPTIONS = defineOptions({
  temperature: numberOption(0.1, "InfoNCE temperature T (MoCo CIFAR demo; MoCo v2 ImageNet: 0.2)", {
    above: 0,
  }),
  momentum: numberOption(0.99, "EMA momentum m of the key encoder (ImageNet: 0.999)", {
    min: 0,
    max: 1,
  }),
  queueSize: numberOption(
    4096,
    "number K of queued negative keys; at least the keys enqueued per step (batch, x2 symmetric)",
    { integer: true, min: 1 },
  ),
  symmetric: booleanOption(false, "both views serve as query and key (mean of both directions)"),
});

/** Validated MoCo v2 options. */
export type MocoV2Options = OptionValues<typeof MOCO_V2_OPTIONS>;

/**
 * Reads and validates the MoCo options among `methodOptions` (other keys are
 * left to the caller; missing ones take the defaults of {@link MOCO_V2_OPTIONS});
 * `who` names the method in error messages. The queue must hold the keys of
 * one step (`batchSize`, twice it when symmetric).
 */
export function parseMocoV2Options(
  options: Record<string, unknown>,
  batchSize: number,
  who = "moco-v2",
): MocoV2Options {
  const own = Object.fromEntries(Object.entries(options).filter(([k]) => k in MOCO_V2_OPTIONS));
  const o = readOptions(who, MOCO_V2_OPTIONS, own);
  const perStep = batchSize * (o.symmetric ? 2 : 1);
  if (o.queueSize < perStep) {
    throw optionError(
      who,
      "queueSize",
      o.queueSize,
      `an integer >= the keys enqueued per step (${perStep} = batch ${batchSize}` +
        `${o.symmetric ? " x 2, symmetric" : ""}); raise it or lower --batch-size`,
    );
  }
  return o;
}

/**
 * The images of one MoCo step, row-aligned: key row i is the positive of
 * query row i. All `[B,H,W,C]` float32 (B = N, or 2N when symmetric).
 */
export interface MocoStepViews {
  /** Input of the query encoder (inside the tape). */
  query: tf.Tensor4D;
  /** Input of the key encoder (outside the tape). */
  key: tf.Tensor4D;
  /** Optional per-query hard negatives, encoded by the key encoder like the keys. */
  hard?: tf.Tensor4D | null;
}

/**
 * The batch of one MoCo step: the query images (encoded inside the tape),
 * their keys from the momentum encoder and optional hard-negative keys
 * (both encoded outside the tape).
 */
export interface MocoBatch {
  /** `[B,H,W,C]` input of the query encoder. */
  query: tf.Tensor4D;
  /** `[B,D]` keys; row i is the positive of query i. */
  keys: tf.Tensor2D;
  /** `[B,D]` one hard-negative key per query, when the method adds them. */
  hardKeys?: tf.Tensor2D;
}

/** The MoCo v2 method (see module docs). */
export class MocoV2 implements Method<MocoBatch> {
  readonly name: string;
  /** Query encoder (trained; the one evaluated). */
  readonly encoder: Encoder;
  /** Momentum (key) encoder: same architecture, EMA of the query encoder. */
  readonly keyEncoder: Encoder;
  /** The negative keys `[K, D]`. */
  readonly queue: KeyQueue;
  readonly options: MocoV2Options;
  /** Scale of the hard-negative similarity when hard negatives are given (see `encodeStep`). */
  readonly hardAlpha: number;
  readonly #store: ParamStore;
  readonly #keyStore: ParamStore;
  readonly #recipe: ViewRecipe;

  /**
   * @param cfg experiment config; its `methodOptions` hold the options above.
   * @param name registry name reported by `name` (methods built on MoCo pass theirs).
   * @param hardAlpha scale of hard negatives, for methods that add them (default 2).
   */
  constructor(
    cfg: ExperimentConfig,
    ctx: MethodContext,
    name = "moco-v2",
    hardAlpha = DEFAULT_HARD_ALPHA,
  ) {
    this.name = name;
    this.options = parseMocoV2Options(cfg.methodOptions, cfg.optim.batchSize, name);
    this.hardAlpha = hardAlpha;
    this.#store = new ParamStore(cfg.seed);
    this.encoder = buildEncoder(this.#store, cfg.encoder);
    const head = this.encoder.head;
    if (!head) {
      throw new Error(`${name}: the encoder needs a projection head; add "head" to its config`);
    }
    this.#keyStore = new ParamStore(cfg.seed);
    this.keyEncoder = buildEncoder(this.#keyStore, cfg.encoder);
    // The key encoder starts as an exact copy (m = 0 copies), buffers included.
    emaUpdate(this.#keyStore.allVariables(), this.#store.allVariables(), 0);
    this.queue = new KeyQueue(this.options.queueSize, head.outFeatures, new Rng(cfg.seed).fork());
    if (!(this.queue.keys instanceof tf.Variable)) {
      throw new Error(`${name}: KeyQueue.keys is no longer a tf.Variable; update state()`);
    }
    this.#recipe = simclrCifarRecipe(ctx.stats, { cropScale: cfg.views?.cropScale });
  }

  params(): Map<string, tf.Variable> {
    return this.#store.params();
  }

  state(): Map<string, tf.Variable> {
    const out = this.#store.allVariables();
    for (const [k, v] of this.#keyStore.allVariables()) out.set(`key.${k}`, v);
    out.set("queue.keys", this.queue.keys as tf.Variable);
    return out;
  }

  /**
   * Two augmented views of a step's raw batch (MoCo / SimCLR CIFAR recipe, normalised); the
   * second on the step's view worker when it has one (see `stepViewPair`).
   */
  makeViews(input: StepViewInput): [tf.Tensor4D, tf.Tensor4D] {
    return stepViewPair(input, this.#recipe);
  }

  /**
   * Row-aligns two views into query and key batches: `(v1 | v2)`, or
   * `([v1; v2] | [v2; v1])` when symmetric. Returns new tensors.
   */
  pairViews(v1: tf.Tensor4D, v2: tf.Tensor4D): MocoStepViews {
    return this.options.symmetric
      ? { query: tf.concat([v1, v2], 0), key: tf.concat([v2, v1], 0) }
      : { query: v1.clone(), key: v2.clone() };
  }

  /** The images of a plain MoCo v2 step (caller disposes). */
  stepViews(input: StepInput): MocoStepViews {
    const [v1, v2] = this.makeViews(input);
    const views = this.pairViews(v1, v2);
    tf.dispose([v1, v2]);
    return views;
  }

  /**
   * Key-encoder embeddings `[B, D]`, in training mode (batch statistics).
   * Call outside the gradient tape: that is MoCo's stop-gradient.
   */
  encodeKeys(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.keyEncoder.project(x, { training: true }));
  }

  /**
   * The batch of a step from its images: the query images, their keys and,
   * when `views.hard` is set, the hard keys. Does not dispose `views`.
   */
  encodeStep(views: MocoStepViews): MocoBatch {
    if (!tf.util.arraysEqual(views.query.shape, views.key.shape)) {
      throw new Error(
        `${this.name}: query images [${views.query.shape}] and key images [${views.key.shape}] ` +
          `must have the same shape (row i of the keys is the positive of query i)`,
      );
    }
    const out: MocoBatch = { query: views.query.clone(), keys: this.encodeKeys(views.key) };
    if (views.hard) out.hardKeys = this.encodeKeys(views.hard);
    return out;
  }

  prepare(input: StepInput): MocoBatch {
    const views = this.stepViews(input);
    try {
      return this.encodeStep(views);
    } finally {
      tf.dispose([views.query, views.key]);
    }
  }

  /** InfoNCE of the queries against their keys, the queue and the hard keys if any. */
  loss({ query, keys, hardKeys }: MocoBatch): StepLoss {
    const q = this.encoder.project(query, { training: true });
    return {
      loss: mocoLoss(
        q,
        keys,
        this.queue,
        this.options.temperature,
        hardKeys ?? null,
        this.hardAlpha,
      ),
    };
  }

  /** Momentum update of the key encoder, then the step's keys enter the queue. */
  afterStep(batch: MocoBatch, input: StepInput): void {
    emaUpdate(this.#keyStore.params(), this.#store.params(), this.options.momentum);
    this.enqueue(batch.keys, input.step);
  }

  /**
   * Enqueues the keys of global step `step`. The write position is derived
   * from the step (`step * keys.shape[0]` keys came before), which keeps a
   * resumed run, whose queue was restored from a checkpoint, exact.
   */
  enqueue(keys: tf.Tensor2D, step: number): void {
    const before = step * keys.shape[0];
    if (this.queue.enqueued !== before) {
      const copy = tf.clone(this.queue.keys);
      this.queue.restore({ keys: copy, pointer: before % this.queue.size, enqueued: before });
      copy.dispose();
    }
    this.queue.enqueue(keys);
  }

  dispose(): void {
    this.#store.dispose();
    this.#keyStore.dispose();
    this.queue.dispose();
  }
}

registerMethod({
  name: "moco-v2",
  description: "MoCo v2: momentum key encoder + queue of negatives, InfoNCE (CIFAR demo defaults)",
  options: MOCO_V2_OPTIONS,
  build: (cfg, ctx) => new MocoV2(cfg, ctx),
});
