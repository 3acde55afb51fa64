/**
 * Test helper: a small tmpfs mounted for one test, to meet a real full disk
 * (ENOSPC) or a real read-only file system (EROFS). Needs root and a kernel
 * that allows the mount (Linux); {@link canMountTmpfs} says whether the tests
 * that need it can run here.
 *
 * @module
 */

async function run(cmd: string, ...args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

let probed: boolean | undefined;

/** True when a tmpfs can be mounted here (root on Linux, mount permitted). */
export async function canMountTmpfs(): Promise<boolean> {
  if (probed !== undefined) return probed;
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return (probed = false);
  const dir = await Deno.makeTempDir();
  probed = await run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", dir);
  if (probed) await run("umount", dir);
  await Deno.remove(dir, { recursive: true });
  return probed;
}

/**
 * Runs `fn` with a fresh tmpfs of `sizeKiB` KiB mounted on a temporary folder
 * (read-only when `readOnly`, after `fill` has put files in it), then unmounts
 * and removes it whatever `fn` does.
 */
export async function withTmpfs(
  opts: { sizeKiB: number; readOnly?: boolean; fill?: (dir: string) => Promise<void> },
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  if (!(await run("mount", "-t", "tmpfs", "-o", `size=${opts.sizeKiB}k`, "tmpfs", dir))) {
    await Deno.remove(dir, { recursive: true });
    throw new Error(`cannot mount a tmpfs on ${dir}; guard the test with canMountTmpfs()`);
  }
  try {
    await opts.fill?.(dir);
    if (opts.readOnly && !(await run("mount", "-o", "remount,ro", dir))) {
      throw new Error(`cannot remount ${dir} read-only`);
    }
    await fn(dir);
  } finally {
    await run("umount", dir);
    await Deno.remove(dir, { recursive: true });
  }
}
