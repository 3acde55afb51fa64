import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { scaledLr, warmupCosine } from "./schedule.ts";

function randomConfig(rng: Rng) {
  const warmupSteps = rng.int(50);
  const totalSteps = warmupSteps + 1 + rng.int(500);
  const baseLr = rng.uniform(1e-4, 1);
  const minLr = rng.bernoulli(0.5) ? 0 : rng.uniform(0, baseLr);
  return { baseLr, warmupSteps, totalSteps, minLr };
}

Deno.test("warmupCosine: endpoints 0 -> baseLr -> minLr and constant afterwards", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 50; trial++) {
    const c = randomConfig(rng);
    const lr = warmupCosine(c);
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, b);
    assert.ok(close(lr(0), c.warmupSteps > 0 ? 0 : c.baseLr), `lr(0)=${lr(0)}`);
    assert.ok(close(lr(c.warmupSteps), c.baseLr));
    assert.ok(close(lr(c.totalSteps), c.minLr));
    assert.ok(close(lr(c.totalSteps + 1 + rng.int(100)), c.minLr));
    const mid = (c.warmupSteps + c.totalSteps) / 2;
    assert.ok(close(lr(mid), (c.baseLr + c.minLr) / 2), "cosine midpoint is the mean");
    if (c.warmupSteps > 0) {
      assert.ok(close(lr(c.warmupSteps / 2), c.baseLr / 2), "warm-up is linear");
    }
  }
});

Deno.test("warmupCosine: increasing during warm-up, non-increasing after, bounded", () => {
  const rng = new Rng(12);
  for (let trial = 0; trial < 30; trial++) {
    const c = randomConfig(rng);
    const lr = warmupCosine(c);
    for (let s = 1; s <= c.totalSteps + 5; s++) {
      const prev = lr(s - 1);
      const cur = lr(s);
      if (s <= c.warmupSteps) assert.ok(cur > prev, `step ${s}: ${cur} <= ${prev} in warm-up`);
      else assert.ok(cur <= prev + 1e-15, `step ${s}: ${cur} > ${prev} after warm-up`);
      assert.ok(cur >= c.minLr - 1e-15 || s <= c.warmupSteps);
      assert.ok(cur <= c.baseLr + 1e-15);
    }
  }
});

Deno.test("warmupCosine: continuous at the end of warm-up and at totalSteps", () => {
  const rng = new Rng(13);
  for (let trial = 0; trial < 30; trial++) {
    const c = randomConfig(rng);
    const lr = warmupCosine(c);
    const h = 1e-7;
    for (const at of [c.warmupSteps, c.totalSteps]) {
      if (at - h < 0) continue;
      assert.ok(Math.abs(lr(at - h) - lr(at + h)) < 1e-5 * c.baseLr, `jump at ${at}`);
    }
  }
});

Deno.test("warmupCosine: rejects bad configurations and steps", () => {
  assert.throws(() => warmupCosine({ baseLr: 0, warmupSteps: 1, totalSteps: 2 }), /baseLr/);
  assert.throws(() => warmupCosine({ baseLr: 1, warmupSteps: 5, totalSteps: 5 }), /totalSteps/);
  assert.throws(
    () => warmupCosine({ baseLr: 1, warmupSteps: 1, totalSteps: 5, minLr: 2 }),
    /minLr/,
  );
  assert.throws(() => warmupCosine({ baseLr: 1, warmupSteps: 1, totalSteps: 5 })(-1), /step/);
});

Deno.test("scaledLr: base * batch / 256, linear in batch", () => {
  assert.equal(scaledLr({ batch: 256 }), 5e-4);
  assert.equal(scaledLr({ batch: 1024 }), 2e-3);
  const rng = new Rng(14);
  for (let i = 0; i < 20; i++) {
    const batch = 1 + rng.int(4096);
    const baseLr = rng.uniform(1e-5, 1);
    const a = scaledLr({ batch, baseLr });
    const b = scaledLr({ batch: 2 * batch, baseLr });
    assert.ok(Math.abs(b - 2 * a) <= 1e-15 * b);
    assert.ok(Math.abs(a - (baseLr * batch) / 256) <= 1e-15 * a);
  }
  assert.throws(() => scaledLr({ batch: 0 }), /batch/);
});
