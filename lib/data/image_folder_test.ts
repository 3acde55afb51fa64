import assert from "node:assert/strict";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { readImageFolder } from "./image_folder.ts";
import { gzipBytes, type TarWriteEntry, writeTar } from "./tar_write.ts";
import { Rng } from "../rng.ts";

/** A PNG whose pixels all equal `value` (so that its class can be read back from pixels). */
function solidPng(h: number, w: number, channels: 1 | 3, value: number): Uint8Array {
  return encodePng({
    width: w,
    height: h,
    data: new Uint8Array(h * w * channels).fill(value),
    channels,
    depth: 8,
  });
}

/** Random dataset spec: class -> per-split file count; pixel value encodes the class. */
function randomLayout(rng: Rng) {
  const classes = Array.from(
    { length: 2 + rng.int(4) },
    (_, i) => `c${String.fromCharCode(97 + rng.int(26))}${i}`,
  );
  const files: TarWriteEntry[] = [];
  const counts: Record<string, number[]> = { train: [], test: [] };
  for (const split of ["train", "test"]) {
    files.push({ name: `top/${split}/` });
    classes.forEach((cls, k) => {
      const n = 1 + rng.int(4);
      counts[split].push(n);
      files.push({ name: `top/${split}/${cls}/` });
      for (let i = 0; i < n; i++) {
        const gray = rng.bernoulli(0.5);
        files.push({
          name: `top/${split}/${cls}/img${rng.int(1000)}_${i}.png`,
          data: solidPng(8, 8, gray ? 1 : 3, 20 * k + 10),
        });
      }
    });
  }
  return { classes, files, counts };
}

async function writeDir(root: string, files: TarWriteEntry[]): Promise<void> {
  for (const f of files) {
    if (f.name.endsWith("/")) await Deno.mkdir(`${root}/${f.name}`, { recursive: true });
    else await Deno.writeFile(`${root}/${f.name}`, f.data!);
  }
}

Deno.test("readImageFolder: folder and tar.gz give the same labels, sorted class order, top folder stripped", async () => {
  const rng = new Rng(80);
  for (let t = 0; t < 3; t++) {
    const { classes, files, counts } = randomLayout(rng);
    const dir = await Deno.makeTempDir();
    try {
      await writeDir(dir, files);
      const shuffled = [...files];
      rng.shuffle(shuffled); // archive order must not matter
      await Deno.writeFile(`${dir}/a.tar.gz`, await gzipBytes(writeTar(shuffled)));
      const fromDir = await readImageFolder(`${dir}/top`);
      const fromDirParent = await readImageFolder(dir + "/top/..", {}).catch(() => null);
      assert.equal(fromDirParent, null, "a folder with an extra archive file is rejected");
      const fromTar = await readImageFolder(`${dir}/a.tar.gz`);
      const sorted = [...classes].sort();
      for (const d of [fromDir, fromTar]) {
        assert.deepEqual(d.classes, sorted);
        assert.deepEqual(d.imageShape, [8, 8, 3]);
        for (const split of ["train", "test"] as const) {
          const s = d[split];
          assert.equal(s.count, counts[split].reduce((a, b) => a + b, 0));
          for (let i = 0; i < s.count; i++) {
            // Pixel value identifies the original class index; label indexes the sorted list.
            const k = (s.images[i * 192] - 10) / 20;
            assert.equal(d.classes[s.labels[i]], classes[k]);
          }
        }
      }
      assert.deepEqual(fromDir.train.images, fromTar.train.images);
      assert.deepEqual(fromDir.test.labels, fromTar.test.labels);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("readImageFolder: explicit class order, resizing, channel choice, JPEG input", async () => {
  const rgba = new Uint8Array(16 * 12 * 4).fill(255);
  const jpg = new Uint8Array(jpeg.encode({ width: 12, height: 16, data: rgba }, 90).data);
  const files: TarWriteEntry[] = [
    { name: "train/b/1.png", data: solidPng(8, 8, 1, 100) },
    { name: "train/a/1.JPG", data: jpg },
    { name: "test/b/1.png", data: solidPng(4, 6, 1, 50) },
    { name: "test/a/2.jpeg", data: jpg },
  ];
  const tar = `${await Deno.makeTempDir()}/x.tar`;
  await Deno.writeFile(tar, writeTar(files));
  const d = await readImageFolder(tar, { classes: ["b", "a"], size: [5, 5], channels: 1 });
  assert.deepEqual(d.classes, ["b", "a"]);
  assert.deepEqual(d.imageShape, [5, 5, 1]);
  assert.deepEqual(Array.from(d.train.labels), [0, 1]);
  assert.ok(d.train.images.subarray(0, 25).every((v) => v === 100));
  assert.ok(d.train.images.subarray(25).every((v) => v > 250));
  assert.ok(d.test.images.subarray(0, 25).every((v) => v === 50));
  await assert.rejects(() => readImageFolder(tar), /images differ in size .* --size 32x32/);
  await assert.rejects(
    () => readImageFolder(tar, { classes: ["a"], size: [5, 5] }),
    /folder train\/b is not in the class list/,
  );
  await assert.rejects(
    () => readImageFolder(tar, { classes: ["a", "b", "z"], size: [5, 5] }),
    /class "z" has no images in train\/z/,
  );
  await Deno.remove(tar.replace(/\/x\.tar$/, ""), { recursive: true });
});

Deno.test("readImageFolder: bad layouts give errors naming the path", async () => {
  const png = solidPng(4, 4, 3, 1);
  const cases: [TarWriteEntry[], RegExp][] = [
    [[{ name: "train/a/1.png", data: png }, { name: "test/a/1.png", data: png }, {
      name: "test/zz/1.png",
      data: png,
    }], /test\/zz has no counterpart train\/zz/],
    [[{ name: "train/a/1.png", data: png }, { name: "train/a/notes.txt", data: png }, {
      name: "test/a/1.png",
      data: png,
    }], /train\/a\/notes\.txt: not an image/],
    [[{ name: "train/a/1.png", data: png }, { name: "train/b/" }, {
      name: "test/a/1.png",
      data: png,
    }], /train\/b\/: class folder has no images/],
    [[{ name: "train/a/1.png", data: png }, { name: "val/a/1.png", data: png }, {
      name: "test/a/1.png",
      data: png,
    }], /unexpected split folder "val"/],
    [[{ name: "train/a/1.png", data: png }], /no images under test/],
    [
      [{ name: "train/a/1.png", data: png.subarray(0, 30) }, { name: "test/a/1.png", data: png }],
      /train\/a\/1\.png: cannot decode PNG/,
    ],
    [
      [{ name: "train/a/x/1.png", data: png }, { name: "test/a/1.png", data: png }],
      /train\/a\/x\/1\.png: images must be at <split>\/<class>\/<file>/,
    ],
  ];
  const dir = await Deno.makeTempDir();
  try {
    for (const [i, [files, re]] of cases.entries()) {
      await Deno.writeFile(`${dir}/${i}.tar.gz`, await gzipBytes(writeTar(files)));
      await assert.rejects(() => readImageFolder(`${dir}/${i}.tar.gz`), (err: Error) => {
        assert.match(err.message, re);
        assert.ok(err.message.includes(`${dir}/${i}.tar.gz`), err.message);
        return true;
      });
    }
    await assert.rejects(() => readImageFolder(`${dir}/absent`), /absent: no such file or folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
