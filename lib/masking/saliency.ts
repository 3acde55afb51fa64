/**
 * Saliency-guided masking (seed 001, Chin et al. WACV 2024): a foreground map
 * from a conv feature map (relaxed or strict SCDA), resized to a patch grid,
 * then a random mask that draws its masked cells from the foreground and the
 * background separately, and a "hard negative" mask that hides foreground only.
 *
 * Conventions: feature maps `[N,h,w,c]` float32; foreground maps `[N,h,w]`
 * float32 with 1 = foreground; grid foregrounds `[N,L]` (row-major,
 * `L = gridH * gridW`); returned token masks `[N,L]` float32 with
 * **1 = kept, 0 = masked** (expand them with `tokenMaskToPixels`).
 *
 * Where the feature map comes from is the caller's choice: the poster uses a
 * frozen supervised network; a self-supervised kit can use the encoder being
 * trained or a warm-up copy of it.
 *
 * Everything a training step uses (relaxed SCDA, grid resize, both masks)
 * stays on the device: no synchronous read, so it runs on webgpu. Only
 * {@link strictScdaMap} reads back (its connected components run on the host).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";

function checkFeatureMap(fmap: tf.Tensor, who: string): void {
  if (fmap.rank !== 4) {
    throw new Error(
      `${who}: feature map must be [N,h,w,c] (NHWC), got shape [${fmap.shape}]; ` +
        `add a batch axis with expandDims(0) for one image`,
    );
  }
}

/**
 * Relaxed SCDA: `A = sum_c fmap`, a cell is foreground when
 * `A >= mean(A) - alpha * std(A)` (mean and population std over the cells of
 * each image). fmap: `[N,h,w,c]` float32 -> `[N,h,w]` float32 in {0,1}.
 * alpha defaults to 0.6 (seed 001).
 */
export function relaxedScdaMap(fmap: tf.Tensor4D, alpha = 0.6): tf.Tensor3D {
  checkFeatureMap(fmap, "relaxedScdaMap");
  return tf.tidy(() => {
    const a = tf.sum(fmap, 3);
    const { mean, variance } = tf.moments(a, [1, 2], true);
    const threshold = tf.sub(mean, tf.mul(tf.sqrt(variance), alpha));
    return tf.cast(tf.greaterEqual(a, threshold), "float32");
  }) as tf.Tensor3D;
}

/**
 * Largest 4-connected component of a binary `h x w` map (row-major, values
 * > 0.5 are on). Ties go to the component met first in row-major order.
 * Returns a new `{0,1}` map of the same size (all zeros if nothing is on).
 */
export function largestComponent(map: ArrayLike<number>, h: number, w: number): Float32Array {
  const label = new Int32Array(h * w).fill(-1);
  const stack: number[] = [];
  let best = -1;
  let bestSize = 0;
  let next = 0;
  for (let start = 0; start < h * w; start++) {
    if (!(map[start] > 0.5) || label[start] >= 0) continue;
    let size = 0;
    label[start] = next;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop() as number;
      size++;
      const y = Math.floor(p / w);
      const x = p - y * w;
      const neighbours = [
        y > 0 ? p - w : -1,
        y < h - 1 ? p + w : -1,
        x > 0 ? p - 1 : -1,
        x < w - 1 ? p + 1 : -1,
      ];
      for (const q of neighbours) {
        if (q >= 0 && map[q] > 0.5 && label[q] < 0) {
          label[q] = next;
          stack.push(q);
        }
      }
    }
    if (size > bestSize) (best = next), (bestSize = size);
    next++;
  }
  return Float32Array.from(label, (l) => (l === best && best >= 0 ? 1 : 0));
}

/**
 * Original (strict) SCDA: cells with `A > mean(A)` (`A = sum_c fmap`), then
 * only the largest 4-connected component is kept. fmap: `[N,h,w,c]` float32
 * -> `[N,h,w]` float32 in {0,1}. An image with constant A has no foreground.
 */
export function strictScdaMap(fmap: tf.Tensor4D): tf.Tensor3D {
  checkFeatureMap(fmap, "strictScdaMap");
  const [n, h, w] = fmap.shape;
  const above = tf.tidy(() => {
    const a = tf.sum(fmap, 3);
    return tf.cast(tf.greater(a, tf.mean(a, [1, 2], true)), "float32");
  });
  const values = above.dataSync();
  above.dispose();
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    out.set(largestComponent(values.subarray(i * h * w, (i + 1) * h * w), h, w), i * h * w);
  }
  return tf.tensor3d(out, [n, h, w]);
}

/** Overlap (in source cells) of each target interval with each source cell, `[to, from]`. */
function overlapMatrix(from: number, to: number): Float64Array {
  const m = new Float64Array(to * from);
  const scale = from / to;
  for (let t = 0; t < to; t++) {
    const lo = t * scale;
    const hi = (t + 1) * scale;
    for (let s = Math.floor(lo); s < Math.min(from, Math.ceil(hi)); s++) {
      m[t * from + s] = Math.min(hi, s + 1) - Math.max(lo, s);
    }
  }
  return m;
}

/**
 * Resizes a foreground map to a patch grid by area: each grid cell gets the
 * fraction of its area that is foreground (exact fractional overlaps, so any
 * sizes work, up or down), then `>= threshold` (default 0.5) makes it
 * foreground. Use e.g. 7x7 for 224 inputs, 4x4 or 8x8 for 32x32 inputs.
 *
 * @param map `[N,h,w]` float32 (1 = foreground; soft values allowed).
 * @param threshold set to `null` to get the soft fractions instead.
 * @returns `[N, gridH*gridW]` float32, row-major.
 */
export function resizeGridMask(
  map: tf.Tensor3D,
  gridH: number,
  gridW: number,
  threshold: number | null = 0.5,
): tf.Tensor2D {
  if (map.rank !== 3) {
    throw new Error(
      `resizeGridMask: map must be [N,h,w], got shape [${map.shape}]; squeeze a [N,h,w,1] map`,
    );
  }
  if (![gridH, gridW].every((v) => Number.isInteger(v) && v > 0)) {
    throw new RangeError(`resizeGridMask: grid must be positive integers, got ${gridH}x${gridW}`);
  }
  const [n, h, w] = map.shape;
  const ry = overlapMatrix(h, gridH);
  const rx = overlapMatrix(w, gridW);
  const cellArea = (h / gridH) * (w / gridW);
  // On the device (no read back): out[i] = Ry [gh,h] @ map[i] @ Rx^T [w,gw] / cellArea.
  return tf.tidy(() => {
    const rxT = tf.transpose(tf.tensor2d(Float32Array.from(rx), [gridW, w]));
    const ryT = tf.transpose(tf.tensor2d(Float32Array.from(ry), [gridH, h]));
    const cols = tf.matMul(tf.reshape(tf.cast(map, "float32"), [n * h, w]), rxT); // [N*h, gw]
    const byRow = tf.reshape(tf.transpose(tf.reshape(cols, [n, h, gridW]), [0, 2, 1]), [
      n * gridW,
      h,
    ]);
    const cells = tf.transpose(tf.reshape(tf.matMul(byRow, ryT), [n, gridW, gridH]), [0, 2, 1]);
    const frac = tf.div(tf.reshape(cells, [n, gridH * gridW]), cellArea);
    // float32 sums of exact overlaps: 1e-6 absorbs their rounding at the threshold.
    return (threshold === null
      ? frac
      : tf.cast(tf.greaterEqual(frac, threshold - 1e-6), "float32")) as tf.Tensor2D;
  });
}

/** A token mask drawn from a foreground map, with the ratio drawn per sample. */
export interface SaliencyMask {
  /** `[N,L]` float32, 1 = kept, 0 = masked. Owned by the caller. */
  mask: tf.Tensor2D;
  /** Masking ratio r drawn per sample, `[N]`. */
  ratio: Float64Array;
}

function checkForeground(fg: tf.Tensor2D, who: string): void {
  if (fg.rank !== 2) {
    throw new Error(
      `${who}: fg must be [N,L] (1 = foreground), got shape [${fg.shape}]; ` +
        `use resizeGridMask to bring a [N,h,w] map to the patch grid`,
    );
  }
}

/**
 * Masks, on the device, `counts[i][c]` uniformly chosen cells of set `inSet`
 * (`[N,L]` 0/1) in sample i, where c is the size of the sample's foreground
 * (`isFg`, `[N,L]` 0/1) and `counts` a host table `[N*(L+1)]`: the count for
 * every possible foreground size, so the formula stays in float64 on the host
 * while the foreground never leaves the device. "Uniformly": the cells of the
 * set with the smallest values of a random permutation `order` (`[N,L]`).
 * Returns `[N,L]` float32, 0 where masked.
 */
function maskLowestInSet(
  inSet: tf.Tensor2D,
  isFg: tf.Tensor2D,
  order: tf.Tensor2D,
  counts: Float32Array,
): tf.Tensor2D {
  const [n, L] = inSet.shape;
  return tf.tidy(() => {
    const fgSize = tf.cast(tf.sum(isFg, 1), "int32"); // [N]
    const take = tf.sum(
      tf.mul(tf.oneHot(fgSize, L + 1), tf.tensor2d(counts, [n, L + 1])),
      1,
      true,
    ); // [N,1]
    // rank[i,j] = #{k in set : order[i,k] < order[i,j]} (orders are distinct).
    const before = tf.cast(tf.less(tf.expandDims(order, 1), tf.expandDims(order, 2)), "float32");
    const rank = tf.squeeze(tf.matMul(before, tf.expandDims(inSet, 2)), [2]); // [N,L]
    const masked = tf.mul(inSet, tf.cast(tf.less(rank, take), "float32"));
    return tf.sub(1, masked) as tf.Tensor2D;
  });
}

/** One random permutation of `0..L-1` per sample, as `[N,L]` float32 (exact integers). */
function randomOrders(rng: Rng, n: number, L: number): tf.Tensor2D {
  const out = new Float32Array(n * L);
  for (let i = 0; i < n; i++) out.set(rng.permutation(L), i * L);
  return tf.tensor2d(out, [n, L]);
}

function checkRange(range: [number, number], who: string, name: string): void {
  const [lo, hi] = range;
  if (!(lo >= 0 && lo <= hi && hi <= 1)) {
    throw new RangeError(`${who}: ${name} must satisfy 0 <= lo <= hi <= 1, got [${lo}, ${hi}]`);
  }
}

/**
 * Saliency-guided random mask (seed 001). Per sample: `r ~ U[ratioRange]`,
 * `n_fg = round(min(r * fgRatio, maxFgFraction) * L)`,
 * `n_bg = floor(L * r) - n_fg`; `n_fg` foreground and `n_bg` background cells
 * are chosen uniformly and masked.
 *
 * `fgRatio` defaults to the sample's foreground fraction `|fg| / L` (the
 * reading of methods.md; then the fg and bg sets are masked at about the same
 * rate r). Pass a number to use a fixed multiplier instead; note that with
 * r <= 0.25 the 0.55 cap only binds when `fgRatio > 2.2`.
 *
 * Too-small sets: if a set has fewer cells than asked, all of its cells are
 * masked and the shortfall is **not** moved to the other set (so the masked
 * count can fall below `floor(L r)`); a negative `n_bg` (rounding) counts as 0.
 * Runs on the device without reading `fg` back (only r and a random cell
 * order come from `rng` on the host), so it suits GPU training steps.
 *
 * @param opts.fg `[N,L]` float32, 1 = foreground (values > 0.5).
 */
export function saliencyGuidedMask(opts: {
  fg: tf.Tensor2D;
  rng: Rng;
  ratioRange?: [number, number];
  maxFgFraction?: number;
  fgRatio?: number;
}): SaliencyMask {
  const who = "saliencyGuidedMask";
  const { rng, fg } = opts;
  const ratioRange = opts.ratioRange ?? [0.05, 0.25];
  const maxFg = opts.maxFgFraction ?? 0.55;
  checkRange(ratioRange, who, "ratioRange");
  checkForeground(fg, who);
  const [n, L] = fg.shape;
  const ratio = new Float64Array(n);
  // Counts for every possible foreground size c (host, float64): the device picks the row.
  const fgCounts = new Float32Array(n * (L + 1));
  const bgCounts = new Float32Array(n * (L + 1));
  for (let i = 0; i < n; i++) {
    const r = rng.uniform(ratioRange[0], ratioRange[1]);
    ratio[i] = r;
    for (let c = 0; c <= L; c++) {
      const nFg = Math.round(Math.min(r * (opts.fgRatio ?? c / L), maxFg) * L);
      const nBg = Math.floor(L * r + 1e-9) - nFg;
      fgCounts[i * (L + 1) + c] = Math.min(nFg, c);
      bgCounts[i * (L + 1) + c] = Math.max(0, Math.min(nBg, L - c));
    }
  }
  const order = randomOrders(rng, n, L);
  const mask = tf.tidy(() => {
    const isFg = tf.cast(tf.greater(fg, 0.5), "float32") as tf.Tensor2D;
    const isBg = tf.sub(1, isFg) as tf.Tensor2D;
    return tf.mul(
      maskLowestInSet(isFg, isFg, order, fgCounts),
      maskLowestInSet(isBg, isFg, order, bgCounts),
    ) as tf.Tensor2D;
  });
  order.dispose();
  return { mask, ratio };
}

/**
 * Hard-negative mask (seed 001): masks foreground cells only, with a higher
 * ratio `r ~ U[ratioRange]` (default [0.4, 0.7]). With `ratioOf: "foreground"`
 * (default) `round(r * |fg|)` foreground cells are masked; with `"all"`,
 * `min(floor(r * L), |fg|)` (the ratio counted over all cells, as in
 * {@link saliencyGuidedMask}). Cells are chosen uniformly in the foreground,
 * on the device (no read of `fg`).
 *
 * `maxFraction` caps the masked cells at a fraction of all L cells: with
 * `ratioOf: "foreground"` the count becomes `round(min(r |fg| / L, maxFraction) L)`,
 * as in the authors' released code (`min(r * FG_ratio, 0.55)` of the 49 cells,
 * `Dataset/random_mask_hp.py`); absent: no cap.
 *
 * @param opts.fg `[N,L]` float32, 1 = foreground.
 */
export function hardNegativeMask(opts: {
  fg: tf.Tensor2D;
  rng: Rng;
  ratioRange?: [number, number];
  ratioOf?: "foreground" | "all";
  maxFraction?: number;
}): SaliencyMask {
  const who = "hardNegativeMask";
  const { rng, fg } = opts;
  const ratioRange = opts.ratioRange ?? [0.4, 0.7];
  const ratioOf = opts.ratioOf ?? "foreground";
  checkRange(ratioRange, who, "ratioRange");
  checkForeground(fg, who);
  const cap = opts.maxFraction;
  if (cap !== undefined && !(cap >= 0 && cap <= 1)) {
    throw new RangeError(`${who}: maxFraction must be in [0, 1] (e.g. 0.55), got ${cap}`);
  }
  const [n, L] = fg.shape;
  const ratio = new Float64Array(n);
  const counts = new Float32Array(n * (L + 1));
  for (let i = 0; i < n; i++) {
    const r = rng.uniform(ratioRange[0], ratioRange[1]);
    ratio[i] = r;
    for (let c = 0; c <= L; c++) {
      const count = ratioOf === "foreground"
        ? (cap === undefined ? Math.round(r * c) : Math.round(Math.min((r * c) / L, cap) * L))
        : Math.min(Math.floor(r * L + 1e-9), c);
      counts[i * (L + 1) + c] = cap === undefined ? count : Math.min(count, Math.round(cap * L));
    }
  }
  const order = randomOrders(rng, n, L);
  const mask = tf.tidy(() => {
    const isFg = tf.cast(tf.greater(fg, 0.5), "float32") as tf.Tensor2D;
    return maskLowestInSet(isFg, isFg, order, counts);
  });
  order.dispose();
  return { mask, ratio };
}
