/**
 * A lock file per run so that two runners (two terminals, two ablations
 * sharing runs, a notebook and a CLI) never train the same run at once.
 *
 * The lock is created with `Deno.open(path, { createNew: true })` (atomic:
 * exactly one creator wins) and holds JSON `{pid, host, startedAt, token,
 * procStart?}`. A lock whose process is gone is stale and is taken over:
 * same host and no process with that pid (or, on Linux, a process with that
 * pid but another start time, i.e. a reused pid). Locks of other hosts are
 * never judged stale (their pids mean nothing here): delete such a file by
 * hand when you know that runner is gone. The take-over itself is serialised
 * by a second `createNew` file (`<lock>.takeover`, held for milliseconds), so
 * two runners that find the same stale lock cannot both take it, and the
 * stale file is replaced by an atomic rename, so the lock file never goes
 * missing during a take-over.
 *
 * @module
 */
import { dirname } from "node:path";

/** Who holds a lock (the file's JSON content). */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** Random id of this holder (tells apart two runners in one process). */
  token: string;
  /** Linux: start time of the process in clock ticks since boot (detects reused pids). */
  procStart?: number;
}

/** A held lock; `release()` deletes the file if it is still ours. */
export interface RunLock {
  path: string;
  owner: LockOwner;
  release(): Promise<void>;
}

/** Outcome of {@link tryAcquireRunLock}. */
export type LockAttempt =
  | { acquired: true; lock: RunLock; tookOverFrom?: LockOwner }
  | { acquired: false; holder: LockOwner | undefined };

/** A take-over guard older than this is left over from a crash and removed. */
const TAKEOVER_STALE_MS = 30_000;
/** A lock file that cannot be parsed and is older than this is stale (creator died mid-write). */
const UNREADABLE_STALE_MS = 30_000;

async function procStartTime(pid: number): Promise<number | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the ")" closing the command name; starttime is field 22 overall.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const v = Number(rest[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `owner` still runs (true when it cannot be told). */
export async function isOwnerAlive(owner: LockOwner): Promise<boolean> {
  if (owner.host !== Deno.hostname()) return true;
  if (owner.pid === Deno.pid) return true;
  if (Deno.build.os === "linux") {
    try {
      await Deno.stat(`/proc/${owner.pid}`);
    } catch {
      return false;
    }
    if (owner.procStart === undefined) return true;
    const now = await procStartTime(owner.pid);
    return now === undefined || now === owner.procStart;
  }
  if (Deno.build.os === "windows") return true;
  try {
    const res = await new Deno.Command("kill", {
      args: ["-0", String(owner.pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return res.success;
  } catch {
    return true;
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined | "missing"> {
  try {
    const text = await Deno.readTextFile(path);
    const v = JSON.parse(text) as LockOwner;
    return typeof v.pid === "number" && typeof v.host === "string" ? v : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "missing";
    return undefined;
  }
}

async function ageMs(path: string): Promise<number> {
  try {
    const st = await Deno.stat(path);
    return Date.now() - (st.mtime?.getTime() ?? Date.now());
  } catch {
    return 0;
  }
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true });
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return false;
    throw err;
  }
  try {
    await file.write(new TextEncoder().encode(content));
  } finally {
    file.close();
  }
  return true;
}

async function newOwner(): Promise<LockOwner> {
  const procStart = await procStartTime(Deno.pid);
  return {
    pid: Deno.pid,
    host: Deno.hostname(),
    startedAt: new Date().toISOString(),
    token: crypto.randomUUID(),
    ...(procStart !== undefined ? { procStart } : {}),
  };
}

async function isStale(path: string, owner: LockOwner | undefined): Promise<boolean> {
  if (owner === undefined) return (await ageMs(path)) > UNREADABLE_STALE_MS;
  return !(await isOwnerAlive(owner));
}

function makeLock(path: string, owner: LockOwner): RunLock {
  return {
    path,
    owner,
    release: async () => {
      const current = await readOwner(path);
      if (typeof current === "object" && current.token === owner.token) {
        await Deno.remove(path).catch(() => {});
      }
    },
  };
}

/**
 * Tries once to take the lock at `path` (non-blocking). Takes over a stale
 * lock (see module docs); reports the holder otherwise.
 */
export async function tryAcquireRunLock(path: string): Promise<LockAttempt> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const owner = await newOwner();
  const content = JSON.stringify(owner) + "\n";
  if (await createExclusive(path, content)) return { acquired: true, lock: makeLock(path, owner) };

  const holder = await readOwner(path);
  if (holder === "missing") {
    // Released between our attempt and the read: one more try.
    return (await createExclusive(path, content))
      ? { acquired: true, lock: makeLock(path, owner) }
      : { acquired: false, holder: undefined };
  }
  if (!(await isStale(path, holder))) return { acquired: false, holder };

  // Stale: take it over under the take-over guard.
  const guard = `${path}.takeover`;
  if (!(await createExclusive(guard, content))) {
    if ((await ageMs(guard)) > TAKEOVER_STALE_MS) await Deno.remove(guard).catch(() => {});
    return { acquired: false, holder };
  }
  try {
    const again = await readOwner(path);
    if (again !== "missing" && !(await isStale(path, again))) {
      return { acquired: false, holder: again };
    }
    if (again === "missing") {
      // Released meanwhile: an ordinary create, no take-over to report.
      return (await createExclusive(path, content))
        ? { acquired: true, lock: makeLock(path, owner) }
        : { acquired: false, holder: undefined };
    }
    // Replace the stale file in one step (write aside, rename over it): a
    // remove-then-create would leave a moment with no lock file, in which a
    // runner that never saw the stale lock could create its own lock.
    const aside = `${path}.${owner.token}.tmp`;
    await Deno.writeTextFile(aside, content);
    try {
      await Deno.rename(aside, path);
    } catch (err) {
      await Deno.remove(aside).catch(() => {});
      throw err;
    }
    return {
      acquired: true,
      lock: makeLock(path, owner),
      ...(typeof again === "object" ? { tookOverFrom: again } : {}),
    };
  } finally {
    await Deno.remove(guard).catch(() => {});
  }
}

/** One line describing a lock holder, for logs and errors. */
export function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return "another runner (lock file being written)";
  return `pid ${owner.pid} on ${owner.host} since ${owner.startedAt}`;
}
