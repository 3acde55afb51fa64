import assert from "node:assert/strict";
import { Rng } from "../lib/rng.ts";
import { UsageError } from "./args.ts";
import { runMain, type RunMainOptions } from "./run_main.ts";

/** Runs `main` through runMain with a recording exit and log. */
async function run(main: () => Promise<number>, opts: RunMainOptions = {}) {
  const lines: string[] = [];
  let code: number | undefined;
  await runMain(main, {
    ...opts,
    log: (l) => lines.push(l),
    exit: (c) => {
      code = c;
      return undefined as never;
    },
  });
  return { code, lines };
}

Deno.test("runMain exits with main's status and says nothing", async () => {
  const rng = new Rng(41);
  for (let t = 0; t < 10; t++) {
    const status = rng.int(256);
    assert.deepEqual(await run(() => Promise.resolve(status)), { code: status, lines: [] });
  }
});

Deno.test("runMain: one error line; usage errors exit 2, others by exitCode (default 2)", async () => {
  const usage = await run(() => Promise.reject(new UsageError("--seeds expects x")), {
    exitCode: () => 1,
  });
  assert.deepEqual(usage, { code: 2, lines: ["error: --seeds expects x"] });
  assert.deepEqual(await run(() => Promise.reject(new Error("boom"))), {
    code: 2,
    lines: ["error: boom"],
  });
  const interrupted = Object.assign(new Error("stopped"), { name: "TrainingInterruptedError" });
  const exitCode = (e: Error) => (e.name === "TrainingInterruptedError" ? 130 : 1);
  assert.equal((await run(() => Promise.reject(interrupted), { exitCode })).code, 130);
  assert.equal((await run(() => Promise.reject(new Error("x")), { exitCode })).code, 1);
  assert.deepEqual(await run(() => Promise.reject("text")), { code: 2, lines: ["error: text"] });
});
