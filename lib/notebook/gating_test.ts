import assert from "node:assert/strict";
import { attentionOverlay, haveCheckpoints, humanCount, normalisedEntropy } from "./gating.ts";

Deno.test("attentionOverlay: red follows the attention weight, grey keeps the image", () => {
  const H = 4, W = 4;
  const img = { data: new Uint8Array(H * W * 3).fill(100), height: H, width: W, channels: 3 };
  // 2x2 grid: all weight on the top-left cell.
  const out = attentionOverlay(img, [1, 0, 0, 0], 2, 2);
  assert.equal(out.channels, 3);
  const px = (y: number, x: number) =>
    Array.from(out.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
  assert.deepEqual(px(0, 0), [Math.round(40 + 0.6 * 255), 40, 40]);
  assert.deepEqual(px(1, 1), [Math.round(40 + 0.6 * 255), 40, 40]);
  assert.deepEqual(px(3, 3), [40, 40, 40]);
  assert.throws(() => attentionOverlay(img, [1, 0, 0], 2, 2), /3 weights for a 2x2 grid/);
});

Deno.test("normalisedEntropy: 1 for uniform weights, 0 for one cell; humanCount", () => {
  assert.ok(Math.abs(normalisedEntropy([0.25, 0.25, 0.25, 0.25]) - 1) < 1e-12);
  assert.equal(normalisedEntropy([0, 1, 0, 0]), 0);
  const e = normalisedEntropy([0.7, 0.1, 0.1, 0.1]);
  assert.ok(e > 0 && e < 1);
  assert.deepEqual([humanCount(999), humanCount(1234), humanCount(2.6e9)], [
    "999",
    "1.2K",
    "2.60G",
  ]);
});

Deno.test("haveCheckpoints lists run folders without a checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/a/checkpoint`, { recursive: true });
    await Deno.mkdir(`${dir}/b`);
    assert.deepEqual(await haveCheckpoints([`${dir}/a`, `${dir}/b`, `${dir}/c`]), [
      `${dir}/b`,
      `${dir}/c`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
