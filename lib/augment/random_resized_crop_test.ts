import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  applyCrops,
  type CropBox,
  randomResizedCrop,
  type RandomResizedCropOptions,
  sampleCropBox,
} from "./random_resized_crop.ts";

await tf.setBackend("wasm");

const SIMCLR: RandomResizedCropOptions = { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] };

Deno.test("sampleCropBox: boxes lie inside the image, area and aspect within range", () => {
  const rng = new Rng(1);
  for (const [h, w] of [[32, 32], [24, 40], [96, 64]]) {
    const fractions: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const b = sampleCropBox(rng, h, w, SIMCLR);
      assert.ok(Number.isInteger(b.top) && Number.isInteger(b.left));
      assert.ok(b.top >= 0 && b.left >= 0 && b.height >= 1 && b.width >= 1);
      assert.ok(b.top + b.height <= h && b.left + b.width <= w, JSON.stringify(b));
      // Integer rounding moves each side by at most 0.5 pixel.
      const areaHi = (b.height + 0.5) * (b.width + 0.5) / (h * w);
      const areaLo = (b.height - 0.5) * (b.width - 0.5) / (h * w);
      assert.ok(areaHi >= SIMCLR.scale[0] && areaLo <= SIMCLR.scale[1], JSON.stringify(b));
      assert.ok((b.width + 0.5) / (b.height - 0.5) >= SIMCLR.ratio[0], JSON.stringify(b));
      assert.ok((b.width - 0.5) / (b.height + 0.5) <= SIMCLR.ratio[1], JSON.stringify(b));
      fractions.push(b.height * b.width / (h * w));
    }
    // The area fraction spans the requested range (a 24x40 image has no 4:3 crop above 0.8).
    assert.ok(Math.min(...fractions) < 0.12 && Math.max(...fractions) > 0.75);
  }
});

Deno.test("sampleCropBox: a narrow scale range is respected and bad ranges are rejected", () => {
  const rng = new Rng(2);
  for (let i = 0; i < 500; i++) {
    const b = sampleCropBox(rng, 64, 64, { scale: [0.25, 0.25], ratio: [1, 1] });
    assert.deepEqual([b.height, b.width], [32, 32]);
  }
  assert.throws(() => sampleCropBox(rng, 32, 32, { scale: [0.5, 0.1], ratio: [1, 1] }), /scale/);
  assert.throws(() => sampleCropBox(rng, 32, 32, { scale: [0.1, 1], ratio: [0, 1] }), /ratio/);
});

Deno.test("applyCrops: full box is the identity; crop corners map to output corners", async () => {
  const rng = new Rng(3);
  const [n, h, w, c] = [6, 12, 10, 3];
  const data = Float32Array.from({ length: n * h * w * c }, () => rng.next());
  const x = tf.tensor4d(data, [n, h, w, c]);
  const full: CropBox[] = Array.from(
    { length: n },
    () => ({ top: 0, left: 0, height: h, width: w }),
  );
  const same = applyCrops(x, full, [h, w]);
  const sameData = await same.data();
  sameData.forEach((v, i) => assert.ok(Math.abs(v - data[i]) < 1e-5));
  const boxes = Array.from({ length: n }, () => sampleCropBox(rng, h, w, SIMCLR));
  const out = applyCrops(x, boxes, [h, w]);
  const od = await out.data();
  const at = (arr: ArrayLike<number>, i: number, y: number, xx: number, ch: number) =>
    arr[((i * h + y) * w + xx) * c + ch];
  boxes.forEach((b, i) => {
    for (let ch = 0; ch < c; ch++) {
      const tl = at(data, i, b.top, b.left, ch);
      const br = at(data, i, b.top + b.height - 1, b.left + b.width - 1, ch);
      assert.ok(Math.abs(at(od, i, 0, 0, ch) - tl) < 1e-5);
      // 1e-4: a crop ending on the border is inset by 4e-6 of the image (applyCrops).
      assert.ok(Math.abs(at(od, i, h - 1, w - 1, ch) - br) < 1e-4);
    }
  });
  assert.throws(() => applyCrops(x, boxes.slice(1), [h, w]), /one box/);
  tf.dispose([x, same, out]);
});

Deno.test("randomResizedCrop: shape, determinism per seed, no leaks", async () => {
  const x = tf.randomUniform([8, 32, 32, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const a = randomResizedCrop(x, new Rng(7), SIMCLR);
  const b = randomResizedCrop(x, new Rng(7), SIMCLR);
  const d = randomResizedCrop(x, new Rng(8), SIMCLR);
  assert.deepEqual(a.shape, [8, 32, 32, 3]);
  assert.equal(a.dtype, "float32");
  assert.deepEqual(await a.data(), await b.data());
  assert.notDeepEqual(await a.data(), await d.data());
  tf.dispose([a, b, d]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});
