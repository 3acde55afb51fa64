/**
 * Several masks per sample for multi-stream training (KDC-MAE, seed 002):
 * complementary masks, whose visible sets are pairwise disjoint, and
 * overlapping masks, drawn independently with the same ratio.
 *
 * Conventions: token masks `[N,L]` float32, 1 = kept (visible), 0 = masked;
 * each stream comes as a {@link GridMask} (mask, idsKeep, idsShuffle,
 * idsRestore) usable by an MAE-style encoder.
 *
 * @module
 */
import type { Rng } from "../rng.ts";
import type * as tf from "../tfjs.ts";
import {
  type GridMask,
  gridMaskFromPermutations,
  keptTokenCount,
  tokenMaskFromPermutations,
} from "./token_masks.ts";

/** Options shared by {@link complementaryMasks} and {@link overlappingMasks}. */
export interface MultiMaskOptions {
  /** Batch size. */
  n: number;
  /** Tokens per sample (e.g. 64 for an 8x8 grid). */
  L: number;
  /** Fraction of tokens masked in every stream; `L_keep = floor(L (1 - ratio))`. */
  ratio: number;
  /** Number of streams (masks per sample); KDC-MAE uses 2, and 3 in its ablation. */
  streams: number;
  rng: Rng;
}

function checkCommon(opts: MultiMaskOptions, who: string): number {
  const { n, L, streams } = opts;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`${who}: n must be a positive integer, got ${n}`);
  }
  if (!Number.isInteger(streams) || streams < 2) {
    throw new RangeError(
      `${who}: streams must be an integer >= 2 (KDC-MAE: 2 or 3), got ${streams}`,
    );
  }
  return keptTokenCount(L, opts.ratio);
}

/**
 * Complementary masks: one random permutation per sample; stream s keeps
 * `perm[s*L_keep : (s+1)*L_keep]`, so the visible sets of the streams are
 * pairwise disjoint and each stream masks exactly `L - L_keep` tokens.
 *
 * Feasible only when `streams * L_keep <= L`, i.e. (up to the floor in
 * `L_keep`) `ratio >= 1 - 1/streams`; otherwise throws, stating the bound.
 * Because of the floor, a ratio slightly below the bound can be feasible for a
 * particular L (e.g. L=10, 3 streams, ratio 0.65 keeps 3 tokens each).
 *
 * @returns `streams` grid masks; in each, `idsShuffle` lists the stream's kept
 *   tokens first. Dispose their tensors when done.
 */
export function complementaryMasks(opts: MultiMaskOptions): GridMask[] {
  const { perms, lKeep } = complementaryPermutations(opts, "complementaryMasks");
  return perms.map((p) => gridMaskFromPermutations(p, lKeep));
}

/**
 * The token masks of {@link complementaryMasks} alone (same draws, no MAE
 * index tensors): `streams` masks `[N,L]` float32, 1 = kept. Dispose them.
 */
export function complementaryTokenMasks(opts: MultiMaskOptions): tf.Tensor2D[] {
  const { perms, lKeep } = complementaryPermutations(opts, "complementaryMasks");
  return perms.map((p) => tokenMaskFromPermutations(p, lKeep));
}

/** Per stream, one permutation per sample whose first `lKeep` entries are that stream's kept set. */
function complementaryPermutations(
  opts: MultiMaskOptions,
  who: string,
): { perms: Int32Array[][]; lKeep: number } {
  const lKeep = checkCommon(opts, who);
  const { n, L, streams, ratio, rng } = opts;
  if (streams * lKeep > L) {
    const bound = 1 - 1 / streams;
    throw new RangeError(
      `${who}: complementary masks for ${streams} streams need ratio >= ${bound.toFixed(3)} ` +
        `(L_keep*${streams} <= L); got ${ratio} (L=${L}, L_keep=${lKeep}); raise the ratio ` +
        `or use overlappingMasks`,
    );
  }
  const perms = Array.from({ length: n }, () => rng.permutation(L));
  const streamPerms = Array.from({ length: streams }, (_, s) => {
    const start = s * lKeep;
    return perms.map((p) => {
      const out = new Int32Array(L);
      out.set(p.subarray(start, start + lKeep), 0);
      out.set(p.subarray(0, start), lKeep);
      out.set(p.subarray(start + lKeep), start + lKeep);
      return out;
    });
  });
  return { perms: streamPerms, lKeep };
}

/**
 * Overlapping masks: `streams` independent MAE random masks with the same
 * ratio (their visible sets may intersect). The KDC-MAE baseline.
 *
 * @returns `streams` grid masks; dispose their tensors when done.
 */
export function overlappingMasks(opts: MultiMaskOptions): GridMask[] {
  const lKeep = checkCommon(opts, "overlappingMasks");
  const { n, L, streams, rng } = opts;
  return Array.from(
    { length: streams },
    () => gridMaskFromPermutations(Array.from({ length: n }, () => rng.permutation(L)), lKeep),
  );
}

/**
 * The token masks of {@link overlappingMasks} alone (same draws, no MAE index
 * tensors): `streams` masks `[N,L]` float32, 1 = kept. Dispose them.
 */
export function overlappingTokenMasks(opts: MultiMaskOptions): tf.Tensor2D[] {
  const lKeep = checkCommon(opts, "overlappingMasks");
  const { n, L, streams, rng } = opts;
  return Array.from(
    { length: streams },
    () => tokenMaskFromPermutations(Array.from({ length: n }, () => rng.permutation(L)), lKeep),
  );
}

/** Disposes every tensor of a list of grid masks. */
export function disposeGridMasks(masks: GridMask[]): void {
  for (const g of masks) {
    g.mask.dispose();
    g.idsKeep.dispose();
    g.idsShuffle.dispose();
    g.idsRestore.dispose();
  }
}
