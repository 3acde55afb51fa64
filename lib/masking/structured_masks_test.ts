import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { blockMask, columnMask, rowMask, structuredMask, toPixelMask } from "./structured_masks.ts";

await tf.setBackend("cpu");

/** Per-sample `[gridH][gridW]` boolean "masked" tables. */
function maskedCells(t: tf.Tensor2D, gh: number, gw: number): boolean[][][] {
  const v = t.dataSync();
  return Array.from(
    { length: t.shape[0] },
    (_, i) =>
      Array.from({ length: gh }, (_, y) =>
        Array.from({ length: gw }, (_, x) => {
          const m = v[(i * gh + y) * gw + x];
          assert.ok(m === 0 || m === 1);
          return m === 0;
        })),
  );
}

Deno.test("rowMask / columnMask: exactly `count` whole rows / columns are masked", () => {
  for (let seed = 0; seed < 25; seed++) {
    const rng = new Rng(seed);
    const [n, gh, gw] = [3, 1 + rng.int(12), 1 + rng.int(12)];
    const rc = rng.int(gh + 1);
    const cc = rng.int(gw + 1);
    const rows = maskedCells(rowMask({ n, gridH: gh, gridW: gw, count: rc, rng }), gh, gw);
    const cols = maskedCells(columnMask({ n, gridH: gh, gridW: gw, count: cc, rng }), gh, gw);
    for (let i = 0; i < n; i++) {
      const fullRows = rows[i].filter((r) => r.every(Boolean)).length;
      assert.ok(rows[i].every((r) => r.every(Boolean) || r.every((c) => !c)), "whole rows only");
      assert.equal(fullRows, rc);
      const colMasked = (x: number) => cols[i].map((r) => r[x]);
      let fullCols = 0;
      for (let x = 0; x < gw; x++) {
        const c = colMasked(x);
        assert.ok(c.every(Boolean) || c.every((b) => !b), "whole columns only");
        if (c.every(Boolean)) fullCols++;
      }
      assert.equal(fullCols, cc);
    }
  }
  assert.throws(() => rowMask({ n: 1, gridH: 4, gridW: 4, count: 5, rng: new Rng(0) }), /\[0, 4\]/);
});

Deno.test("rowMask: every row is equally likely", () => {
  const rng = new Rng(9);
  const [n, gh, gw] = [3000, 6, 2];
  const rows = maskedCells(rowMask({ n, gridH: gh, gridW: gw, count: 2, rng }), gh, gw);
  for (let y = 0; y < gh; y++) {
    const freq = rows.filter((s) => s[y][0]).length / n;
    assert.ok(Math.abs(freq - 2 / 6) < 0.03, `row ${y}: ${freq}`);
  }
});

Deno.test("blockMask: one contiguous block of the given size, anywhere it fits", () => {
  for (let seed = 0; seed < 40; seed++) {
    const rng = new Rng(seed);
    const [gh, gw] = [1 + rng.int(8), 1 + rng.int(8)];
    const [bh, bw] = [1 + rng.int(gh), 1 + rng.int(gw)];
    const cells = maskedCells(
      blockMask({ n: 4, gridH: gh, gridW: gw, blockH: bh, blockW: bw, rng }),
      gh,
      gw,
    );
    for (const s of cells) {
      const ys: number[] = [];
      const xs: number[] = [];
      s.forEach((r, y) => r.forEach((m, x) => m && (ys.push(y), xs.push(x))));
      assert.equal(ys.length, bh * bw);
      const [y0, x0] = [Math.min(...ys), Math.min(...xs)];
      assert.equal(Math.max(...ys) - y0 + 1, bh);
      assert.equal(Math.max(...xs) - x0 + 1, bw);
    }
  }
  const rng = new Rng(1);
  const c = maskedCells(blockMask({ n: 500, gridH: 3, gridW: 3, blockH: 2, blockW: 2, rng }), 3, 3);
  const tl = new Map<string, number>();
  for (const s of c) {
    const y0 = s.findIndex((r) => r.some(Boolean));
    const x0 = s[y0].indexOf(true);
    tl.set(`${y0},${x0}`, (tl.get(`${y0},${x0}`) ?? 0) + 1);
  }
  assert.equal(tl.size, 4, "all four positions of a 2x2 block in a 3x3 grid occur");
  for (const v of tl.values()) assert.ok(Math.abs(v / 500 - 0.25) < 0.06);
  assert.throws(() => blockMask({ n: 1, gridH: 3, gridW: 3, blockH: 4, blockW: 1, rng }), /shrink/);
});

Deno.test("structuredMask dispatches on the spec; toPixelMask reshapes pixel-grid masks", () => {
  const opts = { n: 2, gridH: 5, gridW: 7 };
  const a = structuredMask({ kind: "block", blockH: 2, blockW: 3 }, { ...opts, rng: new Rng(4) });
  const b = blockMask({ ...opts, blockH: 2, blockW: 3, rng: new Rng(4) });
  assert.deepEqual(a.dataSync(), b.dataSync());
  const px = toPixelMask(a, 5, 7);
  assert.deepEqual(px.shape, [2, 5, 7, 1]);
  assert.deepEqual(px.dataSync(), a.dataSync());
  assert.throws(() => toPixelMask(a, 4, 7), /tokenMaskToPixels/);
  tf.dispose([a, b, px]);
});
