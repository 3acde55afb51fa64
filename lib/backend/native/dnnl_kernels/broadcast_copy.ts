/**
 * Materialises a numpy broadcast at memory-copy speed in plain JS: `out[...] = src[...]` where
 * `src` has size 1 on some axes of the output. Contiguous runs are copied with
 * `TypedArray.set`/`fill` and repeated blocks are doubled with `copyWithin`, so the cost is
 * that of writing the output once. Used by the native `Tile`/`BroadcastTo` kernel and for
 * broadcast patterns oneDNN's binary primitive does not take.
 *
 * @module
 */

/**
 * Fills `out` (merged dims `dims0`, row-major) from `src` (merged dims `dims1`, each equal to
 * dims0 or 1), as produced by `planBroadcast`.
 */
export function broadcastCopy(
  src: Float32Array,
  dims1: readonly number[],
  out: Float32Array,
  dims0: readonly number[],
): void {
  const r = dims0.length;
  const outStride = new Array<number>(r);
  const srcStride = new Array<number>(r);
  let so = 1;
  let ss = 1;
  for (let i = r - 1; i >= 0; i--) {
    outStride[i] = so;
    srcStride[i] = ss;
    so *= dims0[i];
    ss *= dims1[i];
  }
  const copy = (level: number, srcOff: number, outOff: number): void => {
    const n = dims0[level];
    if (level === r - 1) {
      if (dims1[level] === n) out.set(src.subarray(srcOff, srcOff + n), outOff);
      else out.fill(src[srcOff], outOff, outOff + n);
      return;
    }
    const block = outStride[level];
    if (dims1[level] === 1) {
      copy(level + 1, srcOff, outOff);
      let filled = 1;
      while (filled < n) {
        const count = Math.min(filled, n - filled);
        out.copyWithin(outOff + filled * block, outOff, outOff + count * block);
        filled += count;
      }
      return;
    }
    for (let i = 0; i < n; i++) copy(level + 1, srcOff + i * srcStride[level], outOff + i * block);
  };
  copy(0, 0, 0);
}
