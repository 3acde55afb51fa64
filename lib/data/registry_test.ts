import assert from "node:assert/strict";
import { importDataset, knownDatasetNames, loadDataset } from "./registry.ts";
import { gzipBytes, writeTar } from "./tar_write.ts";
import { requireManifestEntry } from "./manifest.ts";
import { Rng } from "../rng.ts";
import { withCacheAndDataDirs } from "../testing/temp_dirs.ts";

function cifarBatch(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n * 3073).map(() => rng.int(256));
  for (let i = 0; i < n; i++) b[i * 3073] = rng.int(10);
  return b;
}

Deno.test("loadDataset: synthetic is generated with the requested sizes and seed", async () => {
  const a = await loadDataset("synthetic", { trainSize: 100, testSize: 20, seed: 5 });
  assert.equal(a.train.count, 100);
  assert.equal(a.test.count, 20);
  assert.equal(a.synthetic, true);
  assert.deepEqual(
    a.train.images,
    (await loadDataset("synthetic", { trainSize: 100, testSize: 20, seed: 5 })).train.images,
  );
});

Deno.test("loadDataset: unknown names and missing sources say what is known and how to import", async () => {
  await withCacheAndDataDirs(async (cache, data) => {
    await assert.rejects(
      () => loadDataset("nosuch", { cacheDir: cache }),
      /unknown dataset "nosuch"; known: .*cifar10.*svhn.*deno task data import nosuch <path>/,
    );
    await assert.rejects(
      () => loadDataset("cifar10-jpeg", { cacheDir: cache, dataDir: data }),
      /not imported yet .*deno task data import cifar10-jpeg <path>.*KIT_DATA_DIR/,
    );
    await assert.rejects(
      () => loadDataset("cifar10", { cacheDir: cache, dataDir: data, download: false }),
      /cifar-10-binary\.tar\.gz is not in the data folder/,
    );
  });
});

Deno.test("importDataset: CIFAR binary under a new name, cached, listed, reloaded, subsampled", async () => {
  await withCacheAndDataDirs(async (cache, data) => {
    const rng = new Rng(100);
    const entries = [1, 2, 3, 4, 5].map((i) => ({
      name: `cifar-10-batches-bin/data_batch_${i}.bin`,
      data: cifarBatch(rng, 20),
    }));
    entries.push({ name: "cifar-10-batches-bin/test_batch.bin", data: cifarBatch(rng, 30) });
    const path = `${data}/cifar-10-binary.tar.gz`;
    await Deno.writeFile(path, await gzipBytes(writeTar(entries)));
    // The built-in name checks the official sizes.
    await assert.rejects(
      () => importDataset("cifar10", [path], { cacheDir: cache }),
      /found 100 train \/ 30 test images, but cifar10 has 50000 \/ 10000/,
    );
    const ds = await importDataset("mini-cifar", [path], { cacheDir: cache });
    assert.equal(ds.train.count, 100);
    assert.deepEqual(ds.classes, requireManifestEntry("cifar10").classes);
    assert.ok((await knownDatasetNames(cache)).includes("mini-cifar"));
    const back = await loadDataset("mini-cifar", { cacheDir: cache });
    assert.deepEqual(back.train.images, ds.train.images);
    const sub = await loadDataset("mini-cifar", { cacheDir: cache, trainSize: 40, seed: 1 });
    assert.equal(sub.train.count, 40);
    assert.equal(sub.test.count, 30);
    // More than there is: refused with the limit named, never clamped silently.
    await assert.rejects(
      () => loadDataset("mini-cifar", { cacheDir: cache, trainSize: 101 }),
      /--train-size 101 is larger than the 100 train images of "mini-cifar".*--train-size 100 or less/,
    );
    await assert.rejects(
      () => loadDataset("mini-cifar", { cacheDir: cache, testSize: 31 }),
      /--test-size 31 is larger than the 30 test images/,
    );
    assert.equal(
      (await loadDataset("mini-cifar", { cacheDir: cache, trainSize: 100 })).train.count,
      100,
    );
  });
});

Deno.test("importDataset: SVHN-format samples (KIT_DATA_DIR) import as an svhn-mat dataset", async () => {
  const dir = Deno.env.get("KIT_DATA_DIR");
  if (!dir) {
    console.log(
      "SKIP: set KIT_DATA_DIR (e.g. ../shared/datasets) to import the SVHN-format samples",
    );
    return;
  }
  await withCacheAndDataDirs(async (cache) => {
    const ds = await importDataset("svhn-sample", [
      `${dir}/svhn-format-sample_32x32.mat`,
      `${dir}/svhn-format-sample-uncompressed_32x32.mat`,
    ], { cacheDir: cache });
    assert.equal(ds.train.count, 200);
    assert.deepEqual(ds.classes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });
});

Deno.test("loadDataset: cifar10-jpeg from KIT_DATA_DIR = 50,000 / 10,000 in official class order; cached reload", async () => {
  const dir = Deno.env.get("KIT_DATA_DIR");
  const have = dir && (await Deno.stat(`${dir}/cifar10-jpeg.tar.gz`).then(() => true, () => false));
  if (!have) {
    console.log(
      "SKIP: set KIT_DATA_DIR to a folder with cifar10-jpeg.tar.gz (e.g. ../shared/datasets) to run the full import",
    );
    return;
  }
  await withCacheAndDataDirs(async (cache) => {
    const t0 = performance.now();
    const ds = await loadDataset("cifar10-jpeg", { cacheDir: cache, dataDir: dir });
    const t1 = performance.now();
    const again = await loadDataset("cifar10-jpeg", { cacheDir: cache, dataDir: "/nonexistent" });
    const t2 = performance.now();
    console.log(
      `cifar10-jpeg: import ${((t1 - t0) / 1000).toFixed(1)} s, cached load ${
        ((t2 - t1) / 1000).toFixed(2)
      } s`,
    );
    assert.equal(ds.train.count, 50000);
    assert.equal(ds.test.count, 10000);
    assert.equal(ds.displayName, "CIFAR-10 (JPEG copy)");
    assert.deepEqual(ds.classes, requireManifestEntry("cifar10").classes);
    assert.deepEqual(ds.imageShape, [32, 32, 3]);
    const counts = new Array(10).fill(0);
    for (const l of ds.train.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(5000));
    assert.deepEqual(again.train.labels, ds.train.labels);
    assert.deepEqual(again.test.images, ds.test.images);
  });
});

Deno.test("importDataset: a damaged CIFAR-10 binary archive under a custom name is read as CIFAR-10", async () => {
  await withCacheAndDataDirs(async (cache, data) => {
    const rng = new Rng(101);
    const batches = [1, 2, 3, 4, 5].map((i) => ({
      name: `cifar-10-batches-bin/data_batch_${i}.bin`,
      data: cifarBatch(rng, 20),
    }));
    const test = { name: "cifar-10-batches-bin/test_batch.bin", data: cifarBatch(rng, 30) };
    // data_batch_3.bin cut mid-record (the tar itself is well formed).
    const cut = batches.map((b, i) =>
      i === 2 ? { ...b, data: b.data.subarray(0, 3073 * 7 + 100) } : b
    );
    const mine = `${data}/mydata.tar.gz`;
    await Deno.writeFile(mine, await gzipBytes(writeTar([...cut, test])));
    await assert.rejects(
      () => importDataset("mydata", [mine], { cacheDir: cache }),
      /data_batch_3\.bin: 21611 bytes is not a whole number of 3073-byte CIFAR-10 records; the file is truncated/,
    );
    // The compressed file cut inside data_batch_1.bin: the member's header still names it.
    const whole = await gzipBytes(writeTar([...batches, test]));
    const half = `${data}/half.tar.gz`;
    await Deno.writeFile(half, whole.subarray(0, Math.floor(whole.length / 8)));
    await assert.rejects(
      () => importDataset("half", [half], { cacheDir: cache }),
      (e: Error) =>
        /half\.tar\.gz: .*(truncated|damaged)/.test(e.message) && !/not an image/.test(e.message),
    );
    // An intact copy under a custom name imports as CIFAR-10.
    const ok = `${data}/other.tar.gz`;
    await Deno.writeFile(ok, whole);
    const ds = await importDataset("other", [ok], { cacheDir: cache });
    assert.equal(ds.train.count, 100);
    assert.deepEqual(ds.classes, requireManifestEntry("cifar10").classes);
  });
});
