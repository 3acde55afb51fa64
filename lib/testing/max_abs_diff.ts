/**
 * The largest absolute element-wise difference of two equally long arrays, for tests that
 * compare a kernel or a path against a reference.
 *
 * @module
 */

/** Largest |a[i] - b[i]|; throws when the lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  }
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
