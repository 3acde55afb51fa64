/**
 * The imputation experiment of notebook 06: on a real feature matrix, hide a
 * random share of the entries of held-out rows (a new mask per seed) and
 * measure every imputer of S-MAG section 3.4 on exactly those entries:
 * mean filling, the mask decoder alone (F10), KNN alone (F11-F12 with
 * lambda = 0, i.e. scikit-learn's KNNImputer), and decoder + KNN (F11 with
 * the decoder's output as Xhat) over a grid of lambda and k.
 *
 * Rows: `train` rows are complete (donors for KNN, training data for the
 * decoder); `test` rows get the missing entries. KNN runs on the stacked
 * matrix `[train; test]`, so donors come from both.
 *
 * NOTE mask convention: missing = 1 means MISSING (S-MAG F10-F12).
 *
 * @module
 */
import { Rng } from "../rng.ts";
import { ParamStore } from "../nn/params.ts";
import { knnImputeGrid, type KnnSetting } from "./knn_imputer.ts";
import { MaskDecoder, trainMaskDecoder } from "./mask_decoder.ts";
import { meanImpute } from "./mean_imputer.ts";
import { maskedError } from "./metrics.ts";
import type { MissingMatrix } from "./missing_matrix.ts";

/** The imputers compared. */
export type ImputerName = "mean" | "decoder" | "knn" | "decoder+knn";

/** One measurement: an imputer (with its lambda and k where it has them) on one seed's mask. */
export interface SweepRow {
  seed: number;
  imputer: ImputerName;
  /** lambda of F11 (decoder+knn; 0 for knn alone), null for the others. */
  lambda: number | null;
  /** Neighbours (knn, decoder+knn), null for the others. */
  k: number | null;
  rmse: number;
  mae: number;
  /** Entries scored (the hidden ones; equal for every imputer of a seed). */
  count: number;
}

/** Options of {@link imputationSweep}. */
export interface ImputationSweepOptions {
  /** Complete rows [trainRows, cols] float32. */
  train: Float32Array;
  /** Rows whose entries get hidden [testRows, cols] float32 (the truth). */
  test: Float32Array;
  cols: number;
  /** One mask (and one decoder initialisation) per seed. */
  seeds: readonly number[];
  /** Probability that an entry of a test row is hidden. */
  missingRate: number;
  /** lambda values for decoder+knn, at k = `k`. */
  lambdas: readonly number[];
  /** k values for knn alone and for decoder+knn (at lambda = `lambda`). */
  ks: readonly number[];
  /** k of the lambda sweep. */
  k: number;
  /** lambda of the k sweep. */
  lambda: number;
  /** Mask decoder size and training (defaults: hidden 128, depth 2, 400 steps). */
  decoder?: { hidden?: number; depth?: number; steps?: number; batchSize?: number; lr?: number };
  /** Called after each seed with (seeds done, seeds total). */
  onSeed?: (done: number, total: number) => void;
}

function checkSweep(o: ImputationSweepOptions): { trainRows: number; testRows: number } {
  const who = "imputationSweep";
  if (!Number.isInteger(o.cols) || o.cols < 1) {
    throw new Error(`${who}: cols must be a positive integer, got ${o.cols}`);
  }
  if (o.train.length % o.cols !== 0 || o.test.length % o.cols !== 0) {
    throw new Error(
      `${who}: train (${o.train.length}) and test (${o.test.length}) must hold whole rows of ` +
        `${o.cols} columns; pass row-major [rows, cols] matrices`,
    );
  }
  const trainRows = o.train.length / o.cols;
  const testRows = o.test.length / o.cols;
  if (trainRows < 2 || testRows < 1) {
    throw new Error(
      `${who}: need at least 2 train rows and 1 test row, got ${trainRows}, ${testRows}`,
    );
  }
  if (!(o.missingRate > 0 && o.missingRate < 1)) {
    throw new Error(`${who}: missingRate must lie in (0, 1), got ${o.missingRate}; e.g. 0.3`);
  }
  if (o.seeds.length === 0 || o.lambdas.length === 0 || o.ks.length === 0) {
    throw new Error(`${who}: give at least one seed, one lambda and one k`);
  }
  for (const v of [...o.train, ...o.test]) {
    if (!Number.isFinite(v)) {
      throw new Error(`${who}: the matrices must be complete and finite (they are the truth)`);
    }
  }
  return { trainRows, testRows };
}

/**
 * Runs the sweep (see module docs). Rows per seed: mean, decoder, knn at
 * every k, decoder+knn at every lambda (k = `k`) and at every k
 * (lambda = `lambda`; duplicates of the lambda sweep are not repeated).
 */
export function imputationSweep(o: ImputationSweepOptions): SweepRow[] {
  const { trainRows, testRows } = checkSweep(o);
  const cols = o.cols;
  const rows = trainRows + testRows;
  const truth = new Float32Array(rows * cols);
  truth.set(o.train, 0);
  truth.set(o.test, o.train.length);
  const out: SweepRow[] = [];
  o.seeds.forEach((seed, si) => {
    const rng = new Rng(seed);
    const missing = new Uint8Array(rows * cols);
    for (let p = o.train.length; p < missing.length; p++) {
      missing[p] = rng.bernoulli(o.missingRate) ? 1 : 0;
    }
    if (!missing.includes(1)) missing[o.train.length + rng.int(testRows * cols)] = 1;
    const values = Float32Array.from(truth);
    for (let p = 0; p < values.length; p++) if (missing[p] === 1) values[p] = NaN;
    const m: MissingMatrix = { values, missing, rows, cols };
    const push = (
      imputer: ImputerName,
      lambda: number | null,
      k: number | null,
      x: Float32Array,
    ) => {
      const e = maskedError(truth, x, missing);
      out.push({ seed, imputer, lambda, k, rmse: e.rmse, mae: e.mae, count: e.count });
    };
    push("mean", null, null, meanImpute(m));

    const store = new ParamStore(seed);
    try {
      const d = o.decoder ?? {};
      const decoder = new MaskDecoder(store, "decoder", {
        features: cols,
        hidden: d.hidden ?? 128,
        depth: d.depth ?? 2,
      });
      const complete: MissingMatrix = {
        values: o.train,
        missing: new Uint8Array(o.train.length),
        rows: trainRows,
        cols,
      };
      trainMaskDecoder(decoder, complete, {
        steps: d.steps ?? 400,
        batchSize: d.batchSize,
        lr: d.lr,
        missingRate: o.missingRate,
        seed,
      });
      const xhat = decoder.impute(m);
      push("decoder", null, null, xhat);
      const alone = o.ks.map((k) => ({ k, lambda: 0 }));
      knnImputeGrid(m, alone).forEach((x, i) => push("knn", 0, alone[i].k, x));
      const refined: KnnSetting[] = [];
      const add = (lambda: number, k: number) => {
        if (!refined.some((r) => r.lambda === lambda && r.k === k)) refined.push({ lambda, k });
      };
      for (const lambda of o.lambdas) add(lambda, o.k);
      for (const k of o.ks) add(o.lambda, k);
      knnImputeGrid(m, refined, xhat).forEach((x, i) =>
        push("decoder+knn", refined[i].lambda, refined[i].k, x)
      );
    } finally {
      store.dispose();
    }
    o.onSeed?.(si + 1, o.seeds.length);
  });
  return out;
}
