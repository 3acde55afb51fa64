import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { ablationProgress } from "./ablation_progress.ts";

Deno.test("ablationProgress counts finished, cached and foreign runs once each, never past the total", async () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const total = 1 + rng.int(8);
    const logged: string[] = [];
    const p = ablationProgress("abl", total, { jupyter: false, log: (l) => logged.push(l) });
    let expected = 0;
    for (let r = 0; r < total + 2; r++) {
      const kind = rng.int(4);
      if (kind === 0) p.log(`arm 1/2 (a) seed ${r}/3: cached: a-s${r}-abc`);
      else if (kind === 1) p.log(`arm 1/2 (a) seed ${r}/3: finished by another runner: a-s${r}`);
      else if (kind === 2) {
        p.log(`arm 1/2 (a) seed ${r}/3: training a-s${r}-abc (0/${total} done)`);
        p.progress("[smag] step 1/4", false);
        p.progress("[smag] step 4/4 done", true);
      } else {
        p.runLog("epoch 1 loss 3.2");
        p.progress("[smag] step 2/4", false);
        expected -= 1; // an unfinished run counts nothing
      }
      expected += 1;
      assert.equal(p.done(), Math.min(total, expected));
    }
    await p.finish();
    assert.match(logged.at(-1)!, new RegExp(`${Math.min(total, expected)}/${total} runs done`));
    assert.ok(p.lines().every((l) => l.startsWith("arm ")));
  }
  assert.throws(() => ablationProgress("abl", 0), /positive integer/);
});
