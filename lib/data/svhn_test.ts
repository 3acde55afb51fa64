import assert from "node:assert/strict";
import { readSvhnMat, svhnSplitFromMat } from "./svhn.ts";
import { readMat } from "./matlab.ts";
import { writeMat } from "./matlab_write.ts";
import { Rng } from "../rng.ts";

/** Random NHWC images + labels, and the same as SVHN's column-major X / 1..10 y. */
function makeSvhn(rng: Rng, n: number, h = 32, w = 32) {
  const nhwc = new Uint8Array(n * h * w * 3).map(() => rng.int(256));
  const x = new Uint8Array(nhwc.length);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        for (let ch = 0; ch < 3; ch++) {
          x[r + h * (c + w * (ch + 3 * i))] = nhwc[((i * h + r) * w + c) * 3 + ch];
        }
      }
    }
  }
  const labels = Array.from({ length: n }, () => rng.int(10));
  const y = new Float64Array(labels.map((l) => (l === 0 ? 10 : l)));
  return { nhwc, labels, x, y };
}

Deno.test("svhnSplitFromMat: column-major 32x32x3xN -> NHWC, label 10 -> 0", async () => {
  const rng = new Rng(60);
  for (const compress of [false, true]) {
    const n = 5 + rng.int(10);
    const { nhwc, labels, x, y } = makeSvhn(rng, n);
    const bytes = await writeMat([
      { name: "X", dims: [32, 32, 3, n], data: x },
      { name: "y", dims: [n, 1], data: y },
    ], { compress });
    const split = svhnSplitFromMat(await readMat(bytes, "s.mat"), "s.mat");
    assert.equal(split.count, n);
    assert.deepEqual(split.images, nhwc);
    assert.deepEqual(Array.from(split.labels), labels);
  }
});

Deno.test("svhnSplitFromMat: a label outside 1..10 is an error naming file and label", async () => {
  const rng = new Rng(61);
  const { x, y } = makeSvhn(rng, 4);
  y[2] = 11;
  const bytes = await writeMat([
    { name: "X", dims: [32, 32, 3, 4], data: x },
    { name: "y", dims: [4, 1], data: y },
  ]);
  assert.throws(
    () => svhnSplitFromMat(new Map(), "e.mat"),
    /e\.mat: no numeric variable "X"/,
  );
  const vars = await readMat(bytes, "bad.mat");
  assert.throws(
    () => svhnSplitFromMat(vars, "bad.mat"),
    /bad\.mat: label y\[2\] = 11 is outside 1\.\.10/,
  );
});

Deno.test("readSvhnMat: the shared SVHN-format samples (KIT_DATA_DIR) read with 20 of each label", async () => {
  const dir = Deno.env.get("KIT_DATA_DIR");
  if (!dir) {
    console.log("SKIP: set KIT_DATA_DIR (e.g. ../shared/datasets) to read svhn-format-sample*.mat");
    return;
  }
  const files = ["svhn-format-sample_32x32.mat", "svhn-format-sample-uncompressed_32x32.mat"];
  const splits = [];
  for (const f of files) {
    const split = await readSvhnMat(`${dir}/${f}`);
    assert.equal(split.count, 200);
    assert.equal(split.images.length, 200 * 32 * 32 * 3);
    const counts = new Array(10).fill(0);
    for (const l of split.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(20));
    splits.push(split);
  }
  assert.deepEqual(splits[0].images, splits[1].images);
  assert.deepEqual(splits[0].labels, splits[1].labels);
});
