import assert from "node:assert/strict";
import { stopOnSignals } from "./stop_signals.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 50));

Deno.test({
  name: "stopOnSignals: the first signal requests a stop, the second exits with 130",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const stop = stopOnSignals({
      signals: ["SIGUSR2"],
      log: (l) => lines.push(l),
      exit: (c) => exits.push(c),
    });
    try {
      assert.equal(stop.requested(), false);
      Deno.kill(Deno.pid, "SIGUSR2");
      await tick();
      assert.equal(stop.requested(), true);
      assert.deepEqual(exits, []);
      assert.match(lines.join(""), /SIGUSR2: saving a checkpoint at the next step/);
      Deno.kill(Deno.pid, "SIGUSR2");
      await tick();
      assert.deepEqual(exits, [130]);
    } finally {
      stop.dispose();
    }
  },
});
