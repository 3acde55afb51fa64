/**
 * Gradient checking: compares the gradients that tfjs computes (`tf.grads`)
 * with central finite differences of the same function, on a random sample of
 * coordinates. Used by the tests of every loss and layer with a hand-written
 * or non-trivial gradient.
 *
 * Inputs are float32, so the finite differences are only accurate to about
 * `1e-7 * |f| / eps + eps^2 * |f'''|`; with `eps` in `1e-3..1e-2` on smooth
 * functions of size ~1, a relative error below ~1e-2 means "agrees".
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";

/** Options of {@link checkGradients}. */
export interface GradcheckOptions {
  /** Finite-difference step (central differences). Default 1e-2. */
  eps?: number;
  /** Coordinates checked per input; inputs with fewer elements are checked fully. Default 16. */
  samplesPerInput?: number;
  /** Seed of the coordinate sampler. Default 0. */
  seed?: number;
  /**
   * Richardson extrapolation of the central difference,
   * `(4 D(eps/2) - D(eps)) / 3`, which cancels the O(eps^2) truncation error
   * (O(eps^4) remains) at twice the cost. Default true.
   */
  richardson?: boolean;
  /**
   * Floor of the relative-error denominator, as a fraction of the largest
   * gradient magnitude seen among the checked coordinates, so that coordinates
   * whose gradient is ~0 compared with the rest do not dominate. Default 1e-2.
   */
  relativeFloor?: number;
}

/** One checked coordinate. */
export interface GradcheckEntry {
  /** Index of the input in `xs`. */
  input: number;
  /** Flat (row-major) index inside that input. */
  index: number;
  /** Gradient from `tf.grads`. */
  analytic: number;
  /** Central finite difference `D(eps) = (f(x+eps) - f(x-eps)) / (2 eps)`, Richardson-extrapolated by default. */
  numeric: number;
  /** `|analytic - numeric| / max(|analytic|, |numeric|, floor)`. */
  relError: number;
}

/** Result of {@link checkGradients}. */
export interface GradcheckResult {
  /** Largest relative error over the checked coordinates. */
  maxRelError: number;
  /** Largest absolute error `|analytic - numeric|`. */
  maxAbsError: number;
  /** The coordinate with the largest relative error. */
  worst: GradcheckEntry;
  /** Every checked coordinate. */
  entries: GradcheckEntry[];
}

/**
 * Compares `tf.grads(f)` with central finite differences at `xs`.
 *
 * @param f scalar function of the inputs; it must be deterministic (no
 *   dropout or random masks drawn inside) and must not keep tensors alive.
 * @param xs float32 inputs of any shape (small: each checked coordinate
 *   costs two evaluations of `f`). They are not modified or disposed.
 * @returns the maximum relative and absolute errors and the per-coordinate table.
 */
export function checkGradients(
  f: (xs: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  opts: GradcheckOptions = {},
): GradcheckResult {
  const eps = opts.eps ?? 1e-2;
  const samples = opts.samplesPerInput ?? 16;
  const relativeFloor = opts.relativeFloor ?? 1e-2;
  const richardson = opts.richardson ?? true;
  if (!(eps > 0)) {
    throw new RangeError(`checkGradients: eps must be > 0, got ${eps}; use 1e-3..1e-2`);
  }
  if (!Number.isInteger(samples) || samples < 1) {
    throw new RangeError(
      `checkGradients: samplesPerInput must be a positive integer, got ${samples}`,
    );
  }
  if (xs.length === 0) {
    throw new Error("checkGradients: no inputs given; pass at least one float32 tensor");
  }
  xs.forEach((x, i) => {
    if (x.dtype !== "float32") {
      throw new TypeError(
        `checkGradients: input ${i} has dtype ${x.dtype}; finite differences need float32 ` +
          `inputs (cast it with tf.cast(x, "float32") or close over it inside f)`,
      );
    }
  });

  const analytic = tf.tidy(() => {
    const g = tf.grads((...args: tf.Tensor[]) => {
      const y = f(args);
      if (y.rank !== 0) {
        throw new Error(
          `checkGradients: f must return a scalar, got shape [${y.shape}]; reduce it (e.g. tf.sum)`,
        );
      }
      return y;
    })(xs);
    return g.map((t) => t.dataSync().slice());
  });

  const rng = new Rng(opts.seed ?? 0);
  const values = xs.map((x) => x.dataSync().slice() as Float32Array);
  const evalAt = (input: number, index: number, delta: number): number => {
    const perturbed = values[input].slice();
    perturbed[index] += delta;
    return tf.tidy(() => {
      const args = xs.map((x, i) => (i === input ? tf.tensor(perturbed, x.shape, "float32") : x));
      return f(args).dataSync()[0];
    });
  };

  const raw: Omit<GradcheckEntry, "relError">[] = [];
  for (let input = 0; input < xs.length; input++) {
    const size = xs[input].size;
    const indices = size <= samples
      ? Array.from({ length: size }, (_, i) => i)
      : Array.from(rng.permutation(size).subarray(0, samples));
    for (const index of indices) {
      const central = (h: number) => (evalAt(input, index, h) - evalAt(input, index, -h)) / (2 * h);
      const coarse = central(eps);
      const numeric = richardson ? (4 * central(eps / 2) - coarse) / 3 : coarse;
      raw.push({ input, index, analytic: analytic[input][index], numeric });
    }
  }

  if (raw.length === 0) {
    throw new Error("checkGradients: every input is empty; pass inputs with at least one element");
  }
  let scale = 0;
  for (const e of raw) scale = Math.max(scale, Math.abs(e.analytic), Math.abs(e.numeric));
  const floor = Math.max(relativeFloor * scale, 1e-12);
  const entries = raw.map((e) => {
    const abs = Math.abs(e.analytic - e.numeric);
    const relError = Number.isFinite(abs)
      ? abs / Math.max(Math.abs(e.analytic), Math.abs(e.numeric), floor)
      : Infinity;
    return { ...e, relError };
  });
  let worst = entries[0];
  let maxAbsError = 0;
  for (const e of entries) {
    if (!(e.relError <= worst.relError)) worst = e;
    maxAbsError = Math.max(maxAbsError, Math.abs(e.analytic - e.numeric));
  }
  return { maxRelError: worst.relError, maxAbsError, worst, entries };
}
