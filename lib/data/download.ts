/**
 * Downloads a file with MD5 verification (MD5 via `node:crypto`, since
 * WebCrypto has none), streaming to a temporary file that is renamed into
 * place only when the checksum matches.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { isNoSpaceError } from "../train/run_record.ts";

/** MD5 (hex) of a file, read in a stream. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

/**
 * Fetches `url` into `dest` and checks its MD5 against `md5`.
 * `importHint` is the command that imports a local copy instead, quoted in the
 * error when the machine has no internet (e.g. "deno task data import cifar10 <path>").
 * Does nothing when `dest` already exists with the right checksum.
 */
export async function downloadVerified(
  url: string,
  dest: string,
  md5: string,
  importHint: string,
): Promise<void> {
  try {
    if ((await md5File(dest)) === md5) return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(
      `cannot download ${url}: no internet (${(err as Error).message}); ` +
        `import a local copy with \`${importHint}\``,
      { cause: err },
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(
      `cannot download ${url}: HTTP ${response.status} ${response.statusText}; ` +
        `try again later or import a local copy with \`${importHint}\``,
    );
  }
  const tmp = `${dest}.part-${Deno.pid}`;
  const hash = createHash("md5");
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    const writer = file.writable.getWriter();
    for await (const chunk of response.body) {
      hash.update(chunk);
      await writer.write(chunk);
    }
    await writer.close();
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    if (isNoSpaceError(err)) {
      throw new Error(
        `no space left on the disk of ${dest} while downloading ${url}; free space there, or ` +
          `set KIT_CACHE_DIR to a folder on a disk with room`,
        { cause: err },
      );
    }
    throw new Error(
      `download of ${url} was interrupted (${(err as Error).message}); run the command again`,
      { cause: err },
    );
  }
  const got = hash.digest("hex");
  if (got !== md5) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(
      `download of ${url} has MD5 ${got}, expected ${md5} (datasets/manifest.json); ` +
        `the transfer was corrupted or the file changed upstream: run the command again, ` +
        `or import a verified local copy with \`${importHint}\``,
    );
  }
  await Deno.rename(tmp, dest);
}
