import assert from "node:assert/strict";
import { readMat } from "./matlab.ts";
import { writeMat } from "./matlab_write.ts";
import { Rng } from "../rng.ts";

Deno.test("readMat: random numeric arrays round-trip (classes, dims, names, both byte orders, zlib)", async () => {
  const rng = new Rng(50);
  const makers = [
    (n: number) => new Uint8Array(n).map(() => rng.int(256)),
    (n: number) => new Int8Array(n).map(() => rng.int(256) - 128),
    (n: number) => new Int16Array(n).map(() => rng.int(65536) - 32768),
    (n: number) => new Uint16Array(n).map(() => rng.int(65536)),
    (n: number) => new Int32Array(n).map(() => rng.int(1 << 30) - (1 << 29)),
    (n: number) => new Uint32Array(n).map(() => rng.int(1 << 30) * 3),
    (n: number) => new Float32Array(n).map(() => Math.fround(rng.gaussian())),
    (n: number) => new Float64Array(n).map(() => rng.gaussian() * 1e6),
  ];
  for (const compress of [false, true]) {
    for (const littleEndian of [true, false]) {
      const arrays = makers.map((make, i) => {
        const dims = Array.from({ length: 2 + rng.int(3) }, () => 1 + rng.int(5));
        const n = dims.reduce((a, b) => a * b, 1);
        // Names of 1..4 bytes use the small-element format; longer ones do not.
        const name = i % 2 ? `v${i}` : `variable_${i}_long`;
        return { name, dims, data: make(n) };
      });
      const bytes = await writeMat(arrays, { compress, littleEndian });
      const vars = await readMat(bytes, "r.mat");
      assert.equal(vars.size, arrays.length);
      for (const a of arrays) {
        const v = vars.get(a.name)!;
        assert.deepEqual(v.dims, a.dims);
        assert.equal(v.data!.constructor, a.data.constructor);
        assert.deepEqual(v.data, a.data);
      }
    }
  }
});

Deno.test("readMat: truncation and non-MAT input give errors naming the file", async () => {
  const rng = new Rng(51);
  const data = new Uint8Array(300).map(() => rng.int(256));
  for (const compress of [false, true]) {
    const bytes = await writeMat([{ name: "X", dims: [10, 30], data }], { compress });
    for (let t = 0; t < 5; t++) {
      const cut = 136 + rng.int(bytes.length - 140);
      await assert.rejects(() => readMat(bytes.subarray(0, cut), "cut.mat"), /cut\.mat: /);
    }
  }
  await assert.rejects(
    () => readMat(new Uint8Array(200), "zero.mat"),
    /zero\.mat: not a MATLAB level-5/,
  );
  const v73 = new Uint8Array(200);
  v73.set(new TextEncoder().encode("MATLAB 7.3 MAT-file"));
  await assert.rejects(() => readMat(v73, "h5.mat"), /h5\.mat: MATLAB v7\.3 \(HDF5\)/);
});
