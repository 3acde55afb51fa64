/**
 * Random token masks: S-MAG's square tokens placed at random (Fig. 4, Table 3)
 * and the MAE-style grid form with an exact mask ratio.
 *
 * Conventions: pixel masks `[N,H,W,1]` float32, token masks `[N,L]` float32
 * over a `gridH x gridW` grid in row-major order (`L = gridH * gridW`); in
 * both, **1 = kept (visible), 0 = masked**.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { Rng } from "../rng.ts";

function checkPositiveInt(value: number, name: string, who: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${who}: ${name} must be a positive integer, got ${value}`);
  }
}

/** A square-token mask spec: `tokenCount` squares of side `tokenSize` pixels are masked. */
export interface TokenSpec {
  /** Side of one square token in pixels. */
  tokenSize: number;
  /** Number of squares dropped (they may overlap). */
  tokenCount: number;
}

/** The four settings of S-MAG Table 3, for 224x224 inputs. Fig. 4 uses `{20, 200}`. */
export const PAPER_TOKEN_SPECS: readonly TokenSpec[] = [
  { tokenSize: 10, tokenCount: 100 },
  { tokenSize: 10, tokenCount: 200 },
  { tokenSize: 20, tokenCount: 100 },
  { tokenSize: 20, tokenCount: 200 },
];
/** Image side the paper's token specs refer to. */
export const PAPER_IMAGE_SIZE = 224;

/**
 * S-MAG random token mask (Fig. 4): for each image, `tokenCount` squares of
 * side `tokenSize` are placed with their top-left corner uniform over all
 * positions that keep the square fully inside the image (so squares may touch
 * the borders and may overlap each other). Their union is masked.
 *
 * @returns pixel mask `[n,height,width,1]` float32, 1 = kept, 0 = masked.
 */
export function randomTokenMask(opts: {
  n: number;
  height: number;
  width: number;
  tokenSize: number;
  tokenCount: number;
  rng: Rng;
}): tf.Tensor4D {
  const { n, height, width, tokenSize, tokenCount, rng } = opts;
  const who = "randomTokenMask";
  checkPositiveInt(n, "n", who);
  checkPositiveInt(height, "height", who);
  checkPositiveInt(width, "width", who);
  checkPositiveInt(tokenSize, "tokenSize", who);
  if (!Number.isInteger(tokenCount) || tokenCount < 0) {
    throw new RangeError(`${who}: tokenCount must be an integer >= 0, got ${tokenCount}`);
  }
  if (tokenSize > Math.min(height, width)) {
    throw new RangeError(
      `${who}: tokenSize ${tokenSize} does not fit a ${height}x${width} image; ` +
        `use scaleTokenSpec() to rescale the paper's 224x224 sizes`,
    );
  }
  const m = new Float32Array(n * height * width).fill(1);
  for (let i = 0; i < n; i++) {
    const base = i * height * width;
    for (let t = 0; t < tokenCount; t++) {
      const y0 = rng.int(height - tokenSize + 1);
      const x0 = rng.int(width - tokenSize + 1);
      for (let y = y0; y < y0 + tokenSize; y++) {
        m.fill(0, base + y * width + x0, base + y * width + x0 + tokenSize);
      }
    }
  }
  return tf.tensor4d(m, [n, height, width, 1]);
}

/**
 * Fraction of masked pixels of each image. mask: `[N,H,W,1]` (or `[N,L]`),
 * 1 = kept; soft masks count `1 - M`. Returns `[N]` values in [0,1].
 */
export function maskedAreaFraction(mask: tf.Tensor): Float32Array {
  if (mask.rank < 2) {
    throw new Error(
      `maskedAreaFraction: mask must be [N,H,W,1] or [N,L], got shape [${mask.shape}]`,
    );
  }
  const fraction = tf.tidy(() => {
    const flat = tf.reshape(mask, [mask.shape[0], -1]);
    return tf.sub(1, tf.mean(tf.cast(flat, "float32"), 1));
  });
  const values = fraction.dataSync() as Float32Array;
  fraction.dispose();
  return values;
}

/**
 * Expected masked-area fraction of {@link randomTokenMask} on a
 * `height x width` image, overlaps included. Pixel (y,x) is covered by one
 * token with probability `p = ry(y) rx(x) / ((H-s+1)(W-s+1))` (`ry(y)` = number
 * of top rows whose square covers row y), so it stays visible with probability
 * `(1-p)^count`; the result is the mean over pixels of `1 - (1-p)^count`.
 */
export function expectedMaskedFraction(spec: TokenSpec, height: number, width: number): number {
  const { tokenSize: s, tokenCount } = spec;
  checkPositiveInt(s, "tokenSize", "expectedMaskedFraction");
  if (s > Math.min(height, width)) {
    throw new RangeError(
      `expectedMaskedFraction: tokenSize ${s} does not fit a ${height}x${width} image`,
    );
  }
  const covering = (side: number) =>
    Array.from({ length: side }, (_, y) => Math.min(y, side - s) - Math.max(0, y - s + 1) + 1);
  const ry = covering(height);
  const rx = covering(width);
  const positions = (height - s + 1) * (width - s + 1);
  let total = 0;
  for (const a of ry) {
    for (const b of rx) total += 1 - (1 - (a * b) / positions) ** tokenCount;
  }
  return total / (height * width);
}

/** Result of {@link scaleTokenSpec}. */
export interface ScaledTokenSpec extends TokenSpec {
  /** Expected masked fraction of the scaled spec on `imageSize x imageSize`. */
  maskedFraction: number;
  /** Expected masked fraction of the paper spec on 224x224 (the target). */
  paperMaskedFraction: number;
}

/**
 * Rescales a token spec given for `fromSize x fromSize` images (the paper's
 * 224) to `imageSize x imageSize` images, keeping the **expected masked-area
 * fraction** (overlaps included, {@link expectedMaskedFraction}).
 *
 * Choice: the token side scales with the image, `round(tokenSize * imageSize /
 * fromSize)` (at least 1 pixel), so that a token covers the same share of the
 * image; the count is then the one whose expected masked fraction is closest
 * to the paper's (rounding the side changes the area, so the count is not
 * simply kept). The nominal fraction `count * s^2 / side^2` is not used: it
 * exceeds 1 for the paper's 20x20 x 200 setting (1.59), whose real masked
 * fraction is about 0.79 because squares overlap.
 *
 * On 32x32 (expected masked fraction in brackets): 10x10/100 -> 1x1/203 (0.18),
 * 10x10/200 -> 1x1/404 (0.33), 20x20/100 -> 3x3/89 (0.53), 20x20/200 -> 3x3/171
 * (0.76). A 10-pixel token rounds to 1 pixel at 32x32 (pixel dropout); pass
 * `opts.tokenSize` (e.g. 2) to pin the side and only fit the count.
 *
 * @param opts.fromSize the side `paperSpec` refers to (default 224).
 * @param opts.tokenSize a fixed token side instead of the scaled one.
 */
export function scaleTokenSpec(
  paperSpec: TokenSpec,
  imageSize: number,
  opts: { fromSize?: number; tokenSize?: number } = {},
): ScaledTokenSpec {
  const fromSize = opts.fromSize ?? PAPER_IMAGE_SIZE;
  checkPositiveInt(imageSize, "imageSize", "scaleTokenSpec");
  checkPositiveInt(fromSize, "fromSize", "scaleTokenSpec");
  const target = expectedMaskedFraction(paperSpec, fromSize, fromSize);
  const tokenSize = opts.tokenSize ?? Math.min(
    imageSize,
    Math.max(1, Math.round((paperSpec.tokenSize * imageSize) / fromSize)),
  );
  checkPositiveInt(tokenSize, "tokenSize", "scaleTokenSpec");
  const at = (count: number) =>
    expectedMaskedFraction({ tokenSize, tokenCount: count }, imageSize, imageSize);
  // The expected fraction increases with the count: bracket, then bisect.
  let hi = 1;
  while (at(hi) < target && hi < 1 << 24) hi *= 2;
  let lo = 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (at(mid) < target) lo = mid;
    else hi = mid;
  }
  const tokenCount = Math.abs(at(lo) - target) <= Math.abs(at(hi) - target) ? lo : hi;
  return { tokenSize, tokenCount, maskedFraction: at(tokenCount), paperMaskedFraction: target };
}

/** An MAE-style grid mask (see {@link gridMask}). Tensors are owned by the caller. */
export interface GridMask {
  /** `[N,L]` float32, 1 = kept, 0 = masked. */
  mask: tf.Tensor2D;
  /** `[N,L_keep]` int32: indices of the kept tokens (in shuffled order). */
  idsKeep: tf.Tensor2D;
  /** `[N,L]` int32: the shuffle (kept tokens first, then the masked ones). */
  idsShuffle: tf.Tensor2D;
  /**
   * `[N,L]` int32: inverse of `idsShuffle`. Gathering
   * `concat([kept tokens, mask tokens])` with it puts every token back in place.
   */
  idsRestore: tf.Tensor2D;
}

/**
 * Number of kept tokens, `floor(L * (1 - ratio))` (MAE's `int(L*(1-ratio))`),
 * computed with a 1e-9 tolerance so that e.g. L=10, ratio=0.9 keeps 1 token
 * (not 0 from float rounding). ratio must lie in [0,1) and keep at least one token.
 */
export function keptTokenCount(L: number, ratio: number): number {
  checkPositiveInt(L, "L", "keptTokenCount");
  if (!(ratio >= 0 && ratio < 1)) {
    throw new RangeError(
      `mask ratio must be in [0, 1), got ${ratio}; it is the fraction of tokens masked (MAE: 0.75)`,
    );
  }
  const kept = Math.floor(L * (1 - ratio) + 1e-9);
  if (kept < 1) {
    throw new RangeError(
      `mask ratio ${ratio} keeps no token of ${L}; use ratio <= ${((L - 1) / L).toFixed(3)} ` +
        `or a finer grid`,
    );
  }
  return kept;
}

/**
 * The token mask `[N,L]` float32 (1 = kept) whose sample i keeps the first
 * `lKeep` entries of `perms[i]`, without MAE's index tensors (see
 * {@link gridMaskFromPermutations} for those).
 */
export function tokenMaskFromPermutations(perms: Int32Array[], lKeep: number): tf.Tensor2D {
  const n = perms.length;
  if (n === 0) throw new Error("tokenMaskFromPermutations: no permutations given; pass n >= 1");
  const L = perms[0].length;
  const mask = new Float32Array(n * L);
  perms.forEach((perm, i) => {
    if (perm.length !== L) {
      throw new Error(
        `tokenMaskFromPermutations: permutation ${i} has length ${perm.length}, not ${L}`,
      );
    }
    for (let j = 0; j < lKeep; j++) mask[i * L + perm[j]] = 1;
  });
  return tf.tensor2d(mask, [n, L]);
}

/**
 * Builds a {@link GridMask} from one permutation per sample whose first
 * `lKeep` entries are the kept tokens. perms: `N` permutations of `0..L-1`.
 */
export function gridMaskFromPermutations(perms: Int32Array[], lKeep: number): GridMask {
  const n = perms.length;
  if (n === 0) throw new Error("gridMaskFromPermutations: no permutations given; pass n >= 1");
  const L = perms[0].length;
  const mask = new Float32Array(n * L);
  const keep = new Int32Array(n * lKeep);
  const shuffle = new Int32Array(n * L);
  const restore = new Int32Array(n * L);
  perms.forEach((perm, i) => {
    if (perm.length !== L) {
      throw new Error(
        `gridMaskFromPermutations: permutation ${i} has length ${perm.length}, not ${L}`,
      );
    }
    shuffle.set(perm, i * L);
    for (let j = 0; j < L; j++) restore[i * L + perm[j]] = j;
    for (let j = 0; j < lKeep; j++) {
      keep[i * lKeep + j] = perm[j];
      mask[i * L + perm[j]] = 1;
    }
  });
  return {
    mask: tf.tensor2d(mask, [n, L]),
    idsKeep: tf.tensor2d(keep, [n, lKeep], "int32"),
    idsShuffle: tf.tensor2d(shuffle, [n, L], "int32"),
    idsRestore: tf.tensor2d(restore, [n, L], "int32"),
  };
}

/**
 * MAE random masking on a `gridH x gridW` token grid: per sample a uniform
 * random permutation (the same law as MAE's argsort of i.i.d. noise), the
 * first `L_keep = floor(L (1 - ratio))` tokens are kept ({@link keptTokenCount}),
 * so every sample has exactly `L - L_keep` masked tokens.
 *
 * @returns {@link GridMask}; dispose its tensors when done.
 */
export function gridMask(
  opts: { n: number; gridH: number; gridW: number; ratio: number; rng: Rng },
): GridMask {
  const { n, gridH, gridW, ratio, rng } = opts;
  checkPositiveInt(n, "n", "gridMask");
  checkPositiveInt(gridH, "gridH", "gridMask");
  checkPositiveInt(gridW, "gridW", "gridMask");
  const L = gridH * gridW;
  const lKeep = keptTokenCount(L, ratio);
  const perms = Array.from({ length: n }, () => rng.permutation(L));
  return gridMaskFromPermutations(perms, lKeep);
}

/**
 * The token mask of {@link gridMask} alone, `[N, gridH*gridW]` float32 (1 =
 * kept): the same random draws (one permutation per sample, so the same mask
 * for the same `rng` state) without building MAE's index tensors.
 */
export function gridTokenMask(
  opts: { n: number; gridH: number; gridW: number; ratio: number; rng: Rng },
): tf.Tensor2D {
  const { n, gridH, gridW, ratio, rng } = opts;
  checkPositiveInt(n, "n", "gridTokenMask");
  checkPositiveInt(gridH, "gridH", "gridTokenMask");
  checkPositiveInt(gridW, "gridW", "gridTokenMask");
  const L = gridH * gridW;
  const lKeep = keptTokenCount(L, ratio);
  const perms = Array.from({ length: n }, () => rng.permutation(L));
  return tokenMaskFromPermutations(perms, lKeep);
}

/**
 * Nearest-neighbour upsampling of a token mask to pixels. Pixel row y belongs
 * to grid row `floor(y * gridH / H)` (and likewise for columns), so when H is
 * not a multiple of gridH the cells differ in size by at most one pixel.
 * Differentiable (two gathers), so it also carries learned soft masks.
 *
 * @param mask `[N,L]` with `L = gridH * gridW`, row-major.
 * @returns `[N,H,W,1]` with the dtype of `mask`.
 */
export function tokenMaskToPixels(
  mask: tf.Tensor2D,
  gridH: number,
  gridW: number,
  H: number,
  W: number,
): tf.Tensor4D {
  const who = "tokenMaskToPixels";
  [gridH, gridW, H, W].forEach((v, i) => checkPositiveInt(v, ["gridH", "gridW", "H", "W"][i], who));
  if (mask.rank !== 2 || mask.shape[1] !== gridH * gridW) {
    throw new Error(
      `${who}: mask shape [${mask.shape}] is not [N, gridH*gridW] = [N, ${gridH * gridW}]; ` +
        `pass the grid the mask was drawn on`,
    );
  }
  if (gridH > H || gridW > W) {
    throw new RangeError(`${who}: grid ${gridH}x${gridW} is finer than the image ${H}x${W}`);
  }
  const rows = Int32Array.from({ length: H }, (_, y) => Math.floor((y * gridH) / H));
  const cols = Int32Array.from({ length: W }, (_, x) => Math.floor((x * gridW) / W));
  return tf.tidy(() => {
    const grid = tf.reshape(mask, [mask.shape[0], gridH, gridW, 1]);
    return tf.gather(tf.gather(grid, tf.tensor1d(rows, "int32"), 1), tf.tensor1d(cols, "int32"), 2);
  }) as tf.Tensor4D;
}
