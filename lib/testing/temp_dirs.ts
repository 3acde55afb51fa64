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
