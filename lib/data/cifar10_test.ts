import assert from "node:assert/strict";
import { parseCifar10Batch, readCifar10Archive } from "./cifar10.ts";
import { gzipBytes, type TarWriteEntry, writeTar } from "./tar_write.ts";
import { Rng } from "../rng.ts";

/** Builds a CIFAR-10 binary batch: label byte then R, G, B planes. */
function makeBatch(rng: Rng, n: number): { bytes: Uint8Array; nhwc: Uint8Array; labels: number[] } {
  const bytes = new Uint8Array(n * 3073);
  const nhwc = new Uint8Array(n * 3072);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = rng.int(10);
    labels.push(label);
    bytes[i * 3073] = label;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const v = rng.int(256);
          bytes[i * 3073 + 1 + c * 1024 + y * 32 + x] = v;
          nhwc[i * 3072 + (y * 32 + x) * 3 + c] = v;
        }
      }
    }
  }
  return { bytes, nhwc, labels };
}

Deno.test("parseCifar10Batch: CHW planar records become NHWC with the label byte", () => {
  const rng = new Rng(40);
  const { bytes, nhwc, labels } = makeBatch(rng, 17);
  const split = parseCifar10Batch(bytes, "b.bin");
  assert.equal(split.count, 17);
  assert.deepEqual(split.images, nhwc);
  assert.deepEqual(Array.from(split.labels), labels);
});

Deno.test("parseCifar10Batch: wrong size or label > 9 is an error naming the file", () => {
  const rng = new Rng(41);
  const { bytes } = makeBatch(rng, 3);
  assert.throws(() => parseCifar10Batch(bytes.subarray(0, 5000), "t.bin"), /t\.bin: 5000 bytes/);
  bytes[3073] = 12;
  assert.throws(() => parseCifar10Batch(bytes, "t.bin"), /t\.bin: record 1 has label 12/);
});

Deno.test("readCifar10Archive: official layout, train batches 1..5 in order, test batch", async () => {
  const rng = new Rng(42);
  const batches = Array.from({ length: 6 }, () => makeBatch(rng, 2 + rng.int(4)));
  const names = [1, 2, 3, 4, 5].map((i) => `cifar-10-batches-bin/data_batch_${i}.bin`);
  names.push("cifar-10-batches-bin/test_batch.bin");
  // Shuffle member order: the reader must not depend on it.
  const order = rng.permutation(6);
  const entries: TarWriteEntry[] = [{ name: "cifar-10-batches-bin/" }, {
    name: "cifar-10-batches-bin/readme.html",
    data: new Uint8Array(3),
  }];
  for (const i of order) entries.push({ name: names[i], data: batches[i].bytes });
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/cifar-10-binary.tar.gz`;
    await Deno.writeFile(path, await gzipBytes(writeTar(entries)));
    const { train, test } = await readCifar10Archive(path);
    const trainLabels = batches.slice(0, 5).flatMap((b) => b.labels);
    assert.deepEqual(Array.from(train.labels), trainLabels);
    assert.equal(train.images.length, trainLabels.length * 3072);
    assert.deepEqual(train.images.subarray(0, batches[0].nhwc.length), batches[0].nhwc);
    assert.deepEqual(test.images, batches[5].nhwc);
    await Deno.writeFile(
      path,
      await gzipBytes(writeTar(entries.filter((e) => !e.name.includes("test")))),
    );
    await assert.rejects(() => readCifar10Archive(path), /missing test_batch\.bin/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
