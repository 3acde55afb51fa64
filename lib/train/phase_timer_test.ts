import assert from "node:assert/strict";
import { PhaseTimer } from "./phase_timer.ts";

Deno.test("PhaseTimer adds time per phase and puts the uncovered rest in 'other'", async () => {
  const t = new PhaseTimer();
  t.add("data", 10);
  t.add("data", 5);
  assert.equal(t.time("forward", () => 42), 42);
  await t.timeAsync("sync", () => new Promise((r) => setTimeout(r, 20)));
  assert.ok(t.ms("sync") >= 15, `sync ${t.ms("sync")}`);
  const rows = t.rows(1000);
  assert.deepEqual(rows.map((r) => r.phase), ["data", "forward", "sync", "other"]);
  assert.equal(rows[0].ms, 15);
  assert.equal(rows[0].calls, 2);
  assert.equal(rows[0].share, 0.015);
  const covered = rows.slice(0, 3).reduce((s, r) => s + r.ms, 0);
  assert.ok(Math.abs(rows[3].ms - (1000 - covered)) < 1e-9);
  // A total smaller than the phases (clock skew): "other" is 0, never negative.
  assert.equal(t.rows(1).at(-1)!.ms, 0);
});

Deno.test("PhaseTimer.time records the time even when the phase throws", () => {
  const t = new PhaseTimer();
  assert.throws(() =>
    t.time("views", () => {
      throw new Error("bad");
    })
  );
  assert.equal(t.rows(0)[0].calls, 1);
});
