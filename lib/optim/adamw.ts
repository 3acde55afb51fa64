/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled
 * Weight Decay Regularization", ICLR 2019), the optimiser of the S-MAG recipe
 * (lr 5e-4 x batch/256, weight decay 0.05). tfjs ships Adam only.
 *
 * Per parameter `p` with gradient `g`, at its step `t` (1-based), following
 * PyTorch's `torch.optim.AdamW` (decay scaled by the current lr):
 *
 * ```
 * p <- p - lr * wd * p                       (decoupled decay; skipped for excluded names)
 * m <- beta1 * m + (1 - beta1) * g
 * v <- beta2 * v + (1 - beta2) * g^2
 * p <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 * ```
 *
 * The decay never enters `m` or `v` (unlike L2 regularisation added to `g`).
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { type ComputeEngine, defaultComputeEngine, readOnHost } from "../backend/host_engine.ts";

/** Decides whether a parameter is exempt from weight decay. */
export type DecayExclusion = (name: string, shape: readonly number[]) => boolean;

/**
 * Default weight-decay exclusion: biases and normalisation parameters, i.e.
 * names containing "bias", "gamma" or "beta" (case-insensitive), and every
 * parameter of rank <= 1 (biases, norm scales/shifts, scalars). This is the
 * usual practice of MAE/DeiT-style recipes.
 */
export const defaultDecayExclusion: DecayExclusion = (name, shape) => {
  const lower = name.toLowerCase();
  return shape.length <= 1 || lower.includes("bias") || lower.includes("gamma") ||
    lower.includes("beta");
};

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Learning rate (overridable per step). */
  lr: number;
  /** First-moment decay. Default 0.9. */
  beta1?: number;
  /** Second-moment decay. Default 0.999. */
  beta2?: number;
  /** Added to sqrt(v_hat). Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay coefficient. Default 0.05. */
  weightDecay?: number;
  /**
   * Parameters for which this returns true get no weight decay.
   * Default {@link defaultDecayExclusion}; pass `() => false` to decay everything.
   */
  excludeFromDecay?: DecayExclusion;
  /**
   * Where the update runs: `"host"`, one loop per parameter over host memory (the CPU backends;
   * ~15 small kernels per parameter become one pass), or `"tensor"`, tfjs ops on the active
   * backend. Default: lib/backend/host_engine.ts `defaultComputeEngine()` (`"tensor"` on webgpu,
   * `"host"` elsewhere). Both give the same update up to float rounding (lib/optim/adamw_test.ts).
   */
  engine?: ComputeEngine;
}

/** Gradients keyed by parameter name (as returned by `tf.variableGrads(...).grads`). */
export type NamedGrads = Map<string, tf.Tensor> | Record<string, tf.Tensor>;

interface Slot {
  m: tf.Variable;
  v: tf.Variable;
  step: number;
}

const STATE_PREFIX_M = "m/";
const STATE_PREFIX_V = "v/";
const STATE_PREFIX_STEP = "step/";

/**
 * AdamW optimiser over named `tf.Variable`s. Moment slots are created lazily
 * (zeros) the first time a parameter receives a gradient; each parameter has
 * its own step count for bias correction, so parameters added later (a new
 * head) are corrected properly. Parameters without a gradient in a step are
 * left untouched (neither updated nor decayed), as in PyTorch.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly excludeFromDecay: DecayExclusion;
  /** Current default learning rate (used when `step` gets no `lr`). */
  lr: number;
  /** The engine asked for (undefined: chosen per step from the active backend). */
  readonly engine?: ComputeEngine;
  readonly #slots = new Map<string, Slot>();
  /** State loaded by `loadState` for parameters not seen yet, by name. */
  readonly #pending = new Map<string, { m: tf.Tensor; v: tf.Tensor; step: number }>();
  #calls = 0;

  /** @param opts hyper-parameters; see {@link AdamWOptions} for defaults. */
  constructor(opts: AdamWOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.05;
    this.excludeFromDecay = opts.excludeFromDecay ?? defaultDecayExclusion;
    this.engine = opts.engine;
    checkLr(this.lr);
    for (const [k, b] of [["beta1", this.beta1], ["beta2", this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`AdamW: ${k} must lie in [0, 1), got ${b}`);
    }
    if (!(this.eps > 0)) throw new RangeError(`AdamW: eps must be > 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0 && Number.isFinite(this.weightDecay))) {
      throw new RangeError(
        `AdamW: weightDecay must be a finite number >= 0, got ${this.weightDecay}`,
      );
    }
  }

  /** Number of `step` calls so far (restored by `loadState`). */
  get stepCount(): number {
    return this.#calls;
  }

  /** True when parameter `name` of `shape` receives weight decay. */
  decays(name: string, shape: readonly number[]): boolean {
    return this.weightDecay > 0 && !this.excludeFromDecay(name, shape);
  }

  /**
   * Applies one update to every parameter that has a gradient in `grads`.
   *
   * @param grads gradient per parameter name, same shape as the parameter;
   *   not disposed (the caller owns them).
   * @param params the trainable variables by name (float32).
   * @param lr learning rate of this step (e.g. from `warmupCosine`); default `this.lr`.
   */
  step(grads: NamedGrads, params: Map<string, tf.Variable>, lr: number = this.lr): void {
    checkLr(lr);
    const entries = grads instanceof Map ? [...grads.entries()] : Object.entries(grads);
    for (const [name, g] of entries) {
      const p = params.get(name);
      if (p === undefined) {
        throw new Error(
          `AdamW.step: got a gradient for "${name}" but no parameter of that name; ` +
            `pass the same name->variable map that the gradients were computed for`,
        );
      }
      if (!tf.util.arraysEqual(g.shape, p.shape)) {
        throw new Error(
          `AdamW.step: gradient of "${name}" has shape [${g.shape}] but the parameter ` +
            `has [${p.shape}]; gradients must match their parameters`,
        );
      }
      if (p.dtype !== "float32") {
        throw new TypeError(
          `AdamW.step: parameter "${name}" has dtype ${p.dtype}; only float32 can be trained`,
        );
      }
    }
    const host = (this.engine ?? defaultComputeEngine()) === "host";
    for (const [name, g] of entries) {
      const p = params.get(name)!;
      const slot = this.#slot(name, p);
      slot.step += 1;
      const t = slot.step;
      const decay = this.decays(name, p.shape) ? lr * this.weightDecay : 0;
      if (host) {
        this.#updateOnHost(p, g, slot, lr, decay);
        continue;
      }
      tf.tidy(() => {
        const m = tf.add(tf.mul(slot.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const mHat = tf.div(m, 1 - Math.pow(this.beta1, t));
        const vHat = tf.div(v, 1 - Math.pow(this.beta2, t));
        const update = tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.eps)), lr);
        const decayed = decay > 0 ? tf.mul(p, 1 - decay) : p;
        slot.m.assign(m);
        slot.v.assign(v);
        p.assign(tf.sub(decayed, update));
      });
    }
    this.#calls += 1;
  }

  /**
   * The optimiser state for checkpoints: `m/<name>` and `v/<name>` (float32,
   * parameter shape), `step/<name>` (int32 scalar) per parameter, and `calls`
   * (int32 scalar, the number of `step` calls). The tensors are fresh copies
   * owned by the caller (dispose them after saving).
   */
  state(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    const add = (name: string, m: tf.Tensor, v: tf.Tensor, step: number) => {
      out.set(STATE_PREFIX_M + name, tf.clone(m));
      out.set(STATE_PREFIX_V + name, tf.clone(v));
      out.set(STATE_PREFIX_STEP + name, tf.scalar(step, "int32"));
    };
    for (const [name, s] of this.#slots) add(name, s.m, s.v, s.step);
    for (const [name, s] of this.#pending) add(name, s.m, s.v, s.step);
    out.set("calls", tf.scalar(this.#calls, "int32"));
    return out;
  }

  /**
   * Restores a state produced by {@link state} (e.g. from a checkpoint),
   * replacing the current one. The tensors are copied, not kept. Shapes are
   * checked against the parameters when they next receive a gradient.
   */
  loadState(state: Map<string, tf.Tensor>): void {
    const names = new Set<string>();
    for (const key of state.keys()) {
      if (key === "calls") continue;
      const prefix = [STATE_PREFIX_M, STATE_PREFIX_V, STATE_PREFIX_STEP].find((p) =>
        key.startsWith(p)
      );
      if (prefix === undefined) {
        throw new Error(
          `AdamW.loadState: unknown state entry "${key}"; expected "m/<param>", "v/<param>", ` +
            `"step/<param>" or "calls" (pass only the tensors returned by AdamW.state())`,
        );
      }
      names.add(key.slice(prefix.length));
    }
    for (const name of names) {
      const m = state.get(STATE_PREFIX_M + name);
      const v = state.get(STATE_PREFIX_V + name);
      const step = state.get(STATE_PREFIX_STEP + name);
      if (!m || !v || !step) {
        throw new Error(
          `AdamW.loadState: incomplete state for "${name}" (need m/, v/ and step/ entries); ` +
            `the checkpoint is damaged or not from AdamW`,
        );
      }
      if (!tf.util.arraysEqual(m.shape, v.shape) || step.size !== 1) {
        throw new Error(
          `AdamW.loadState: inconsistent state for "${name}": m [${m.shape}], v [${v.shape}], ` +
            `step size ${step.size}`,
        );
      }
    }
    const calls = state.get("calls");
    this.dispose();
    for (const name of names) {
      this.#pending.set(name, {
        m: tf.cast(state.get(STATE_PREFIX_M + name)!, "float32"),
        v: tf.cast(state.get(STATE_PREFIX_V + name)!, "float32"),
        step: state.get(STATE_PREFIX_STEP + name)!.dataSync()[0],
      });
    }
    this.#calls = calls ? calls.dataSync()[0] : 0;
  }

  /** Frees the moment tensors (the optimiser can be used again, starting from zero state). */
  dispose(): void {
    for (const s of this.#slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    for (const s of this.#pending.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.#slots.clear();
    this.#pending.clear();
    this.#calls = 0;
  }

  /**
   * The update of {@link step} for one parameter as one loop over host memory (CPU backends keep
   * tensors there: the reads are not transfers). Same formula and order as the tensor path.
   */
  #updateOnHost(p: tf.Variable, g: tf.Tensor, slot: Slot, lr: number, decay: number): void {
    const pv = readOnHost(p, "AdamW");
    const gv = readOnHost(g, "AdamW");
    const mv = readOnHost(slot.m, "AdamW");
    const vv = readOnHost(slot.v, "AdamW");
    const n = pv.length;
    const np = new Float32Array(n);
    const nm = new Float32Array(n);
    const nv = new Float32Array(n);
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - Math.pow(b1, slot.step);
    const c2 = 1 - Math.pow(b2, slot.step);
    const keep = 1 - decay;
    for (let i = 0; i < n; i++) {
      const gi = gv[i];
      const m = b1 * mv[i] + (1 - b1) * gi;
      const v = b2 * vv[i] + (1 - b2) * gi * gi;
      nm[i] = m;
      nv[i] = v;
      np[i] = pv[i] * keep - ((m / c1) / (Math.sqrt(v / c2) + eps)) * lr;
    }
    tf.tidy(() => {
      slot.m.assign(tf.tensor(nm, p.shape, "float32"));
      slot.v.assign(tf.tensor(nv, p.shape, "float32"));
      p.assign(tf.tensor(np, p.shape, "float32"));
    });
  }

  #slot(name: string, p: tf.Variable): Slot {
    let slot = this.#slots.get(name);
    if (slot) return slot;
    const pending = this.#pending.get(name);
    if (pending) {
      if (!tf.util.arraysEqual(pending.m.shape, p.shape)) {
        throw new Error(
          `AdamW: loaded state for "${name}" has shape [${pending.m.shape}] but the parameter ` +
            `has [${p.shape}]; the checkpoint belongs to a different model configuration`,
        );
      }
      slot = {
        m: tf.variable(pending.m, false),
        v: tf.variable(pending.v, false),
        step: pending.step,
      };
      pending.m.dispose();
      pending.v.dispose();
      this.#pending.delete(name);
    } else {
      slot = tf.tidy(() => ({
        m: tf.variable(tf.zerosLike(p), false),
        v: tf.variable(tf.zerosLike(p), false),
        step: 0,
      }));
    }
    this.#slots.set(name, slot);
    return slot;
  }
}

function checkLr(lr: number): void {
  if (!(Number.isFinite(lr) && lr >= 0)) {
    throw new RangeError(`AdamW: learning rate must be a finite number >= 0, got ${lr}`);
  }
}
