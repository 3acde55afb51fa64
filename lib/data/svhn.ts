/**
 * SVHN cropped digits (`{train,test,extra}_32x32.mat`): `X` is uint8
 * 32x32x3xN in MATLAB column-major order, `y` is Nx1 with labels 1..10 where
 * 10 stands for the digit 0. Converted to NHWC uint8 and labels 0..9.
 *
 * @module
 */

import type { ImageSplit } from "./dataset.ts";
import { type MatArray, readMat } from "./matlab.ts";

function variable(vars: Map<string, MatArray>, name: string, fileName: string): MatArray {
  const v = vars.get(name);
  if (!v || !v.data) {
    throw new Error(
      `${fileName}: no numeric variable "${name}" (found: ${
        [...vars.keys()].join(", ") || "none"
      }); ` +
        `this is not an SVHN *_32x32.mat file, download the cropped-digits format`,
    );
  }
  return v;
}

/**
 * Converts SVHN arrays to a split: `X` [H,W,C,N] column-major -> NHWC uint8,
 * `y` (any numeric class) 1..10 -> 0..9 (10 means digit 0).
 * Throws an error naming `fileName` and the offending value for bad labels or shapes.
 */
export function svhnSplitFromMat(vars: Map<string, MatArray>, fileName: string): ImageSplit {
  const x = variable(vars, "X", fileName);
  const y = variable(vars, "y", fileName);
  if (x.dims.length !== 4 || x.dims[2] !== 3) {
    throw new Error(
      `${fileName}: X has dims ${x.dims.join("x")}, expected HxWx3xN (SVHN 32x32x3xN); ` +
        `use the cropped-digits *_32x32.mat files`,
    );
  }
  const [h, w, c, count] = x.dims;
  const yCount = y.dims.reduce((a, b) => a * b, 1);
  if (yCount !== count) {
    throw new Error(
      `${fileName}: X holds ${count} images but y holds ${yCount} labels; re-download it`,
    );
  }
  const src = x.data!;
  if (x.className !== "uint8") {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
        throw new Error(
          `${fileName}: X (${x.className}) holds ${v}, not a 0..255 pixel; re-download it`,
        );
      }
    }
  }
  const images = new Uint8Array(count * h * w * c);
  const hw = h * w;
  for (let n = 0; n < count; n++) {
    const base = n * hw * c;
    for (let ch = 0; ch < c; ch++) {
      const plane = base + ch * hw; // column-major: index = row + h * (col + w * (ch + c * n))
      for (let col = 0; col < w; col++) {
        for (let row = 0; row < h; row++) {
          images[base + (row * w + col) * c + ch] = src[plane + col * h + row];
        }
      }
    }
  }
  const labels = new Int32Array(count);
  const ys = y.data!;
  for (let i = 0; i < count; i++) {
    const v = ys[i];
    if (!Number.isInteger(v) || v < 1 || v > 10) {
      throw new Error(
        `${fileName}: label y[${i}] = ${v} is outside 1..10 (SVHN uses 10 for digit 0); ` +
          `the file is corrupt or not SVHN, re-download it`,
      );
    }
    labels[i] = v === 10 ? 0 : v;
  }
  return { images, labels, count };
}

/** Reads one SVHN `*_32x32.mat` file (compressed or not) into an NHWC split. */
export async function readSvhnMat(path: string): Promise<ImageSplit> {
  const bytes = await Deno.readFile(path);
  return svhnSplitFromMat(await readMat(bytes, path), path);
}
