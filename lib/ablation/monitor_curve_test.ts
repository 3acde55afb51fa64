import assert from "node:assert/strict";
import { join } from "node:path";
import { Rng } from "../rng.ts";
import { alignCurves, readMonitorCurve } from "./monitor_curve.ts";

Deno.test("readMonitorCurve returns exactly the monitored epochs (1-based) with their values", async () => {
  const rng = new Rng(11);
  const dir = await Deno.makeTempDir();
  for (let trial = 0; trial < 10; trial++) {
    const epochs = 1 + rng.int(12);
    const every = 1 + rng.int(3);
    const lines: string[] = [];
    const want: [number, number][] = [];
    for (let e = 0; e < epochs; e++) {
      const metrics: Record<string, number> = { loss: rng.uniform(0, 5) };
      if ((e + 1) % every === 0 || e + 1 === epochs) {
        metrics.knnMonitorTop1 = Math.round(rng.uniform(0, 100) * 100) / 100;
        want.push([e + 1, metrics.knnMonitorTop1]);
      }
      lines.push(JSON.stringify({ epoch: e, step: e * 4, loss: 1, metrics }));
    }
    await Deno.writeTextFile(join(dir, "metrics.jsonl"), lines.join("\n") + "\n");
    const c = await readMonitorCurve(dir);
    assert.deepEqual(c.epochs, want.map((w) => w[0]));
    assert.deepEqual(c.values, want.map((w) => w[1]));
  }
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), JSON.stringify({ epoch: 0 }) + "\n");
  await assert.rejects(readMonitorCurve(dir), /monitorEvery/);
  await assert.rejects(readMonitorCurve(join(dir, "nope")), /cannot read/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("alignCurves keeps only epochs every curve has, values in seed order", () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 20; trial++) {
    const seeds = 1 + rng.int(4);
    const curves = Array.from({ length: seeds }, () => {
      const epochs = [1, 2, 3, 4, 5, 6].filter(() => rng.bernoulli(0.7));
      return { epochs, values: epochs.map((e) => e * 10 + rng.uniform(0, 1)) };
    });
    const { epochs, values } = alignCurves(curves);
    for (const e of epochs) assert.ok(curves.every((c) => c.epochs.includes(e)));
    for (const e of [1, 2, 3, 4, 5, 6]) {
      if (curves.every((c) => c.epochs.includes(e))) assert.ok(epochs.includes(e));
    }
    values.forEach((row, s) =>
      row.forEach((v, k) => assert.equal(v, curves[s].values[curves[s].epochs.indexOf(epochs[k])]))
    );
  }
});
