import assert from "node:assert/strict";
import {
  cachedDatasetInfo,
  listCachedDatasets,
  readDatasetCache,
  writeDatasetCache,
} from "./cache.ts";
import type { ImageDataset } from "./dataset.ts";
import { Rng } from "../rng.ts";
import { canMountTmpfs, withTmpfs } from "../testing/tmpfs.ts";

function randomDataset(rng: Rng, name: string): ImageDataset {
  const [h, w, c] = [1 + rng.int(9), 1 + rng.int(9), rng.bernoulli(0.5) ? 1 : 3];
  const split = (count: number) => ({
    images: new Uint8Array(count * h * w * c).map(() => rng.int(256)),
    labels: new Int32Array(count).map(() => rng.int(4)),
    count,
  });
  return {
    name,
    displayName: `Random ${name}`,
    synthetic: rng.bernoulli(0.5),
    classes: ["a", "b", "c", "d"],
    imageShape: [h, w, c],
    train: split(1 + rng.int(50)),
    test: split(1 + rng.int(20)),
    source: "test",
  };
}

Deno.test("cache: write then read returns the same dataset (random shapes, odd sizes)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const rng = new Rng(70);
    for (let t = 0; t < 5; t++) {
      const ds = randomDataset(rng, `ds${t}`);
      await writeDatasetCache(ds, root);
      const back = await readDatasetCache(ds.name, root);
      assert.deepEqual(back, ds);
      const info = await cachedDatasetInfo(ds.name, root);
      assert.equal(info!.train, ds.train.count);
    }
    assert.deepEqual(await listCachedDatasets(root), ["ds0", "ds1", "ds2", "ds3", "ds4"]);
    assert.equal(await readDatasetCache("absent", root), null);
    // No temporary files left behind.
    for await (const e of Deno.readDir(`${root}/ds0`)) assert.ok(!e.name.includes(".tmp-"), e.name);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache: damaged data or header is detected and the error says what to delete", async () => {
  const root = await Deno.makeTempDir();
  try {
    const rng = new Rng(71);
    const ds = randomDataset(rng, "x");
    const dir = await writeDatasetCache(ds, root);
    const data = await Deno.readFile(`${dir}/data.bin`);
    const flipped = data.slice();
    flipped[rng.int(data.length)] ^= 1;
    await Deno.writeFile(`${dir}/data.bin`, flipped);
    await assert.rejects(
      () => readDatasetCache("x", root),
      /data\.bin: data checksum mismatch.*delete/,
    );
    await Deno.writeFile(`${dir}/data.bin`, data.subarray(0, data.length - 1));
    await assert.rejects(() => readDatasetCache("x", root), /data\.bin: \d+ bytes, header says/);
    await Deno.writeFile(`${dir}/data.bin`, data);
    const header = JSON.parse(await Deno.readTextFile(`${dir}/header.json`));
    header.trainCount += 1;
    await Deno.writeTextFile(`${dir}/header.json`, JSON.stringify(header));
    await assert.rejects(
      () => readDatasetCache("x", root),
      /header\.json: header checksum mismatch/,
    );
    header.version = 0;
    await Deno.writeTextFile(`${dir}/header.json`, JSON.stringify(header));
    assert.equal(await readDatasetCache("x", root), null, "older layout versions are ignored");
    await assert.rejects(() => readDatasetCache("../evil", root), /not allowed/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache: KIT_CACHE_DIR overrides the default root", async () => {
  const root = await Deno.makeTempDir();
  const old = Deno.env.get("KIT_CACHE_DIR");
  Deno.env.set("KIT_CACHE_DIR", root);
  try {
    const ds = randomDataset(new Rng(72), "envds");
    await writeDatasetCache(ds);
    await Deno.stat(`${root}/envds/header.json`);
    assert.deepEqual(await readDatasetCache("envds"), ds);
  } finally {
    if (old === undefined) Deno.env.delete("KIT_CACHE_DIR");
    else Deno.env.set("KIT_CACHE_DIR", old);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "cache: a full disk names the folder, the size and the fix, and leaves no empty folder",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    await withTmpfs({ sizeKiB: 64 }, async (root) => {
      const ds = randomDataset(new Rng(9), "big");
      ds.train = {
        images: new Uint8Array(400 * 32 * 32 * 3),
        labels: new Int32Array(400),
        count: 400,
      };
      ds.imageShape = [32, 32, 3];
      ds.test = { images: new Uint8Array(0), labels: new Int32Array(0), count: 0 };
      await assert.rejects(
        () => writeDatasetCache(ds, root),
        (e: Error) =>
          e.message.includes(`no space left on the disk of ${root}/big`) &&
          /1\.2 MB.*KIT_CACHE_DIR/.test(e.message),
      );
      assert.deepEqual([...Deno.readDirSync(root)], [], "a folder or temp file was left behind");
    });
  },
});
