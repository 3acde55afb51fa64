/**
 * CIFAR-10 in its official binary release (`cifar-10-binary.tar.gz`):
 * `cifar-10-batches-bin/data_batch_{1..5}.bin` (train) and `test_batch.bin`,
 * each a sequence of 3073-byte records: 1 label byte, then 1024 red, 1024
 * green and 1024 blue bytes (row-major 32x32 planes). Converted to NHWC.
 *
 * @module
 */

import type { ImageSplit } from "./dataset.ts";
import { readTarFile } from "./tar.ts";
import { requireManifestEntry } from "./manifest.ts";

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;

/**
 * Parses one CIFAR-10 binary batch into an NHWC split ([N,32,32,3] uint8).
 * Throws an error naming `fileName` when the size is not a whole number of
 * records or a label is not in 0..9.
 */
export function parseCifar10Batch(bytes: Uint8Array, fileName: string): ImageSplit {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new Error(
      `${fileName}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte CIFAR-10 ` +
        `records; the file is truncated or not a CIFAR-10 binary batch, re-download it`,
    );
  }
  const count = bytes.length / RECORD;
  const numClasses = requireManifestEntry("cifar10").classes.length;
  const images = new Uint8Array(count * 3 * PLANE);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const rec = n * RECORD;
    const label = bytes[rec];
    if (label >= numClasses) {
      throw new Error(
        `${fileName}: record ${n} has label ${label}, outside 0..${numClasses - 1}; ` +
          `the file is corrupt or not CIFAR-10 (CIFAR-100 uses another layout), re-download it`,
      );
    }
    labels[n] = label;
    const out = n * 3 * PLANE;
    for (let p = 0; p < PLANE; p++) {
      images[out + 3 * p] = bytes[rec + 1 + p];
      images[out + 3 * p + 1] = bytes[rec + 1 + PLANE + p];
      images[out + 3 * p + 2] = bytes[rec + 1 + 2 * PLANE + p];
    }
  }
  return { images, labels, count };
}

/** Concatenates splits in order. */
export function concatSplits(splits: ImageSplit[]): ImageSplit {
  let count = 0, bytes = 0;
  for (const s of splits) {
    count += s.count;
    bytes += s.images.length;
  }
  const images = new Uint8Array(bytes);
  const labels = new Int32Array(count);
  let ib = 0, il = 0;
  for (const s of splits) {
    images.set(s.images, ib);
    labels.set(s.labels, il);
    ib += s.images.length;
    il += s.count;
  }
  return { images, labels, count };
}

const TRAIN_BATCHES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_BATCH = "test_batch.bin";

/**
 * Reads train (batches 1..5 in order) and test splits from the official
 * `cifar-10-binary.tar.gz` (or an uncompressed tar). Member paths are matched
 * by base name, so a differently named top-level folder is accepted.
 */
export async function readCifar10Archive(
  path: string,
): Promise<{ train: ImageSplit; test: ImageSplit }> {
  const batches = new Map<string, ImageSplit>();
  const wanted = new Set([...TRAIN_BATCHES, TEST_BATCH]);
  for await (const entry of readTarFile(path)) {
    if (entry.type !== "file") continue;
    const base = entry.name.slice(entry.name.lastIndexOf("/") + 1);
    if (wanted.has(base)) batches.set(base, parseCifar10Batch(entry.data, `${path}:${entry.name}`));
  }
  const missing = [...wanted].filter((b) => !batches.has(b));
  if (missing.length > 0) {
    throw new Error(
      `${path}: missing ${missing.join(", ")}; this is not the official CIFAR-10 binary ` +
        `archive (cifar-10-binary.tar.gz, with cifar-10-batches-bin/*.bin). For a folder of ` +
        `images use \`deno task data import <name> <folder>\``,
    );
  }
  return {
    train: concatSplits(TRAIN_BATCHES.map((b) => batches.get(b)!)),
    test: batches.get(TEST_BATCH)!,
  };
}
