/**
 * Base of the methods whose whole state is one {@link ParamStore} (SimCLR,
 * S-MAG, KDC-MAE, MIM-as-siamese): no momentum copy and no queue, so the
 * trainable parameters, the checkpointed state and what `dispose` frees all
 * come from that store. Methods with more state (MoCo v2) implement
 * {@link Method} themselves.
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import { ParamStore } from "../nn/params.ts";
import type { Encoder } from "../models/encoder.ts";
import type { Method, StepInput, StepLoss } from "./method.ts";

/** A {@link Method} backed by a single {@link ParamStore} (see module docs). */
export abstract class SingleStoreMethod<B extends object> implements Method<B> {
  abstract readonly name: string;
  abstract readonly encoder: Encoder;
  /** Every variable of the method; initial values drawn from the seed given to the constructor. */
  protected readonly store: ParamStore;

  /** @param seed seeds the store (the experiment's `cfg.seed`). */
  constructor(seed: number) {
    this.store = new ParamStore(seed);
  }

  /** The store's trainable parameters, in creation order. */
  params(): Map<string, tf.Variable> {
    return this.store.params();
  }

  /** The store's parameters and buffers (everything a checkpoint holds). */
  state(): Map<string, tf.Variable> {
    return this.store.allVariables();
  }

  abstract prepare(input: StepInput): B;

  abstract loss(batch: B, input: StepInput): StepLoss;

  /** Disposes every variable of the store. */
  dispose(): void {
    this.store.dispose();
  }
}
