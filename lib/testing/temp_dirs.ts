/**
 * Test helper: a fresh dataset cache folder and data folder for one test,
 * removed afterwards whatever the test does.
 *
 * @module
 */

/**
 * Runs `fn` with two new temporary folders (`cache`: for `cacheDir` /
 * `KIT_CACHE_DIR`; `data`: for `dataDir` / `KIT_DATA_DIR`) and removes both
 * when it settles.
 */
export async function withCacheAndDataDirs(
  fn: (cache: string, data: string) => Promise<void>,
): Promise<void> {
  const cache = await Deno.makeTempDir();
  const data = await Deno.makeTempDir();
  try {
    await fn(cache, data);
  } finally {
    await Deno.remove(cache, { recursive: true });
    await Deno.remove(data, { recursive: true });
  }
}

/** Runs `fn` with one new temporary folder and removes it when `fn` settles. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
