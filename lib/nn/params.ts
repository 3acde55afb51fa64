/**
 * Named parameters and buffers for models built from plain tfjs ops.
 *
 * Every layer registers its variables in a {@link ParamStore} under a
 * dotted, hierarchical name (`backbone.stage2.block0.conv1.kernel`). The
 * names are what checkpoints, weight decay rules and optimizers key on.
 * Initial values come from a seeded {@link Rng}, so a model is reproducible
 * from its seed on every backend.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";

/** How a fresh parameter is filled. */
export type Init =
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "normal"; std: number }
  | { kind: "uniform"; limit: number };

/** He (Kaiming) normal init for ReLU nets: std = sqrt(2 / fan). */
export function heNormal(fan: number): Init {
  return { kind: "normal", std: Math.sqrt(2 / fan) };
}

/** PyTorch's default Linear init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function fanInUniform(fanIn: number): Init {
  return { kind: "uniform", limit: 1 / Math.sqrt(fanIn) };
}

function fill(size: number, init: Init, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  switch (init.kind) {
    case "zeros":
      break;
    case "ones":
      out.fill(1);
      break;
    case "normal":
      for (let i = 0; i < size; i++) out[i] = rng.gaussian() * init.std;
      break;
    case "uniform":
      for (let i = 0; i < size; i++) out[i] = rng.uniform(-init.limit, init.limit);
      break;
  }
  return out;
}

/**
 * Owns the variables of one model (or one branch, e.g. a momentum encoder).
 * Trainable parameters and non-trainable buffers (batch-norm running
 * statistics) are kept apart so optimizers see only the former.
 */
export class ParamStore {
  readonly #params = new Map<string, tf.Variable>();
  readonly #buffers = new Map<string, tf.Variable>();
  readonly #rng: Rng;

  /** @param seed seeds every initial value drawn by this store. */
  constructor(seed: number) {
    this.#rng = new Rng(seed);
  }

  /** Creates a trainable parameter `name` of `shape`. Names must be unique. */
  param(name: string, shape: number[], init: Init): tf.Variable {
    return this.#create(this.#params, name, shape, init, true);
  }

  /** Creates a non-trainable buffer (e.g. running mean). Names must be unique. */
  buffer(name: string, shape: number[], init: Init): tf.Variable {
    return this.#create(this.#buffers, name, shape, init, false);
  }

  /** Trainable parameters by name, in creation order. */
  params(): Map<string, tf.Variable> {
    return new Map(this.#params);
  }

  /** Non-trainable buffers by name, in creation order. */
  buffers(): Map<string, tf.Variable> {
    return new Map(this.#buffers);
  }

  /** Parameters whose name starts with `prefix` (e.g. `"backbone."`). */
  paramsUnder(prefix: string): Map<string, tf.Variable> {
    return new Map([...this.#params].filter(([name]) => name.startsWith(prefix)));
  }

  /** Total number of trainable scalars. */
  countParams(): number {
    let n = 0;
    for (const v of this.#params.values()) n += v.size;
    return n;
  }

  /** Params and buffers together, for checkpoints. */
  allVariables(): Map<string, tf.Variable> {
    return new Map([...this.#params, ...this.#buffers]);
  }

  /**
   * Copies values from `tensors` into the variables of the same name.
   * Throws, naming the variable, on a missing name or a shape mismatch.
   */
  assignFrom(tensors: Map<string, tf.Tensor>, opts: { allowMissing?: boolean } = {}): void {
    for (const [name, v] of this.allVariables()) {
      const t = tensors.get(name);
      if (t === undefined) {
        if (opts.allowMissing) continue;
        throw new Error(
          `checkpoint has no tensor "${name}": it was written by a different model ` +
            `configuration; start a fresh run directory or use the matching config`,
        );
      }
      if (t.shape.join(",") !== v.shape.join(",")) {
        throw new Error(
          `checkpoint tensor "${name}" has shape [${t.shape}] but the model expects ` +
            `[${v.shape}]: the checkpoint comes from a different configuration`,
        );
      }
      v.assign(t.dtype === v.dtype ? t : tf.cast(t, v.dtype));
    }
  }

  /** Disposes every variable. */
  dispose(): void {
    for (const v of this.#params.values()) v.dispose();
    for (const v of this.#buffers.values()) v.dispose();
    this.#params.clear();
    this.#buffers.clear();
  }

  #create(
    into: Map<string, tf.Variable>,
    name: string,
    shape: number[],
    init: Init,
    trainable: boolean,
  ): tf.Variable {
    if (this.#params.has(name) || this.#buffers.has(name)) {
      throw new Error(`parameter name "${name}" is already taken; give each layer a unique name`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const values = fill(size, init, this.#rng);
    // tfjs variable names are global to the engine; our names live in the maps only.
    // The variable shares the initial tensor's data; dispose that handle or it outlives dispose().
    const initial = tf.tensor(values, shape, "float32");
    const v = tf.variable(initial, trainable);
    initial.dispose();
    into.set(name, v);
    return v;
  }
}

/**
 * Value of `loss` and its gradient with respect to each named parameter.
 * Gradients are keyed by the kit's parameter names (tfjs keys them by its own
 * internal variable names). Parameters the loss does not depend on are absent.
 */
export function valueAndGrads(
  loss: () => tf.Scalar,
  params: Map<string, tf.Variable>,
): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const { value, grads } = tf.variableGrads(loss, [...params.values()]);
  const named = new Map<string, tf.Tensor>();
  for (const [name, v] of params) {
    const g = grads[v.name];
    if (g !== undefined) named.set(name, g);
  }
  return { value, grads: named };
}
