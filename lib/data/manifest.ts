/**
 * Typed access to `datasets/manifest.json`, the single source of official
 * URLs, checksums, class lists and expected sizes. Loaders read these values
 * from here instead of repeating constants.
 *
 * @module
 */

import manifestJson from "../../datasets/manifest.json" with { type: "json" };

/** One downloadable or importable file of a dataset. */
export interface ManifestFile {
  /** What the file holds: "archive", "train", "test", "extra". */
  role: string;
  /** File name, as published or as expected in a data directory. */
  name: string;
  /** Official download address (absent for local-only copies). */
  url?: string;
  /** Official MD5 checksum (hex). */
  md5?: string;
  /** True when the file is not needed for the default train/test splits. */
  optional?: boolean;
}

/** How a dataset is read. */
export type DatasetKind = "synthetic" | "cifar10-binary" | "image-folder" | "svhn-mat";

/** Manifest entry of one built-in dataset. */
export interface ManifestEntry {
  displayName: string;
  kind: DatasetKind;
  synthetic: boolean;
  /** Class names in official label order. */
  classes: string[];
  /** `[height, width, channels]`. */
  imageShape: [number, number, number];
  /** Expected split sizes of the official release. */
  sizes?: { train: number; test: number };
  /** Default generated split sizes (synthetic only). */
  defaultSizes?: { train: number; test: number };
  files?: ManifestFile[];
}

const entries = manifestJson.datasets as unknown as Record<string, ManifestEntry>;

/** Names of the datasets the manifest describes. */
export function manifestNames(): string[] {
  return Object.keys(entries);
}

/** The manifest entry for `name`, or undefined when the manifest has none. */
export function manifestEntry(name: string): ManifestEntry | undefined {
  return Object.hasOwn(entries, name) ? entries[name] : undefined;
}

/** The manifest entry for `name`; throws an error listing the known names otherwise. */
export function requireManifestEntry(name: string): ManifestEntry {
  const entry = manifestEntry(name);
  if (!entry) {
    throw new Error(
      `datasets/manifest.json has no dataset "${name}"; known: ${manifestNames().join(", ")}`,
    );
  }
  return entry;
}

/** The file with `role` of dataset `name`; throws when the manifest lacks it. */
export function manifestFile(name: string, role: string): ManifestFile {
  const file = requireManifestEntry(name).files?.find((f) => f.role === role);
  if (!file) {
    throw new Error(`datasets/manifest.json: dataset "${name}" has no file with role "${role}"`);
  }
  return file;
}
