import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  expectedMaskedFraction,
  gridMask,
  keptTokenCount,
  maskedAreaFraction,
  PAPER_TOKEN_SPECS,
  randomTokenMask,
  scaleTokenSpec,
  tokenMaskToPixels,
} from "./token_masks.ts";

await tf.setBackend("cpu");

Deno.test("randomTokenMask: masked pixels are a union of whole squares inside the image", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rng = new Rng(seed);
    const [h, w] = [5 + rng.int(30), 5 + rng.int(30)];
    const s = 1 + rng.int(Math.min(h, w));
    const count = rng.int(8);
    const m = randomTokenMask({ n: 3, height: h, width: w, tokenSize: s, tokenCount: count, rng });
    assert.deepEqual(m.shape, [3, h, w, 1]);
    const v = m.dataSync();
    for (let i = 0; i < 3; i++) {
      const at = (y: number, x: number) => v[i * h * w + y * w + x];
      // Every masked pixel lies in some fully masked s x s square inside the image.
      let masked = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          assert.ok(at(y, x) === 0 || at(y, x) === 1);
          if (at(y, x) === 1) continue;
          masked++;
          let inSquare = false;
          for (let y0 = Math.max(0, y - s + 1); y0 <= Math.min(y, h - s) && !inSquare; y0++) {
            for (let x0 = Math.max(0, x - s + 1); x0 <= Math.min(x, w - s) && !inSquare; x0++) {
              let full = true;
              for (let dy = 0; dy < s && full; dy++) {
                for (let dx = 0; dx < s && full; dx++) full = at(y0 + dy, x0 + dx) === 0;
              }
              inSquare = full;
            }
          }
          assert.ok(inSquare, `seed ${seed}: pixel (${y},${x}) masked outside a whole token`);
        }
      }
      // At most count squares, and at least one when count > 0.
      assert.ok(masked <= count * s * s);
      if (count > 0) assert.ok(masked >= s * s);
    }
    m.dispose();
  }
});

Deno.test("randomTokenMask: mean masked fraction matches expectedMaskedFraction (overlaps)", () => {
  const rng = new Rng(42);
  for (const spec of [{ tokenSize: 3, tokenCount: 40 }, { tokenSize: 8, tokenCount: 5 }]) {
    const m = randomTokenMask({ n: 400, height: 32, width: 32, ...spec, rng });
    const before = tf.memory().numTensors;
    const fr = maskedAreaFraction(m);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    const mean = fr.reduce((a, b) => a + b, 0) / fr.length;
    const expected = expectedMaskedFraction(spec, 32, 32);
    assert.ok(Math.abs(mean - expected) < 0.01, `${mean} vs ${expected}`);
    m.dispose();
  }
  // Edge cases of the formula: a token covering the whole image, and zero tokens.
  assert.equal(expectedMaskedFraction({ tokenSize: 7, tokenCount: 1 }, 7, 7), 1);
  assert.equal(expectedMaskedFraction({ tokenSize: 3, tokenCount: 0 }, 9, 9), 0);
  assert.throws(
    () => randomTokenMask({ n: 1, height: 8, width: 8, tokenSize: 9, tokenCount: 1, rng }),
    /scaleTokenSpec/,
  );
});

Deno.test("scaleTokenSpec keeps the expected masked fraction of the paper's 224 settings", () => {
  for (const spec of PAPER_TOKEN_SPECS) {
    for (const size of [32, 64, 96]) {
      const s = scaleTokenSpec(spec, size);
      assert.equal(s.tokenSize, Math.max(1, Math.round((spec.tokenSize * size) / 224)));
      assert.ok(Math.abs(s.maskedFraction - s.paperMaskedFraction) < 0.01, JSON.stringify(s));
      // The count is the best integer: one more or one less is no closer.
      for (const c of [s.tokenCount - 1, s.tokenCount + 1]) {
        const f = expectedMaskedFraction({ tokenSize: s.tokenSize, tokenCount: c }, size, size);
        assert.ok(
          Math.abs(f - s.paperMaskedFraction) >= Math.abs(s.maskedFraction - s.paperMaskedFraction),
        );
      }
    }
    // A pinned side only fits the count.
    const pinned = scaleTokenSpec(spec, 32, { tokenSize: 2 });
    assert.equal(pinned.tokenSize, 2);
    assert.ok(Math.abs(pinned.maskedFraction - pinned.paperMaskedFraction) < 0.01);
    // Identity when the size does not change.
    const same = scaleTokenSpec(spec, 224);
    assert.deepEqual([same.tokenSize, same.tokenCount], [spec.tokenSize, spec.tokenCount]);
  }
});

Deno.test("gridMask: exact ratio, mask agrees with idsKeep, idsRestore inverts idsShuffle", () => {
  const before = tf.memory().numTensors;
  for (let seed = 0; seed < 30; seed++) {
    const rng = new Rng(seed);
    const [gh, gw] = [1 + rng.int(8), 2 + rng.int(8)];
    const L = gh * gw;
    const ratio = rng.uniform(0, (L - 1) / L);
    const n = 1 + rng.int(4);
    const g = gridMask({ n, gridH: gh, gridW: gw, ratio, rng });
    const lKeep = keptTokenCount(L, ratio);
    assert.equal(lKeep, Math.floor(L * (1 - ratio) + 1e-9));
    assert.deepEqual(g.idsKeep.shape, [n, lKeep]);
    const m = g.mask.arraySync();
    const keep = g.idsKeep.arraySync();
    const shuffle = g.idsShuffle.arraySync();
    const restore = g.idsRestore.arraySync();
    for (let i = 0; i < n; i++) {
      assert.equal(m[i].reduce((a, b) => a + b, 0), lKeep);
      for (const k of keep[i]) assert.equal(m[i][k], 1);
      assert.equal(new Set(keep[i]).size, lKeep);
      for (let j = 0; j < L; j++) assert.equal(shuffle[i][restore[i][j]], j);
    }
    tf.dispose([g.mask, g.idsKeep, g.idsShuffle, g.idsRestore]);
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("gridMask: gather by idsKeep, append mask tokens, un-shuffle by idsRestore restores order", () => {
  const rng = new Rng(3);
  const [n, gh, gw, d] = [3, 4, 5, 6];
  const L = gh * gw;
  const tokens = tf.randomUniform([n, L, d], 0, 1, "float32", 1);
  const g = gridMask({ n, gridH: gh, gridW: gw, ratio: 0.75, rng });
  const lKeep = g.idsKeep.shape[1];
  assert.equal(lKeep, 5);
  const restored = tf.tidy(() => {
    const kept = tf.gather(tokens, g.idsKeep, 1, 1); // [n, L_keep, d]
    const maskTok = tf.fill([n, L - lKeep, d], -7);
    return tf.gather(tf.concat([kept, maskTok], 1), g.idsRestore, 1, 1);
  });
  const r = restored.arraySync() as number[][][];
  const t = tokens.arraySync() as number[][][];
  const m = g.mask.arraySync();
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < L; j++) {
      assert.deepEqual(r[i][j], m[i][j] === 1 ? t[i][j] : new Array(d).fill(-7));
    }
  }
  // Uniformity: over many draws every token is kept about equally often.
  const counts = new Float64Array(L);
  const many = gridMask({ n: 2000, gridH: gh, gridW: gw, ratio: 0.75, rng });
  const mv = many.mask.dataSync();
  for (let i = 0; i < mv.length; i++) counts[i % L] += mv[i];
  for (const c of counts) assert.ok(Math.abs(c / 2000 - 0.25) < 0.04, `${c / 2000}`);
  tf.dispose([tokens, restored, g.mask, g.idsKeep, g.idsShuffle, g.idsRestore]);
  tf.dispose([many.mask, many.idsKeep, many.idsShuffle, many.idsRestore]);
});

Deno.test("keptTokenCount: float-safe floor and clear errors", () => {
  assert.equal(keptTokenCount(10, 0.9), 1);
  assert.equal(keptTokenCount(196, 0.75), 49);
  assert.equal(keptTokenCount(16, 0), 16);
  assert.throws(() => keptTokenCount(4, 0.9), /keeps no token/);
  assert.throws(() => keptTokenCount(4, 1), /\[0, 1\)/);
});

Deno.test("tokenMaskToPixels: every pixel takes the value of its grid cell (divisible or not)", () => {
  for (let seed = 0; seed < 10; seed++) {
    const rng = new Rng(seed);
    const [gh, gw] = [1 + rng.int(6), 1 + rng.int(6)];
    const [H, W] = [gh + rng.int(20), gw + rng.int(20)];
    const n = 2;
    const v = Float32Array.from({ length: n * gh * gw }, () => rng.next());
    const px = tokenMaskToPixels(tf.tensor2d(v, [n, gh * gw]), gh, gw, H, W);
    assert.deepEqual(px.shape, [n, H, W, 1]);
    const p = px.dataSync();
    const cellsSeen = new Set<number>();
    for (let i = 0; i < n; i++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const cell = Math.floor((y * gh) / H) * gw + Math.floor((x * gw) / W);
          cellsSeen.add(cell);
          assert.equal(p[(i * H + y) * W + x], v[i * gh * gw + cell]);
        }
      }
    }
    assert.equal(cellsSeen.size, gh * gw, "every cell is shown somewhere");
    // Divisible case: each cell is an exact (H/gh) x (W/gw) block.
    px.dispose();
  }
  const blocks = tokenMaskToPixels(tf.tensor2d([[1, 0, 0, 1]]), 2, 2, 4, 4).dataSync();
  assert.deepEqual(Array.from(blocks), [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  assert.throws(() => tokenMaskToPixels(tf.zeros([1, 5]), 2, 2, 4, 4), /gridH\*gridW/);
});
