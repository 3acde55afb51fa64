/**
 * The in-memory form every dataset loader returns.
 *
 * Shape conventions: images are stored as one contiguous `Uint8Array` in
 * NHWC order (`count * height * width * channels` bytes, 0..255), labels as
 * `Int32Array` of class indices `0..classes.length-1`.
 *
 * @module
 */

/** One split (train or test) of an image dataset. */
export interface ImageSplit {
  /** NHWC uint8 pixels, `count * H * W * C` bytes. */
  images: Uint8Array;
  /** Class index per image, in `[0, classes.length)`. */
  labels: Int32Array;
  /** Number of images. */
  count: number;
}

/** A labelled image dataset with a train and a test split. */
export interface ImageDataset {
  /** Registry name, e.g. `cifar10`, `cifar10-jpeg`, `svhn`, `synthetic`. */
  name: string;
  /** Human-readable name for tables and figures, e.g. "CIFAR-10 (JPEG copy)". */
  displayName: string;
  /** True for procedurally generated data; results must say so. */
  synthetic: boolean;
  /** Class names in label order. */
  classes: string[];
  /** `[height, width, channels]` of every image. */
  imageShape: [number, number, number];
  train: ImageSplit;
  test: ImageSplit;
  /** Where the data came from (path, URL or "embedded generator"). */
  source: string;
}
