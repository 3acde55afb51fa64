import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  hardNegativeMask,
  largestComponent,
  relaxedScdaMap,
  resizeGridMask,
  saliencyGuidedMask,
  strictScdaMap,
} from "./saliency.ts";

await tf.setBackend("cpu");

function randomFmap(rng: Rng, n: number, h: number, w: number, c: number): tf.Tensor4D {
  const v = Float32Array.from({ length: n * h * w * c }, () => Math.max(0, rng.gaussian()));
  return tf.tensor4d(v, [n, h, w, c]);
}

/** Channel sums of image i, in float64. */
function channelSum(v: ArrayLike<number>, i: number, hw: number, c: number): Float64Array {
  const a = new Float64Array(hw);
  for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) a[p] += v[(i * hw + p) * c + k];
  return a;
}

function meanStd(a: Float64Array): [number, number] {
  const m = a.reduce((s, x) => s + x, 0) / a.length;
  return [m, Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length)];
}

/** Sizes of the 4-connected component of every on cell (test-side flood fill). */
function componentSizes(on: boolean[], h: number, w: number): Int32Array {
  const size = new Int32Array(h * w);
  const seen = new Uint8Array(h * w);
  for (let s = 0; s < h * w; s++) {
    if (!on[s] || seen[s]) continue;
    const members: number[] = [];
    const queue = [s];
    seen[s] = 1;
    while (queue.length) {
      const p = queue.shift() as number;
      members.push(p);
      const [y, x] = [Math.floor(p / w), p % w];
      for (const [dy, dx] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const [yy, xx] = [y + dy, x + dx];
        const q = yy * w + xx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w && on[q] && !seen[q]) {
          (seen[q] = 1), queue.push(q);
        }
      }
    }
    for (const p of members) size[p] = members.length;
  }
  return size;
}

Deno.test("relaxedScdaMap: foreground iff A >= mean(A) - alpha std(A), per image", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const [n, h, w, c] = [3, 2 + rng.int(7), 2 + rng.int(7), 1 + rng.int(6)];
    const fmap = randomFmap(rng, n, h, w, c);
    const fv = fmap.dataSync();
    let previous: Float32Array | null = null;
    for (const alpha of [0, 0.6, 1.5]) {
      const fg = relaxedScdaMap(fmap, alpha);
      assert.deepEqual(fg.shape, [n, h, w]);
      const g = fg.dataSync() as Float32Array;
      for (let i = 0; i < n; i++) {
        const a = channelSum(fv, i, h * w, c);
        const [m, sd] = meanStd(a);
        for (let p = 0; p < h * w; p++) {
          const margin = a[p] - (m - alpha * sd);
          if (Math.abs(margin) < 1e-4) continue; // float32 vs float64 tie
          assert.equal(g[i * h * w + p], margin >= 0 ? 1 : 0);
        }
      }
      // A larger alpha lowers the threshold: the foreground only grows.
      if (previous) { for (let k = 0; k < g.length; k++) assert.ok(g[k] >= previous[k]); }
      previous = g;
      fg.dispose();
    }
    fmap.dispose();
  }
});

Deno.test("strictScdaMap: the largest 4-connected component of A > mean(A)", () => {
  for (let seed = 0; seed < 12; seed++) {
    const rng = new Rng(seed);
    const [n, h, w, c] = [2, 3 + rng.int(8), 3 + rng.int(8), 2];
    const fmap = randomFmap(rng, n, h, w, c);
    const fv = fmap.dataSync();
    const out = strictScdaMap(fmap).dataSync();
    for (let i = 0; i < n; i++) {
      const a = channelSum(fv, i, h * w, c);
      const [m] = meanStd(a);
      const above = Array.from(a, (v) => v > m);
      const sizes = componentSizes(above, h, w);
      const picked = Array.from({ length: h * w }, (_, p) => out[i * h * w + p] === 1);
      const count = picked.filter(Boolean).length;
      const largest = Math.max(...sizes);
      assert.equal(count, largest, `seed ${seed}: picked ${count} cells, largest is ${largest}`);
      // Picked cells are above the mean and form one whole component.
      const first = picked.indexOf(true);
      for (let p = 0; p < h * w; p++) {
        if (picked[p]) assert.ok(above[p] && sizes[p] === count);
      }
      const comp = componentSizes(picked, h, w);
      assert.equal(comp[first], count, "picked cells are connected");
    }
    fmap.dispose();
  }
  // A hand-made case: two blobs (sizes 2 and 3), diagonal cells do not connect.
  const blob = [1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1];
  assert.deepEqual(
    Array.from(largestComponent(blob, 4, 4)),
    [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],
  );
  assert.ok(largestComponent(new Array(9).fill(0), 3, 3).every((v) => v === 0));
});

Deno.test("resizeGridMask: area fractions agree with a supersampled reference", () => {
  for (let seed = 0; seed < 15; seed++) {
    const rng = new Rng(seed);
    const [h, w, gh, gw] = [1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(8), 1 + rng.int(8)];
    const v = Float32Array.from({ length: 2 * h * w }, () => (rng.bernoulli(0.5) ? 1 : 0));
    const map = tf.tensor3d(v, [2, h, w]);
    const soft = resizeGridMask(map, gh, gw, null).dataSync();
    const hard = resizeGridMask(map, gh, gw).dataSync();
    // Reference: nearest-upsample to (h*gh) x (w*gw), where target cells are h x w blocks.
    for (let i = 0; i < 2; i++) {
      for (let cy = 0; cy < gh; cy++) {
        for (let cx = 0; cx < gw; cx++) {
          let s = 0;
          for (let y = cy * h; y < (cy + 1) * h; y++) {
            for (let x = cx * w; x < (cx + 1) * w; x++) {
              s += v[(i * h + Math.floor(y / gh)) * w + Math.floor(x / gw)];
            }
          }
          const frac = s / (h * w);
          const k = (i * gh + cy) * gw + cx;
          assert.ok(Math.abs(soft[k] - frac) < 1e-5, `seed ${seed}: ${soft[k]} vs ${frac}`);
          assert.equal(hard[k], frac >= 0.5 - 1e-6 ? 1 : 0);
        }
      }
    }
    map.dispose();
  }
  assert.throws(
    () => resizeGridMask(tf.zeros([1, 4, 4, 1]) as unknown as tf.Tensor3D, 2, 2),
    /\[N,h,w\]/,
  );
});

function randomFg(rng: Rng, n: number, L: number): tf.Tensor2D {
  const v = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    const p = rng.next();
    for (let j = 0; j < L; j++) v[i * L + j] = rng.bernoulli(p) ? 1 : 0;
  }
  return tf.tensor2d(v, [n, L]);
}

Deno.test("saliencyGuidedMask: masked counts follow the formula and lie in the right sets", () => {
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(seed);
    const L = [16, 49, 64][rng.int(3)];
    const n = 8;
    const fg = randomFg(rng, n, L);
    const fgRatio = rng.bernoulli(0.5) ? undefined : rng.uniform(0.5, 4);
    const out = saliencyGuidedMask({ fg, rng, fgRatio });
    const f = fg.dataSync();
    const m = out.mask.dataSync();
    for (let i = 0; i < n; i++) {
      const r = out.ratio[i];
      assert.ok(r >= 0.05 && r < 0.25);
      let fgCount = 0, fgMasked = 0, bgMasked = 0;
      for (let j = 0; j < L; j++) {
        const isFg = f[i * L + j] === 1;
        if (isFg) fgCount++;
        if (m[i * L + j] === 0) isFg ? fgMasked++ : bgMasked++;
        else assert.equal(m[i * L + j], 1);
      }
      const nFg = Math.round(Math.min(r * (fgRatio ?? fgCount / L), 0.55) * L);
      const nBg = Math.floor(L * r + 1e-9) - nFg;
      assert.equal(fgMasked, Math.min(nFg, fgCount));
      assert.equal(bgMasked, Math.max(0, Math.min(nBg, L - fgCount)));
    }
    tf.dispose([fg, out.mask]);
  }
});

Deno.test("saliencyGuidedMask: cells are drawn uniformly inside the foreground", () => {
  const rng = new Rng(77);
  const L = 16;
  const fgRow = Array.from({ length: L }, (_, j) => (j < 8 ? 1 : 0));
  const n = 3000;
  const fg = tf.tensor2d(Array.from({ length: n }, () => fgRow));
  const out = saliencyGuidedMask({ fg, rng, ratioRange: [0.5, 0.5], fgRatio: 1 });
  // r = 0.5: n_fg = round(min(0.5, 0.55) * 16) = 8 -> all fg; n_bg = 8 - 8 = 0.
  const all = out.mask.dataSync();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < L; j++) assert.equal(all[i * L + j], j < 8 ? 0 : 1);
  }
  const out2 = saliencyGuidedMask({ fg, rng, ratioRange: [0.25, 0.25], fgRatio: 0.5 });
  // n_fg = round(0.125 * 16) = 2 of 8 fg cells, each hit with probability 1/4.
  const m = out2.mask.dataSync();
  for (let j = 0; j < 8; j++) {
    let hits = 0;
    for (let i = 0; i < n; i++) hits += 1 - m[i * L + j];
    assert.ok(Math.abs(hits / n - 0.25) < 0.03, `cell ${j}: ${hits / n}`);
  }
  tf.dispose([fg, out.mask, out2.mask]);
});

Deno.test("hardNegativeMask: only foreground cells are masked, with the requested count", () => {
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(seed);
    const [n, L] = [6, 49];
    const fg = randomFg(rng, n, L);
    const f = fg.dataSync();
    for (const ratioOf of ["foreground", "all"] as const) {
      const out = hardNegativeMask({ fg, rng, ratioOf });
      const m = out.mask.dataSync();
      for (let i = 0; i < n; i++) {
        let fgCount = 0, masked = 0;
        for (let j = 0; j < L; j++) {
          if (f[i * L + j] === 1) fgCount++;
          if (m[i * L + j] === 0) {
            assert.equal(f[i * L + j], 1, "background cell masked");
            masked++;
          }
        }
        const r = out.ratio[i];
        assert.ok(r >= 0.4 && r < 0.7);
        const expected = ratioOf === "foreground"
          ? Math.round(r * fgCount)
          : Math.min(Math.floor(r * L + 1e-9), fgCount);
        assert.equal(masked, expected);
      }
      out.mask.dispose();
    }
    fg.dispose();
  }
  assert.throws(
    () => hardNegativeMask({ fg: tf.zeros([2, 3, 3]) as unknown as tf.Tensor2D, rng: new Rng(0) }),
    /resizeGridMask/,
  );
});

Deno.test("saliency functions leave no tensors behind", () => {
  const rng = new Rng(12);
  const fmap = randomFmap(rng, 2, 4, 4, 3);
  const before = tf.memory().numTensors;
  const relaxed = relaxedScdaMap(fmap);
  const strict = strictScdaMap(fmap);
  const grid = resizeGridMask(relaxed, 2, 2);
  const a = saliencyGuidedMask({ fg: grid, rng });
  const b = hardNegativeMask({ fg: grid, rng });
  assert.equal(tf.memory().numTensors, before + 5);
  tf.dispose([relaxed, strict, grid, a.mask, b.mask]);
  assert.equal(tf.memory().numTensors, before);
  fmap.dispose();
});

Deno.test("hardNegativeMask: maxFraction caps the masked cells at round(min(r |fg| / L, cap) L)", () => {
  // All 49 cells foreground, r in [0.7, 0.7]: uncapped round(0.7 * 49) = 34, capped round(0.55 * 49) = 27.
  const fg = tf.ones([3, 49]) as tf.Tensor2D;
  const count = (maxFraction?: number) => {
    const { mask } = hardNegativeMask({ fg, rng: new Rng(4), ratioRange: [0.7, 0.7], maxFraction });
    const kept = Array.from(tf.sum(mask, 1).dataSync());
    mask.dispose();
    return kept.map((k) => 49 - k);
  };
  assert.deepEqual(count(), [34, 34, 34]);
  assert.deepEqual(count(0.55), [27, 27, 27]);
  assert.deepEqual(count(1), [34, 34, 34], "cap 1 is no cap");
  // Below the cap nothing changes: 10 foreground cells, r 0.7 -> 7 masked.
  const few = tf.tensor2d([Array.from({ length: 49 }, (_, i) => (i < 10 ? 1 : 0))]);
  const { mask } = hardNegativeMask({
    fg: few,
    rng: new Rng(5),
    ratioRange: [0.7, 0.7],
    maxFraction: 0.55,
  });
  assert.equal(49 - tf.sum(mask).dataSync()[0], 7);
  assert.throws(
    () => hardNegativeMask({ fg, rng: new Rng(1), maxFraction: 1.5 }),
    /maxFraction must be in \[0, 1\]/,
  );
  tf.dispose([fg, few, mask]);
});
