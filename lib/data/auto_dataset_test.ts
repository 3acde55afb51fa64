import assert from "node:assert/strict";
import { AUTO_DATASET_ORDER, resolveDatasetName } from "./auto_dataset.ts";
import { writeDatasetCache } from "./cache.ts";
import { manifestEntry } from "./manifest.ts";
import { generateSynthetic } from "./synthetic.ts";
import { withCacheAndDataDirs } from "../testing/temp_dirs.ts";

Deno.test("auto dataset: a named dataset passes through untouched", async () => {
  for (const name of ["synthetic", "cifar10-jpeg", "my-folder"]) {
    assert.deepEqual(await resolveDatasetName(name), { name, reason: "named" });
  }
});

Deno.test("auto dataset: nothing local -> synthetic, saying what was looked for", async () => {
  await withCacheAndDataDirs(async (cache, data) => {
    const got = await resolveDatasetName("auto", { cacheDir: cache, dataDir: data });
    assert.equal(got.name, "synthetic");
    for (const n of AUTO_DATASET_ORDER) assert.ok(got.reason.includes(n), got.reason);
    assert.ok(got.reason.includes(data));
  });
});

Deno.test("auto dataset: source files in the data folder pick the best present dataset", async () => {
  await withCacheAndDataDirs(async (cache, data) => {
    // Present every candidate's files from the worst to the best: each step must pick the best.
    for (const name of [...AUTO_DATASET_ORDER].reverse()) {
      const files = manifestEntry(name)!.files!.filter((f) => !f.optional);
      // All but the last file: not enough.
      for (const f of files.slice(0, -1)) await Deno.writeTextFile(`${data}/${f.name}`, "");
      const before = await resolveDatasetName("auto", { cacheDir: cache, dataDir: data });
      if (files.length > 1) assert.notEqual(before.name, name);
      await Deno.writeTextFile(`${data}/${files.at(-1)!.name}`, "");
      const got = await resolveDatasetName("auto", { cacheDir: cache, dataDir: data });
      assert.equal(got.name, name);
      assert.ok(got.reason.includes(data), got.reason);
    }
  });
});

Deno.test("auto dataset: an imported (cached) dataset counts without its source files", async () => {
  await withCacheAndDataDirs(async (cache, data) => {
    const ds = generateSynthetic({ trainSize: 10, testSize: 10 });
    await writeDatasetCache({ ...ds, name: "svhn", synthetic: false }, cache);
    const got = await resolveDatasetName("auto", { cacheDir: cache, dataDir: data });
    assert.deepEqual(got, { name: "svhn", reason: "imported in the cache" });
  });
});
