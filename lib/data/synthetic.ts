/**
 * The embedded procedural dataset `synthetic`: 32x32 RGB images of 10
 * classes with real visual structure, for smoke tests and quick experiments
 * without any download.
 *
 * Classes (manifest order): five shapes (disk, square, triangle, ring, cross)
 * at random rotation, and five textures in a patch (horizontal, vertical and
 * diagonal stripes, checkerboard, dots) at random frequency and phase with
 * +-15 degrees of orientation jitter. Every image has a random position,
 * scale, foreground and background colour, a background gradient and
 * Gaussian pixel noise, anti-aliased by averaging the shape test at pixel corners. Each class appears
 * equally often; everything is determined by the seed.
 *
 * @module
 */

import type { ImageDataset, ImageSplit } from "./dataset.ts";
import { requireManifestEntry } from "./manifest.ts";
import { Rng } from "../rng.ts";

/** Options for {@link generateSynthetic}. */
export interface SyntheticOptions {
  /** Training images (default from the manifest: 5000). */
  trainSize?: number;
  /** Test images (default from the manifest: 1000). */
  testSize?: number;
  /** Seed; train and test use independent sub-streams of it (default 0). */
  seed?: number;
}

/** Coverage test in the shape's unit frame: true when (u, v) is foreground. */
type Shape = (u: number, v: number) => boolean;

const SQRT3 = Math.sqrt(3);

function shapeFor(label: number, rng: Rng): { inside: Shape; rotation: number } {
  const freq = rng.uniform(2.2, 4.2) * Math.PI;
  const phase = rng.uniform(0, 2 * Math.PI);
  const jitter = rng.uniform(-Math.PI / 12, Math.PI / 12);
  const any = rng.uniform(0, 2 * Math.PI);
  const inPatch = (u: number, v: number) => Math.abs(u) < 1 && Math.abs(v) < 1;
  switch (label) {
    case 0:
      return { inside: (u, v) => u * u + v * v < 1, rotation: 0 };
    case 1:
      return { inside: (u, v) => Math.abs(u) < 0.78 && Math.abs(v) < 0.78, rotation: any };
    case 2:
      return { inside: (u, v) => v < 0.5 && v > SQRT3 * Math.abs(u) - 1, rotation: any };
    case 3:
      return { inside: (u, v) => u * u + v * v < 1 && u * u + v * v > 0.36, rotation: 0 };
    case 4:
      return {
        inside: (u, v) =>
          (Math.abs(u) < 0.3 && Math.abs(v) < 1) || (Math.abs(v) < 0.3 && Math.abs(u) < 1),
        rotation: any,
      };
    case 5:
      return {
        inside: (u, v) => inPatch(u, v) && Math.sin(freq * v + phase) > 0,
        rotation: jitter,
      };
    case 6:
      return {
        inside: (u, v) => inPatch(u, v) && Math.sin(freq * u + phase) > 0,
        rotation: jitter,
      };
    case 7:
      return {
        inside: (u, v) => inPatch(u, v) && Math.sin(freq * (u + v) * Math.SQRT1_2 + phase) > 0,
        rotation: jitter,
      };
    case 8:
      return {
        inside: (u, v) => inPatch(u, v) && Math.sin(freq * 0.6 * u) * Math.sin(freq * 0.6 * v) > 0,
        rotation: jitter,
      };
    default: {
      const k = rng.uniform(1.6, 2.6);
      return {
        inside: (u, v) => {
          if (!inPatch(u, v)) return false;
          const fu = (u + 1) * k - Math.floor((u + 1) * k) - 0.5;
          const fv = (v + 1) * k - Math.floor((v + 1) * k) - 0.5;
          return fu * fu + fv * fv < 0.09;
        },
        rotation: jitter,
      };
    }
  }
}

/** A fixed table of standard normal samples, indexed by random bits (fast pixel noise). */
const GAUSS_TABLE = (() => {
  const rng = new Rng(0x5eed);
  return Float32Array.from({ length: 1024 }, () => rng.gaussian());
})();

const CORNERS = new Uint8Array(33 * 33);

function randomColor(rng: Rng): [number, number, number] {
  return [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
}

/** Renders one 32x32x3 image of class `label` into `out` at byte offset `offset`. */
function renderImage(label: number, rng: Rng, out: Uint8Array, offset: number): void {
  const S = 32;
  const bg = randomColor(rng);
  let fg = randomColor(rng);
  // Keep enough contrast between foreground and background.
  while (Math.hypot(fg[0] - bg[0], fg[1] - bg[1], fg[2] - bg[2]) < 120) fg = randomColor(rng);
  const gx = rng.uniform(-1.5, 1.5), gy = rng.uniform(-1.5, 1.5);
  const noise = rng.uniform(4, 16);
  const isTexture = label >= 5;
  const scale = isTexture ? rng.uniform(9, 14) : rng.uniform(6, 11);
  const cx = rng.uniform(scale * 0.7, S - scale * 0.7),
    cy = rng.uniform(scale * 0.7, S - scale * 0.7);
  const { inside, rotation } = shapeFor(label, rng);
  const cos = Math.cos(rotation) / scale, sin = Math.sin(rotation) / scale;
  // Sample the shape at the 33x33 pixel corners; a pixel's coverage is the mean of its 4 corners.
  for (let y = 0; y <= S; y++) {
    for (let x = 0; x <= S; x++) {
      const dx = x - cx, dy = y - cy;
      CORNERS[y * (S + 1) + x] = inside(cos * dx + sin * dy, -sin * dx + cos * dy) ? 1 : 0;
    }
  }
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const k = y * (S + 1) + x;
      const cover = CORNERS[k] + CORNERS[k + 1] + CORNERS[k + S + 1] + CORNERS[k + S + 2];
      const a = cover / 4;
      const shade = gx * (x - 16) + gy * (y - 16);
      const o = offset + (y * S + x) * 3;
      const bits = rng.nextUint32(); // three 10-bit indices into the noise table
      for (let c = 0; c < 3; c++) {
        const z = GAUSS_TABLE[(bits >>> (10 * c)) & 1023];
        const v = (1 - a) * (bg[c] + shade) + a * fg[c] + noise * z;
        out[o + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
}

/** Generates `count` images (balanced classes, shuffled order) from `rng`. */
export function generateSyntheticSplit(count: number, numClasses: number, rng: Rng): ImageSplit {
  const images = new Uint8Array(count * 32 * 32 * 3);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = i % numClasses;
  rng.shuffle(labels);
  for (let i = 0; i < count; i++) renderImage(labels[i], rng, images, i * 3072);
  return { images, labels, count };
}

/** The `synthetic` dataset: [N,32,32,3] uint8, 10 classes, `synthetic: true`. */
export function generateSynthetic(opts: SyntheticOptions = {}): ImageDataset {
  const entry = requireManifestEntry("synthetic");
  const trainSize = opts.trainSize ?? entry.defaultSizes!.train;
  const testSize = opts.testSize ?? entry.defaultSizes!.test;
  for (const [k, v] of [["trainSize", trainSize], ["testSize", testSize]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`synthetic: ${k} must be a positive integer, got ${v}`);
    }
  }
  const root = new Rng(opts.seed ?? 0);
  const trainRng = root.fork();
  const testRng = root.fork();
  return {
    name: "synthetic",
    displayName: entry.displayName,
    synthetic: true,
    classes: [...entry.classes],
    imageShape: [...entry.imageShape] as [number, number, number],
    train: generateSyntheticSplit(trainSize, entry.classes.length, trainRng),
    test: generateSyntheticSplit(testSize, entry.classes.length, testRng),
    source: `embedded generator (seed ${opts.seed ?? 0})`,
  };
}
