/**
 * Learning-rate schedules of the training recipes (S-MAG section 4.1, MAE,
 * SimCLR): linear warm-up followed by cosine annealing, and the linear
 * batch-size scaling rule `lr = base * batch / 256`.
 *
 * @module
 */

/** Options of {@link warmupCosine}. */
export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of warm-up. */
  baseLr: number;
  /** Number of warm-up steps (0 = no warm-up). */
  warmupSteps: number;
  /** Total number of steps; the rate is `minLr` from this step on. */
  totalSteps: number;
  /** Floor of the cosine. Default 0. */
  minLr?: number;
}

/**
 * Linear warm-up from 0 to `baseLr` over `warmupSteps`, then half a cosine from
 * `baseLr` down to `minLr` at `totalSteps`, constant `minLr` afterwards:
 *
 * - `step < warmupSteps`: `baseLr * step / warmupSteps`
 * - `warmupSteps <= step < totalSteps`:
 *   `minLr + (baseLr - minLr) * (1 + cos(pi * (step - warmupSteps) / (totalSteps - warmupSteps))) / 2`
 *
 * The function is continuous, accepts fractional steps (e.g. `epoch + i / itersPerEpoch`
 * as in MAE) and is meant to be evaluated once per optimiser step. Note that step 0 of a
 * warm-up has rate 0.
 *
 * @returns `(step) => lr`; throws on a negative or non-finite step.
 */
export function warmupCosine(opts: WarmupCosineOptions): (step: number) => number {
  const { baseLr, warmupSteps, totalSteps } = opts;
  const minLr = opts.minLr ?? 0;
  if (!(Number.isFinite(baseLr) && baseLr > 0)) {
    throw new RangeError(`warmupCosine: baseLr must be a positive number, got ${baseLr}`);
  }
  if (!(Number.isFinite(minLr) && minLr >= 0 && minLr <= baseLr)) {
    throw new RangeError(
      `warmupCosine: minLr must lie in [0, baseLr=${baseLr}], got ${minLr}; lower minLr`,
    );
  }
  if (!(Number.isFinite(warmupSteps) && warmupSteps >= 0)) {
    throw new RangeError(`warmupCosine: warmupSteps must be >= 0, got ${warmupSteps}`);
  }
  if (!(Number.isFinite(totalSteps) && totalSteps > warmupSteps)) {
    throw new RangeError(
      `warmupCosine: totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps}); ` +
        `shorten the warm-up or train longer`,
    );
  }
  const decaySteps = totalSteps - warmupSteps;
  return (step: number): number => {
    if (!(Number.isFinite(step) && step >= 0)) {
      throw new RangeError(`warmupCosine: step must be a finite number >= 0, got ${step}`);
    }
    if (step < warmupSteps) return (baseLr * step) / warmupSteps;
    if (step >= totalSteps) return minLr;
    const progress = (step - warmupSteps) / decaySteps;
    return minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

/** Options of {@link scaledLr}. */
export interface ScaledLrOptions {
  /** Batch size actually used. */
  batch: number;
  /** Learning rate at the reference batch size. Default 5e-4 (S-MAG, MAE-style recipes). */
  baseLr?: number;
  /** Reference batch size of the rule. Default 256. */
  referenceBatch?: number;
}

/**
 * Linear scaling rule of the papers: `lr = baseLr * batch / referenceBatch`
 * (defaults `5e-4 * batch / 256`).
 */
export function scaledLr(opts: ScaledLrOptions): number {
  const baseLr = opts.baseLr ?? 5e-4;
  const ref = opts.referenceBatch ?? 256;
  if (!(Number.isInteger(opts.batch) && opts.batch > 0)) {
    throw new RangeError(`scaledLr: batch must be a positive integer, got ${opts.batch}`);
  }
  if (!(baseLr > 0) || !(ref > 0)) {
    throw new RangeError(
      `scaledLr: baseLr and referenceBatch must be positive, got ${baseLr} and ${ref}`,
    );
  }
  return (baseLr * opts.batch) / ref;
}
