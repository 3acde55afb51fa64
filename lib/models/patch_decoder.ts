/**
 * The lightest MAE-style decoder for a ConvNet encoder: one linear layer
 * applied to every cell of the feature map, predicting the pixels of the
 * image block under that cell. Used by KDC-MAE's reconstruction loss L_r and
 * by the pixel-L2 branch of the MIM-as-siamese comparison.
 *
 * Geometry: an `h x w` feature map of an `H x W` image has stride
 * `s = H / h` (8 for a 4-stage CIFAR ResNet on 32x32); cell (i, j) predicts
 * the `s x s x C` pixels of block (i, j). The blocks tile the image, so the
 * prediction is a whole image, which is then cut into the loss's patches of
 * side p ({@link PatchDecoder.patches}). With `p = s` (KDC-MAE's default,
 * "patches aligned with the feature map") cell k predicts exactly patch k.
 *
 * A linear per-cell decoder has no capacity of its own to in-paint: masked
 * cells must carry the information in their features, which a ConvNet gets
 * from its receptive field over the visible neighbours. That keeps the
 * representational work in the encoder (MAE's argument for a light decoder).
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { Linear } from "../nn/layers.ts";
import type { ParamStore } from "../nn/params.ts";
import { patchify, unpatchify } from "../losses/mae_reconstruction.ts";

/** Sizes of a {@link PatchDecoder}. */
export interface PatchDecoderOptions {
  /** Channels c of the feature map. */
  inChannels: number;
  /** Stride s of the feature map (pixels per cell side). */
  cellSize: number;
  /** Channels C of the images to predict (3 for RGB). */
  outChannels: number;
}

/** Per-cell linear decoder: feature map [N,h,w,c] -> pixels (see module docs). */
export class PatchDecoder {
  readonly cellSize: number;
  readonly outChannels: number;
  /** c -> s*s*C, ordered (row in block, column in block, channel) like `patchify`. */
  readonly linear: Linear;

  /** @param store registers `${name}.linear.weight` and `${name}.linear.bias`. */
  constructor(store: ParamStore, name: string, opts: PatchDecoderOptions) {
    for (const field of ["inChannels", "cellSize", "outChannels"] as const) {
      const v = opts[field];
      if (!Number.isInteger(v) || v < 1) {
        throw new RangeError(`PatchDecoder: ${field} must be a positive integer, got ${v}`);
      }
    }
    this.cellSize = opts.cellSize;
    this.outChannels = opts.outChannels;
    this.linear = new Linear(store, `${name}.linear`, {
      inFeatures: opts.inChannels,
      outFeatures: opts.cellSize * opts.cellSize * opts.outChannels,
    });
  }

  /** Predicted image: fmap [N,h,w,c] -> [N, h*s, w*s, C]. */
  image(fmap: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w, c] = fmap.shape;
    const s = this.cellSize;
    return tf.tidy(() => {
      const cells = this.linear.apply(tf.reshape(fmap, [n * h * w, c]));
      const perCell = tf.reshape(cells, [n, h * w, s * s * this.outChannels]) as tf.Tensor3D;
      return unpatchify(perCell, s, [h * s, w * s]);
    });
  }

  /**
   * Predicted patches of side p: fmap [N,h,w,c] -> [N, L, p*p*C] with
   * `L = (h*s/p) * (w*s/p)`, row-major (the layout of `patchify`). p must
   * divide the image side `h*s`.
   */
  patches(fmap: tf.Tensor4D, p: number): tf.Tensor3D {
    const [n, h, w, c] = fmap.shape;
    const s = this.cellSize;
    if (p === s) {
      return tf.tidy(() =>
        tf.reshape(
          this.linear.apply(tf.reshape(fmap, [n * h * w, c])),
          [n, h * w, s * s * this.outChannels],
        ) as tf.Tensor3D
      );
    }
    return tf.tidy(() => patchify(this.image(fmap), p));
  }

  /** Multiply-adds per image for a map of `cells` positions. */
  macs(cells: number): number {
    return cells * this.linear.macs();
  }
}
