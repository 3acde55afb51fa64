/**
 * Limited-memory BFGS (Nocedal & Wright, "Numerical Optimization", Algorithm 7.5) for smooth
 * unconstrained problems on plain `Float64Array`s: the solver of the linear probe, where the
 * whole problem (features x classes) fits in memory and an exact optimum is wanted.
 *
 * Line search: backtracking from step 1 (first iteration: 1 / ||g||) until the Armijo condition
 * `f(x + a p) <= f(x) + 1e-4 a g.p` holds; a curvature pair is kept only when `s.y > 1e-10`.
 * Stops when `max |g_i| <= gradTol` (converged), when the relative decrease of f falls below
 * `fTol` (converged: no more progress in float64), or after `maxIter` iterations.
 *
 * @module
 */

/** Objective: writes the gradient at `x` into `grad` and returns the value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

/** Options of {@link minimizeLbfgs}. */
export interface LbfgsOptions {
  /** Iteration cap (default 1000). */
  maxIter?: number;
  /** Converged when the largest gradient entry is at most this (default 1e-4, as scikit-learn). */
  gradTol?: number;
  /** Converged when `(f_old - f_new) / max(|f_old|, |f_new|, 1)` is at most this (default 2.2e-9). */
  fTol?: number;
  /** Curvature pairs kept (default 10). */
  memory?: number;
}

/** Outcome of {@link minimizeLbfgs}. */
export interface LbfgsResult {
  /** The minimiser found (a new array). */
  x: Float64Array;
  /** Objective value at `x`. */
  value: number;
  /** Iterations taken. */
  iterations: number;
  /** Largest gradient entry at `x`. */
  gradMax: number;
  /** True when a tolerance was met, false when `maxIter` ran out or the line search failed. */
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Minimises `f` from `x0` (not modified); see the module docs for the algorithm and stops. */
export function minimizeLbfgs(
  f: Objective,
  x0: Float64Array,
  opts: LbfgsOptions = {},
): LbfgsResult {
  const maxIter = opts.maxIter ?? 1000;
  const gradTol = opts.gradTol ?? 1e-4;
  const fTol = opts.fTol ?? 2.2e-9;
  const m = opts.memory ?? 10;
  if (!(Number.isInteger(maxIter) && maxIter >= 0 && gradTol >= 0 && fTol >= 0 && m >= 1)) {
    throw new RangeError(
      `lbfgs: need an integer maxIter >= 0, gradTol >= 0, fTol >= 0 and memory >= 1, got ` +
        `${maxIter}, ${gradTol}, ${fTol}, ${m}`,
    );
  }
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  if (!Number.isFinite(fx)) {
    throw new Error(`lbfgs: the objective is ${fx} at the starting point; check the inputs`);
  }
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const alpha = new Float64Array(m);
  const p = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iter = 0;
  let converged = maxAbs(g) <= gradTol;
  while (!converged && iter < maxIter) {
    // Two-loop recursion: p = -H g.
    p.set(g);
    for (let i = sHist.length - 1; i >= 0; i--) {
      alpha[i] = rhoHist[i] * dot(sHist[i], p);
      const y = yHist[i];
      for (let j = 0; j < n; j++) p[j] -= alpha[i] * y[j];
    }
    if (sHist.length > 0) {
      const k = sHist.length - 1;
      const gamma = dot(sHist[k], yHist[k]) / dot(yHist[k], yHist[k]);
      for (let j = 0; j < n; j++) p[j] *= gamma;
    }
    for (let i = 0; i < sHist.length; i++) {
      const beta = rhoHist[i] * dot(yHist[i], p);
      const s = sHist[i];
      for (let j = 0; j < n; j++) p[j] += s[j] * (alpha[i] - beta);
    }
    for (let j = 0; j < n; j++) p[j] = -p[j];
    let slope = dot(g, p);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHist.length = yHist.length = rhoHist.length = 0;
      for (let j = 0; j < n; j++) p[j] = -g[j];
      slope = dot(g, p);
    }
    let step = sHist.length === 0 ? 1 / Math.max(Math.sqrt(-slope), 1e-12) : 1;
    let fNew = Infinity;
    let accepted = false;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < n; j++) xNew[j] = x[j] + step * p[j];
      fNew = f(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    iter++;
    if (!accepted) break;
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      s[j] = xNew[j] - x[j];
      y[j] = gNew[j] - g[j];
    }
    const sy = dot(s, y);
    if (sy > 1e-10) {
      if (sHist.length === m) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
      sHist.push(s);
      yHist.push(y);
      rhoHist.push(1 / sy);
    }
    const decrease = (fx - fNew) / Math.max(Math.abs(fx), Math.abs(fNew), 1);
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = fNew;
    converged = maxAbs(g) <= gradTol || decrease <= fTol;
  }
  return { x, value: fx, iterations: iter, gradMax: maxAbs(g), converged };
}
