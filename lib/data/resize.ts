/**
 * Resizing and channel conversion of uint8 HWC images.
 *
 * Each axis is resampled separately: area averaging when the axis shrinks
 * (every source pixel contributes by its overlap with the output pixel), and
 * bilinear interpolation with half-pixel centres when it grows. Equal sizes
 * are an exact copy.
 *
 * @module
 */

/** Sparse resampling weights: output index `o` reads `src[index[k]] * weight[k]` for k in `start[o]..start[o+1]`. */
interface AxisWeights {
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  const idx: number[] = [];
  const wts: number[] = [];
  const start = new Int32Array(outSize + 1);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    start[o] = idx.length;
    if (outSize < inSize) {
      const lo = o * scale;
      const hi = lo + scale;
      for (let i = Math.floor(lo); i < Math.min(inSize, Math.ceil(hi)); i++) {
        const overlap = Math.min(hi, i + 1) - Math.max(lo, i);
        if (overlap > 1e-9) {
          idx.push(i);
          wts.push(overlap / scale);
        }
      }
    } else {
      const pos = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inSize - 1);
      const i0 = Math.floor(pos);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const f = pos - i0;
      idx.push(i0);
      wts.push(1 - f);
      if (f > 0) {
        idx.push(i1);
        wts.push(f);
      }
    }
  }
  start[outSize] = idx.length;
  return { start, index: Int32Array.from(idx), weight: Float32Array.from(wts) };
}

/**
 * Resizes `src` ([inH, inW, channels] uint8) to [outH, outW, channels] uint8:
 * area averaging on shrinking axes, bilinear on growing ones.
 */
export function resizeImage(
  src: Uint8Array,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
): Uint8Array {
  if (src.length !== inH * inW * channels) {
    throw new Error(
      `resizeImage: got ${src.length} bytes for a ${inH}x${inW}x${channels} image; ` +
        `pass the image's real height, width and channels`,
    );
  }
  if (outH < 1 || outW < 1 || !Number.isInteger(outH) || !Number.isInteger(outW)) {
    throw new Error(`resizeImage: target ${outH}x${outW} is not a positive integer size`);
  }
  if (inH === outH && inW === outW) return src.slice();
  const wx = axisWeights(inW, outW);
  const wy = axisWeights(inH, outH);
  // Horizontal pass: [inH, outW, C] float.
  const tmp = new Float32Array(inH * outW * channels);
  for (let y = 0; y < inH; y++) {
    const row = y * inW * channels;
    for (let x = 0; x < outW; x++) {
      const o = (y * outW + x) * channels;
      for (let k = wx.start[x]; k < wx.start[x + 1]; k++) {
        const s = row + wx.index[k] * channels;
        const w = wx.weight[k];
        for (let c = 0; c < channels; c++) tmp[o + c] += src[s + c] * w;
      }
    }
  }
  const out = new Uint8Array(outH * outW * channels);
  const acc = new Float32Array(outW * channels);
  for (let y = 0; y < outH; y++) {
    acc.fill(0);
    for (let k = wy.start[y]; k < wy.start[y + 1]; k++) {
      const s = wy.index[k] * outW * channels;
      const w = wy.weight[k];
      for (let j = 0; j < acc.length; j++) acc[j] += tmp[s + j] * w;
    }
    const o = y * outW * channels;
    for (let j = 0; j < acc.length; j++) {
      const v = Math.round(acc[j]);
      out[o + j] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/**
 * Converts [H, W, from] uint8 to [H, W, to] uint8 for from/to in {1, 3}.
 * Gray to RGB replicates; RGB to gray uses ITU-R BT.601 luma
 * (0.299 R + 0.587 G + 0.114 B), as PIL's `convert("L")`.
 */
export function convertChannels(
  src: Uint8Array,
  height: number,
  width: number,
  from: 1 | 3,
  to: 1 | 3,
): Uint8Array {
  const n = height * width;
  if (src.length !== n * from) {
    throw new Error(
      `convertChannels: got ${src.length} bytes for a ${height}x${width}x${from} image; ` +
        `pass the image's real shape`,
    );
  }
  if (from === to) return src.slice();
  const out = new Uint8Array(n * to);
  if (from === 1) {
    for (let p = 0; p < n; p++) {
      const v = src[p];
      out[3 * p] = v;
      out[3 * p + 1] = v;
      out[3 * p + 2] = v;
    }
  } else {
    for (let p = 0; p < n; p++) {
      out[p] = Math.round(
        (src[3 * p] * 299 + src[3 * p + 1] * 587 + src[3 * p + 2] * 114) / 1000,
      );
    }
  }
  return out;
}
