/**
 * Image-folder datasets: `<root>/<split>/<class>/*.{jpg,jpeg,png}` with
 * splits `train` and `test`, read from a directory or a .tar/.tar.gz archive
 * (an archive or directory may wrap everything in one top-level folder, e.g.
 * `cifar10-jpeg/train/airplane/0001.jpg`).
 *
 * Images may have any size and be gray or colour; they are converted to a
 * common channel count and resized to a common size. Within a class images
 * are ordered by file name; the split is ordered by class, so loading is
 * deterministic whatever the archive order. Hidden files (names starting with
 * ".") are skipped; any other unexpected file is an error naming its path.
 *
 * @module
 */

import type { ImageSplit } from "./dataset.ts";
import { type DecodedImage, decodeImage } from "./image_decode.ts";
import { convertChannels, resizeImage } from "./resize.ts";
import { readTarFile } from "./tar.ts";

/** Options for {@link readImageFolder}. */
export interface ImageFolderOptions {
  /** Class names in label order; default: sorted names of the train class folders. */
  classes?: string[];
  /** Target [height, width]; default: the common size (required if sizes differ). */
  size?: [number, number];
  /** Target channels; default 3 if any image has colour, else 1. */
  channels?: 1 | 3;
  /** Called every `progressEvery` decoded images with the running count. */
  onProgress?: (decoded: number) => void;
}

/** Decoded image-folder content. */
export interface ImageFolderData {
  classes: string[];
  /** `[height, width, channels]`. */
  imageShape: [number, number, number];
  train: ImageSplit;
  test: ImageSplit;
}

const SPLITS = ["train", "test"] as const;
const IMAGE_EXT = /\.(jpe?g|png)$/i;

interface Item {
  split: string;
  cls: string;
  file: string;
  /** Path for messages (source + path inside). */
  where: string;
  image: DecodedImage;
}

/** Collected files and folders, as paths relative to the source root. */
class Collector {
  items: { rel: string[]; where: string; image: DecodedImage }[] = [];
  dirs: { rel: string[]; where: string }[] = [];
  decoded = 0;
  constructor(readonly opts: ImageFolderOptions) {}

  file(rel: string[], where: string, bytes: Uint8Array): void {
    const name = rel[rel.length - 1];
    if (name.startsWith(".")) return;
    if (!IMAGE_EXT.test(name)) {
      throw new Error(
        `${where}: not an image (.jpg, .jpeg or .png expected under <split>/<class>/); ` +
          `remove or move it out of the dataset`,
      );
    }
    this.items.push({ rel, where, image: decodeImage(bytes, where) });
    this.decoded++;
    if (this.opts.onProgress && this.decoded % 5000 === 0) this.opts.onProgress(this.decoded);
  }
}

async function collectDirectory(root: string, c: Collector): Promise<void> {
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    const entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) {
        c.dirs.push({ rel: [...rel, e.name], where: path });
        await walk(path, [...rel, e.name]);
      } else if (e.isFile) c.file([...rel, e.name], path, await Deno.readFile(path));
    }
  };
  await walk(root, []);
}

async function collectArchive(path: string, c: Collector): Promise<void> {
  for await (const e of readTarFile(path)) {
    const rel = e.name.split("/").filter((p) => p !== "" && p !== ".");
    if (rel.length === 0) continue;
    if (e.type === "directory") c.dirs.push({ rel, where: `${path}:${e.name}` });
    else if (e.type === "file") c.file(rel, `${path}:${e.name}`, e.data);
  }
}

function stripTopFolder(c: Collector): void {
  const all = [...c.items.map((i) => i.rel), ...c.dirs.map((d) => d.rel)];
  const firsts = new Set(all.map((r) => r[0]));
  const [only] = firsts;
  const isSplit = (SPLITS as readonly string[]).includes(only);
  if (firsts.size === 1 && !isSplit && c.items.every((i) => i.rel.length > 1)) {
    for (const i of c.items) i.rel = i.rel.slice(1);
    c.dirs = c.dirs.filter((d) => d.rel.length > 1).map((d) => ({ ...d, rel: d.rel.slice(1) }));
  }
}

function organise(c: Collector, source: string): Item[] {
  const items: Item[] = [];
  for (const { rel, where, image } of c.items) {
    if (rel.length !== 3) {
      throw new Error(
        `${where}: images must be at <split>/<class>/<file> (train/ and test/ folders ` +
          `holding one folder per class); move the file there`,
      );
    }
    const [split, cls, file] = rel;
    if (!(SPLITS as readonly string[]).includes(split)) {
      throw new Error(
        `${where}: unexpected split folder "${split}" in ${source}; only train/ and test/ ` +
          `are read: rename it or move it out`,
      );
    }
    items.push({ split, cls, file, where, image });
  }
  return items;
}

function classOrder(items: Item[], c: Collector, source: string, given?: string[]): string[] {
  const present = new Map<string, Set<string>>(SPLITS.map((s) => [s, new Set<string>()]));
  for (const i of items) present.get(i.split)!.add(i.cls);
  // Empty class folders (seen as directories without images).
  for (const d of c.dirs) {
    if (d.rel.length === 2 && (SPLITS as readonly string[]).includes(d.rel[0])) {
      if (!present.get(d.rel[0])!.has(d.rel[1])) {
        throw new Error(
          `${d.where}: class folder has no images; add images or remove the folder`,
        );
      }
    }
  }
  const train = present.get("train")!, test = present.get("test")!;
  if (train.size === 0 || test.size === 0) {
    throw new Error(
      `${source}: no images under ${train.size === 0 ? "train" : "test"}/<class>/; an image ` +
        `folder needs train/<class>/*.jpg|png and test/<class>/*.jpg|png`,
    );
  }
  for (const cls of test) {
    if (!train.has(cls)) {
      throw new Error(
        `${source}: class folder test/${cls} has no counterpart train/${cls}; ` +
          `add training images for it or remove it`,
      );
    }
  }
  const classes = given ? [...given] : [...train].sort();
  if (new Set(classes).size !== classes.length) {
    throw new Error(`class list has duplicates (${classes.join(", ")}); give each class once`);
  }
  for (const split of SPLITS) {
    for (const cls of present.get(split)!) {
      if (!classes.includes(cls)) {
        throw new Error(
          `${source}: folder ${split}/${cls} is not in the class list (${classes.join(", ")}); ` +
            `add it to the list or remove the folder`,
        );
      }
    }
    for (const cls of classes) {
      if (!present.get(split)!.has(cls)) {
        throw new Error(
          `${source}: class "${cls}" has no images in ${split}/${cls}/; add images or ` +
            `drop the class from the list`,
        );
      }
    }
  }
  return classes;
}

function targetShape(
  items: Item[],
  opts: ImageFolderOptions,
  source: string,
): [number, number, number] {
  const channels = opts.channels ?? (items.some((i) => i.image.channels === 3) ? 3 : 1);
  if (opts.size) return [opts.size[0], opts.size[1], channels];
  const first = items[0];
  for (const i of items) {
    if (i.image.height !== first.image.height || i.image.width !== first.image.width) {
      throw new Error(
        `${source}: images differ in size (${first.image.height}x${first.image.width} in ` +
          `${first.where}, ${i.image.height}x${i.image.width} in ${i.where}); choose a common ` +
          `size, e.g. --size 32x32`,
      );
    }
  }
  return [first.image.height, first.image.width, channels];
}

function pack(items: Item[], classes: string[], shape: [number, number, number]): ImageSplit {
  const [h, w, c] = shape;
  const index = new Map(classes.map((cls, i) => [cls, i]));
  items.sort((a, b) =>
    index.get(a.cls)! - index.get(b.cls)! || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)
  );
  const images = new Uint8Array(items.length * h * w * c);
  const labels = new Int32Array(items.length);
  items.forEach((item, n) => {
    let { data } = item.image;
    const img = item.image;
    if (img.channels !== c) {
      data = convertChannels(data, img.height, img.width, img.channels, c as 1 | 3);
    }
    if (img.height !== h || img.width !== w) {
      data = resizeImage(data, img.height, img.width, c, h, w);
    }
    images.set(data, n * h * w * c);
    labels[n] = index.get(item.cls)!;
  });
  return { images, labels, count: items.length };
}

/**
 * Reads an image-folder dataset from a directory or a .tar/.tar.gz file.
 * Errors name the offending path: non-image files, empty class folders,
 * test classes missing from train, classes outside `opts.classes`, mixed sizes
 * without `opts.size`, corrupt images.
 */
export async function readImageFolder(
  source: string,
  opts: ImageFolderOptions = {},
): Promise<ImageFolderData> {
  const stat = await Deno.stat(source).catch(() => null);
  if (!stat) {
    throw new Error(
      `${source}: no such file or folder; pass a folder or a .tar.gz of train/<class>/ and test/<class>/`,
    );
  }
  if (opts.size && !opts.size.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`image size ${opts.size.join("x")} is not a positive HxW, e.g. 32x32`);
  }
  const c = new Collector(opts);
  if (stat.isDirectory) await collectDirectory(source, c);
  else await collectArchive(source, c);
  stripTopFolder(c);
  const items = organise(c, source);
  const classes = classOrder(items, c, source, opts.classes);
  const shape = targetShape(items, opts, source);
  return {
    classes,
    imageShape: shape,
    train: pack(items.filter((i) => i.split === "train"), classes, shape),
    test: pack(items.filter((i) => i.split === "test"), classes, shape),
  };
}
