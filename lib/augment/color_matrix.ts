/**
 * Per-image affine colour transforms `x[p] -> x[p] @ A_i + t_i` applied to
 * every pixel p of image i as one batched matrix product. Brightness,
 * contrast, saturation and grayscale are all of this form.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/**
 * Applies one `C x C` colour matrix (row = input channel, column = output
 * channel) and optionally one offset per image.
 * x: `[N,H,W,C]` float32; matrices: `[N*C*C]` row-major per image;
 * offsets: `[N,1,C]` (or broadcastable, e.g. `[N,1,1]`) float32 tensor.
 * Returns `[N,H,W,C]` float32. Identity matrices with zero offsets leave an
 * image bit-for-bit unchanged.
 */
export function applyColorMatrices(
  x: tf.Tensor4D,
  matrices: Float32Array,
  offsets?: tf.Tensor,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (matrices.length !== n * c * c) {
    throw new Error(
      `color_matrix: got ${matrices.length} matrix entries for ${n} images of ${c} channels; ` +
        `pass ${n * c * c} (one ${c}x${c} matrix per image)`,
    );
  }
  return tf.tidy(() => {
    const flat = tf.reshape(x, [n, h * w, c]) as tf.Tensor3D;
    let y: tf.Tensor = tf.matMul(flat, tf.tensor3d(matrices, [n, c, c]));
    if (offsets) y = tf.add(y, offsets);
    return tf.reshape(y, [n, h, w, c]) as tf.Tensor4D;
  });
}

/** Writes the identity into the `c x c` matrix of image i of a `[N*c*c]` buffer. */
export function setIdentity(matrices: Float32Array, i: number, c: number): void {
  const base = i * c * c;
  matrices.fill(0, base, base + c * c);
  for (let k = 0; k < c; k++) matrices[base + k * c + k] = 1;
}
