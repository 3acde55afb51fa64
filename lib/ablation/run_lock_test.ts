import assert from "node:assert/strict";
import { join } from "node:path";
import { isOwnerAlive, type LockOwner, tryAcquireRunLock } from "./run_lock.ts";

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("a lock is exclusive until released, and records pid, host and time", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "run.lock");
  const first = await tryAcquireRunLock(path);
  assert.ok(first.acquired);
  const stored = JSON.parse(await Deno.readTextFile(path)) as LockOwner;
  assert.equal(stored.pid, Deno.pid);
  assert.equal(stored.host, Deno.hostname());
  assert.ok(Date.now() - Date.parse(stored.startedAt) < 60_000);
  // A second runner (here: same process, other token) is refused and told who holds it.
  const second = await tryAcquireRunLock(path);
  assert.equal(second.acquired, false);
  if (!second.acquired) assert.equal(second.holder?.token, stored.token);
  await first.lock.release();
  const third = await tryAcquireRunLock(path);
  assert.ok(third.acquired);
  await third.lock.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a stale lock (dead pid on this host) is taken over exactly once by concurrent runners", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "run.lock");
  const pid = await deadPid();
  assert.equal(
    await isOwnerAlive({ pid, host: Deno.hostname(), startedAt: "", token: "x" }),
    false,
  );
  const stale: LockOwner = { pid, host: Deno.hostname(), startedAt: "2000-01-01", token: "old" };
  // Many rounds: the race this guards against (a runner creating its own lock
  // while the take-over replaces the stale one) shows up in a few rounds in 100.
  for (let round = 0; round < 40; round++) {
    await Deno.writeTextFile(path, JSON.stringify(stale));
    const attempts = await Promise.all(Array.from({ length: 8 }, () => tryAcquireRunLock(path)));
    const winners = attempts.filter((a) => a.acquired);
    assert.equal(winners.length, 1, `round ${round}`);
    const win = winners[0];
    if (win.acquired) {
      assert.equal(win.tookOverFrom?.token, "old", `round ${round}`);
      await win.lock.release();
    }
  }
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [], "no guard or temp file left");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("locks of another host are never judged stale; a live pid holds its lock", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "run.lock");
  const pid = await deadPid();
  const remote: LockOwner = { pid, host: `${Deno.hostname()}-other`, startedAt: "", token: "r" };
  await Deno.writeTextFile(path, JSON.stringify(remote));
  const a = await tryAcquireRunLock(path);
  assert.equal(a.acquired, false);
  // The parent of this test process is alive.
  const alive: LockOwner = { pid: Deno.ppid, host: Deno.hostname(), startedAt: "", token: "p" };
  await Deno.writeTextFile(path, JSON.stringify(alive));
  assert.equal((await tryAcquireRunLock(path)).acquired, false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("release leaves a lock alone that is no longer ours", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "run.lock");
  const a = await tryAcquireRunLock(path);
  assert.ok(a.acquired);
  const other: LockOwner = { pid: Deno.pid, host: Deno.hostname(), startedAt: "", token: "else" };
  await Deno.writeTextFile(path, JSON.stringify(other));
  await a.lock.release();
  assert.equal(JSON.parse(await Deno.readTextFile(path)).token, "else");
  await Deno.remove(dir, { recursive: true });
});
