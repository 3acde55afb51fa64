import assert from "node:assert/strict";
import { generateSynthetic } from "./synthetic.ts";

/** Orientation histogram of gradients (8 bins, whole image, magnitude-weighted, L2-normalised). */
function gradientFeatures(img: Uint8Array, offset: number): Float64Array {
  const g = (x: number, y: number) => {
    const o = offset + (y * 32 + x) * 3;
    return img[o] + img[o + 1] + img[o + 2];
  };
  const f = new Float64Array(16);
  for (let y = 1; y < 31; y++) {
    for (let x = 1; x < 31; x++) {
      const dx = g(x + 1, y) - g(x - 1, y), dy = g(x, y + 1) - g(x, y - 1);
      const mag = Math.hypot(dx, dy);
      if (mag < 60) continue;
      const angle = Math.atan2(dy, dx) + Math.PI; // 0..2pi
      f[Math.min(7, Math.floor((angle % Math.PI) / Math.PI * 8))] += mag;
      f[8 + Math.min(7, Math.floor((mag / 1500) * 8))] += 1; // edge-strength histogram
    }
  }
  const norm = Math.hypot(...f) || 1;
  return f.map((v) => v / norm);
}

Deno.test("synthetic: seeded, balanced, right shapes and metadata", () => {
  const a = generateSynthetic({ trainSize: 200, testSize: 50, seed: 7 });
  const b = generateSynthetic({ trainSize: 200, testSize: 50, seed: 7 });
  const c = generateSynthetic({ trainSize: 200, testSize: 50, seed: 8 });
  assert.deepEqual(a.train.images, b.train.images);
  assert.deepEqual(a.test.labels, b.test.labels);
  assert.notDeepEqual(a.train.images, c.train.images);
  assert.notDeepEqual(a.train.images.subarray(0, 3072 * 50), a.test.images);
  assert.equal(a.displayName, "Synthetic shapes (procedural)");
  assert.equal(a.synthetic, true);
  assert.deepEqual(a.imageShape, [32, 32, 3]);
  assert.equal(a.train.images.length, 200 * 3072);
  const counts = new Array(10).fill(0);
  for (const l of a.train.labels) counts[l]++;
  assert.deepEqual(counts, new Array(10).fill(20));
  assert.throws(() => generateSynthetic({ trainSize: 0 }), /trainSize must be a positive integer/);
});

Deno.test("synthetic: default sizes are 5,000 train and 1,000 test images", () => {
  // Generation time is reported, not asserted: tests share the machine with other work.
  const t0 = performance.now();
  const d = generateSynthetic();
  assert.equal(d.train.count, 5000);
  assert.equal(d.test.count, 1000);
  console.log(`synthetic: 6000 images in ${(performance.now() - t0).toFixed(0)} ms`);
});

Deno.test("synthetic: classes carry learnable structure (nearest centroid on gradient features >> chance)", () => {
  const d = generateSynthetic({ trainSize: 2000, testSize: 500, seed: 3 });
  const centroids = Array.from({ length: 10 }, () => new Float64Array(16));
  for (let i = 0; i < d.train.count; i++) {
    const f = gradientFeatures(d.train.images, i * 3072);
    const c = centroids[d.train.labels[i]];
    for (let k = 0; k < 16; k++) c[k] += f[k];
  }
  let correct = 0;
  for (let i = 0; i < d.test.count; i++) {
    const f = gradientFeatures(d.test.images, i * 3072);
    let best = -1, bestD = Infinity;
    centroids.forEach((c, j) => {
      const n = Math.hypot(...c);
      let dist = 0;
      for (let k = 0; k < 16; k++) dist += (f[k] - c[k] / n) ** 2;
      if (dist < bestD) [best, bestD] = [j, dist];
    });
    if (best === d.test.labels[i]) correct++;
  }
  const acc = correct / d.test.count;
  console.log(
    `synthetic: nearest-centroid accuracy on gradient features ${(acc * 100).toFixed(1)}%`,
  );
  assert.ok(acc > 0.3, `accuracy ${acc}`);
});
