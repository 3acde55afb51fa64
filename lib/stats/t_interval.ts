/**
 * Small-sample statistics at the bottom layer of the kit (no imports): mean,
 * sample standard deviation, Student-t distribution (CDF and quantile) and the
 * t confidence interval of a mean over seeds. Used by `lib/plot` (error bars
 * and bands), `lib/ablation` (tables, comparisons) and the notebooks.
 *
 * The t CDF goes through the regularised incomplete beta function
 * (continued fraction evaluated with the modified Lentz method) and the log
 * gamma function (Stirling series after an upward shift); the quantile
 * inverts the CDF by bisection, which is slow by numerical-library standards
 * (about 100 CDF calls) but exact to ~1e-12 and fine for tables.
 *
 * @module
 */

/** Arithmetic mean; NaN for an empty list. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (divisor n-1); NaN when fewer than 2 values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/** ln Gamma(x) for x > 0 (Stirling series after shifting x above 10; ~1e-15 absolute). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new Error(`logGamma: x must be > 0, got ${x}`);
  let shift = 0;
  while (x < 10) {
    shift += Math.log(x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // Stirling: (x-1/2)ln x - x + ln(2 pi)/2 + sum_k B_2k / (2k (2k-1) x^(2k-1)), k = 1..6.
  const series = inv *
    (1 / 12 -
      inv2 *
        (1 / 360 -
          inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188 - inv2 * 691 / 360360)))));
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 1000; m++) {
    // Even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    const even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + even * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + even / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    // Odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    const odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + odd * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + odd / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return f;
}

/** Regularised incomplete beta I_x(a, b) for x in [0,1], a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new Error(`incomplete beta: a, b must be > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new Error(`incomplete beta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) +
    b * Math.log(1 - x);
  // The fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return Math.exp(logFront) * betaContinuedFraction(x, a, b) / a;
  return 1 - Math.exp(logFront) * betaContinuedFraction(1 - x, b, a) / b;
}

function checkDf(df: number, what: string): void {
  if (!(df > 0) || !Number.isFinite(df)) {
    throw new Error(`${what}: degrees of freedom must be a finite number > 0, got ${df}`);
  }
}

/** P(T <= t) for Student's t with `df` degrees of freedom (df may be fractional, e.g. Welch). */
export function studentTCdf(t: number, df: number): number {
  checkDf(df, "studentTCdf");
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` degrees of freedom, e.g. (0.975, 2) -> 4.3027. */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df, "studentTQuantile");
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Mean with its Student-t confidence interval; std/interval are NaN with fewer than 2 values. */
export interface MeanInterval {
  n: number;
  mean: number;
  /** Sample standard deviation (n-1). */
  std: number;
  /** t_{(1+level)/2, n-1} * std / sqrt(n). */
  halfWidth: number;
  low: number;
  high: number;
  level: number;
}

/** Mean ± t_{(1+level)/2, n-1} * s / sqrt(n) (level 0.95 by default). */
export function meanConfidenceInterval(xs: readonly number[], level = 0.95): MeanInterval {
  if (!(level > 0 && level < 1)) {
    throw new Error(`confidence level must be in (0, 1) (e.g. 0.95), got ${level}`);
  }
  const n = xs.length;
  const m = mean(xs);
  const std = sampleStd(xs);
  const halfWidth = n < 2 ? NaN : studentTQuantile((1 + level) / 2, n - 1) * std / Math.sqrt(n);
  return { n, mean: m, std, halfWidth, low: m - halfWidth, high: m + halfWidth, level };
}
