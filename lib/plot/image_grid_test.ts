import assert from "node:assert/strict";
import { decode } from "fast-png";
import { Rng } from "../rng.ts";
import { decodeBase64 } from "./base64.ts";
import { validateFigure } from "./figure.ts";
import { imageGrid, imagesFromBatch } from "./image_grid.ts";

Deno.test("imageGrid: one image trace per image whose PNG decodes back to the same pixels", () => {
  const rng = new Rng(2);
  const [n, h, w] = [5, 6, 7];
  for (const c of [1, 3]) {
    const pixels = Uint8Array.from({ length: n * h * w * c }, () => rng.int(256));
    const images = imagesFromBatch(pixels, [n, h, w, c]);
    const fig = imageGrid(images, { columns: 2, titles: images.map((_, i) => `#${i}`) });
    validateFigure(fig);
    assert.equal(fig.data.length, n);
    fig.data.forEach((t, i) => {
      const src = t.source as string;
      assert.ok(src.startsWith("data:image/png;base64,"));
      const png = decode(decodeBase64(src.slice(src.indexOf(",") + 1)));
      assert.equal(png.width, w);
      assert.equal(png.height, h);
      assert.deepEqual(Array.from(png.data as Uint8Array), Array.from(images[i].data));
    });
    assert.equal((fig.layout.annotations as unknown[]).length, n);
  }
});

Deno.test("imageGrid rejects byte counts that do not match the shape", () => {
  assert.throws(() => imageGrid([{ data: new Uint8Array(10), height: 2, width: 2 }]), /HWC/);
  assert.throws(() => imagesFromBatch(new Uint8Array(5), [1, 2, 2, 1]), /do not match/);
  assert.throws(() => imageGrid([]), /no images/);
});

Deno.test("imageGrid is one column (3.5 in) when it fits, else two columns (7 in)", () => {
  const img = { data: new Uint8Array(4 * 4 * 3), height: 4, width: 4, channels: 3 };
  const small = imageGrid([img, img, img], { cellSize: 96 });
  assert.equal(small.layout.width, 336);
  const wide = imageGrid(Array(12).fill(img), { columns: 6, cellSize: 80 });
  assert.equal(wide.layout.width, 672);
  assert.ok(Number(wide.layout.height) > 2 * 100, `height ${wide.layout.height}`);
});
