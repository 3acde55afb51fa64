/**
 * Statistical power of a seed-paired comparison: the minimal detectable
 * difference (MDE) of a paired t test, i.e. the smallest true difference
 * between two arms that `n` seeds detect with the given power at the given
 * two-sided level, for the seed-to-seed spread observed so far:
 *
 * ```
 * MDE = (t_{1-alpha/2, n-1} + t_{power, n-1}) * sd_diff / sqrt(n)
 * ```
 *
 * (the usual normal-approximation formula with Student-t quantiles at the
 * test's degrees of freedom; alpha 0.05, power 0.80 by default). With fewer
 * than 2 seeds there is no spread, so the MDE is undefined (NaN). Bottom
 * layer of the kit: imports only {@link studentTQuantile} and friends.
 *
 * @module
 */
import { sampleStd, studentTQuantile } from "./t_interval.ts";

/** Options of {@link minimalDetectableDifference}. */
export interface PowerOptions {
  /** Two-sided significance level alpha (default 0.05). */
  alpha?: number;
  /** Power 1 - beta (default 0.80). */
  power?: number;
  /**
   * Degrees of freedom of the t quantiles (default n - 1, the paired test's);
   * a Welch comparison passes its Welch-Satterthwaite df.
   */
  df?: number;
}

function checkProbability(v: number, what: string): void {
  if (!(v > 0 && v < 1)) throw new Error(`${what} must be in (0, 1), got ${v}`);
}

/**
 * The multiplier `t_{1-alpha/2, df} + t_{power, df}` of the MDE; NaN when df
 * is not a finite number > 0 (fewer than 2 seeds).
 */
export function mdeMultiplier(df: number, alpha = 0.05, power = 0.8): number {
  checkProbability(alpha, "alpha");
  checkProbability(power, "power");
  if (!(df > 0) || !Number.isFinite(df)) return NaN;
  return studentTQuantile(1 - alpha / 2, df) + studentTQuantile(power, df);
}

/**
 * Minimal detectable difference of a paired comparison over `n` seeds whose
 * per-seed differences have sample standard deviation `sdDiff`:
 * `(t_{1-alpha/2, n-1} + t_{power, n-1}) * sdDiff / sqrt(n)`. NaN when
 * `n < 2` or `sdDiff` is not finite (undefined, not zero).
 */
export function minimalDetectableDifference(
  sdDiff: number,
  n: number,
  opts: PowerOptions = {},
): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`minimalDetectableDifference: n must be a whole number >= 0, got ${n}`);
  }
  if (n < 2 || !Number.isFinite(sdDiff)) return NaN;
  if (sdDiff < 0) {
    throw new Error(`minimalDetectableDifference: sdDiff must be >= 0, got ${sdDiff}`);
  }
  const df = opts.df ?? n - 1;
  return mdeMultiplier(df, opts.alpha ?? 0.05, opts.power ?? 0.8) * sdDiff / Math.sqrt(n);
}

/** {@link minimalDetectableDifference} of a list of per-seed paired differences. */
export function pairedMde(diffs: readonly number[], opts: PowerOptions = {}): number {
  return minimalDetectableDifference(sampleStd(diffs), diffs.length, opts);
}

/**
 * Seeds needed to detect a true difference `delta` with a paired t test when
 * the per-seed differences have standard deviation `sdDiff` (smallest n >= 2
 * whose MDE is at most |delta|; `Infinity` when above `maxSeeds`).
 */
export function seedsForDifference(
  delta: number,
  sdDiff: number,
  opts: Omit<PowerOptions, "df"> & { maxSeeds?: number } = {},
): number {
  if (!(Math.abs(delta) > 0)) throw new Error(`seedsForDifference: delta must be non-zero`);
  if (!(sdDiff >= 0) || !Number.isFinite(sdDiff)) {
    throw new Error(`seedsForDifference: sdDiff must be a finite number >= 0, got ${sdDiff}`);
  }
  const max = opts.maxSeeds ?? 1000;
  for (let n = 2; n <= max; n++) {
    if (minimalDetectableDifference(sdDiff, n, opts) <= Math.abs(delta)) return n;
  }
  return Infinity;
}
