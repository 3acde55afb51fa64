/**
 * What every run writes next to its checkpoint so that a reader can trust
 * and reproduce it: `config.json` (the experiment), `run.json` (backend,
 * dataset, code version, timings, status), `metrics.jsonl` (one line per
 * epoch) and `result.json` (final evaluation).
 *
 * Durability: every JSON file is written to a temporary file, fsynced,
 * renamed over the target and the folder is fsynced, so a kill or a power
 * cut leaves either the old or the new file, never a half one; appended
 * lines are fsynced before the append returns.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { CpuModel } from "../backend/cpu_model.ts";

/** True when `err` is the operating system's "no space left on device" (ENOSPC). */
export function isNoSpaceError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === "ENOSPC" || /os error 28\b|No space left on device/i.test(e?.message ?? "");
}

/** True when `err` is the operating system's "read-only file system" (EROFS). */
export function isReadOnlyError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === "EROFS" || /os error 30\b|Read-only file system/i.test(e?.message ?? "");
}

/**
 * `err` with the path and the fix added when it is a full disk or a
 * read-only file system (the system's own text names neither); else `err`.
 * `what` says what was being written, e.g. "the run record".
 */
export function explainWriteError(err: unknown, path: string, what: string): unknown {
  const where = `writing ${what} ${path}`;
  if (isNoSpaceError(err)) {
    return new Error(
      `no space left on the disk of ${path} while ${where}; free space on that disk or choose ` +
        `--out on another one, then rerun the same command (it resumes from the last checkpoint)`,
      { cause: err },
    );
  }
  if (isReadOnlyError(err)) {
    return new Error(
      `${path} is on a read-only file system (while ${where}); choose --out on a writable disk`,
      { cause: err },
    );
  }
  return err;
}

/**
 * Makes the entries of `dir` (created or renamed files) durable. Best effort:
 * where a folder cannot be fsynced (some platforms), the rename is still atomic.
 */
export async function syncDir(dir: string): Promise<void> {
  let d: Deno.FsFile;
  try {
    d = await Deno.open(dir, { read: true });
  } catch {
    return;
  }
  try {
    await d.sync();
  } catch {
    // Folder fsync unsupported here.
  } finally {
    d.close();
  }
}

/**
 * Flushes the file at `path` to disk (fsync), e.g. a file written by another
 * library before it is renamed into place.
 */
export async function syncFile(path: string): Promise<void> {
  const f = await Deno.open(path, { read: true, write: true });
  try {
    await f.sync();
  } finally {
    f.close();
  }
}

/**
 * Creates `dir` (and missing parents) and fsyncs every folder it created and
 * the one above it, so the new folder survives a power cut.
 */
export async function mkdirDurable(dir: string): Promise<void> {
  const created: string[] = [];
  let cur = dir;
  while (!(await Deno.stat(cur).then(() => true, () => false))) {
    created.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  if (created.length === 0) return;
  await Deno.mkdir(dir, { recursive: true });
  for (const d of created) await syncDir(d);
  await syncDir(dirname(created.at(-1)!));
}

/** Writes `text` to `path` atomically and durably (temp file, fsync, rename, folder fsync). */
export async function writeTextDurable(path: string, text: string): Promise<void> {
  try {
    await writeTextDurableRaw(path, text);
  } catch (err) {
    throw explainWriteError(err, path, "the file");
  }
}

async function writeTextDurableRaw(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdirDurable(dir);
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      const bytes = new TextEncoder().encode(text);
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

/** Writes `value` as pretty JSON to `path` atomically and durably (see module docs). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextDurable(path, JSON.stringify(value, null, 2) + "\n");
}

/** Reads JSON from `path`, or `undefined` when the file does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof SyntaxError) {
      throw new Error(
        `${path} is not valid JSON (${err.message}); delete it or restore it from a backup`,
      );
    }
    throw err;
  }
}

/** Appends one JSON line to `path` (creating it) and fsyncs it before returning. */
export async function appendJsonLine(path: string, value: unknown): Promise<void> {
  try {
    await appendJsonLineRaw(path, value);
  } catch (err) {
    throw explainWriteError(err, path, "the file");
  }
}

async function appendJsonLineRaw(path: string, value: unknown): Promise<void> {
  const dir = dirname(path);
  await mkdirDurable(dir);
  const existed = await Deno.stat(path).then(() => true, () => false);
  const file = await Deno.open(path, { append: true, create: true });
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(value) + "\n");
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
    await file.sync();
  } finally {
    file.close();
  }
  if (!existed) await syncDir(dir);
}

/**
 * The JSON lines of `path` ([] when it does not exist). A last line cut short
 * by a kill mid-append is dropped; a damaged line elsewhere throws naming it.
 */
export async function readJsonLines<T>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  const lines = text.split("\n");
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    try {
      out.push(JSON.parse(lines[i]) as T);
    } catch (err) {
      const last = lines.slice(i + 1).every((l) => l.trim() === "");
      if (last && !text.endsWith("\n")) break; // an append cut short
      throw new Error(
        `${path} line ${i + 1} is not valid JSON (${(err as Error).message}); ` +
          `delete that line or restore the file`,
      );
    }
  }
  return out;
}

/** Replaces `path` with one JSON line per value, atomically and durably. */
export async function writeJsonLinesAtomic(path: string, values: unknown[]): Promise<void> {
  await writeTextDurable(path, values.map((v) => JSON.stringify(v) + "\n").join(""));
}

/** The code that produced a run: git commit and whether the tree had local changes. */
export interface CodeVersion {
  commit: string;
  dirty: boolean;
  deno: string;
  v8: string;
}

/** Reads the git commit of the kit's checkout (`unknown` outside a git checkout). */
export async function codeVersion(): Promise<CodeVersion> {
  const root = join(dirname(new URL(import.meta.url).pathname), "..", "..");
  const git = async (...args: string[]) => {
    try {
      const out = await new Deno.Command("git", {
        args,
        cwd: root,
        stdout: "piped",
        stderr: "null",
      })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
    } catch {
      return undefined;
    }
  };
  const commit = (await git("rev-parse", "HEAD")) ?? "unknown";
  const status = await git("status", "--porcelain", "--untracked-files=no");
  return {
    commit,
    dirty: status === undefined ? false : status.length > 0,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/** Lifecycle of a run as recorded in `run.json`. */
export type RunStatus = "running" | "finished" | "failed" | "interrupted";

/** The content of `run.json`. */
export interface RunRecord {
  status: RunStatus;
  method: string;
  configHash: string;
  backend: Record<string, unknown>;
  dataset: {
    name: string;
    displayName: string;
    synthetic: boolean;
    source: string;
    train: number;
    test: number;
    imageShape: [number, number, number];
  };
  code: CodeVersion;
  /**
   * The machine of the latest invocation; `cpu` (model and the SIMD extensions that pick
   * oneDNN's kernels) since 2026-12-04: the same config trained on another CPU, thread count or
   * commit gives close, not bit-identical, numbers.
   */
  host: { os: string; arch: string; cpus: number; cpu?: CpuModel };
  startedAt: string;
  updatedAt: string;
  timings: Record<string, number>;
  error?: string;
}
