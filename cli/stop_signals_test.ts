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

// ---- Real signals against a real training process (cli/train.ts) ----

const TRAIN = new URL("./train.ts", import.meta.url).pathname;
/** 64 steps of one epoch: long enough (~10-30 s) that a stop at the epoch end is plainly late. */
const TINY_RUN = [
  "--dataset=synthetic",
  "--train-size=512",
  "--test-size=40",
  "--epochs=1",
  "--arch=resnet6",
  "--width=4",
  "--batch-size=8",
];

/** A training process whose stderr is collected as it arrives. */
function startTraining(out: string, extra: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, ...TINY_RUN, ...extra, `--out=${out}`],
    env: { KIT_BACKEND: "wasm", KIT_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const stdout = new Response(child.stdout).text();
  return {
    child,
    stderr: () => stderr,
    /** Resolves once stderr matches `re` (rejects after `seconds`). */
    async waitFor(re: RegExp, seconds = 120): Promise<void> {
      const end = Date.now() + seconds * 1000;
      while (!re.test(stderr)) {
        if (Date.now() > end) throw new Error(`no ${re} on stderr within ${seconds} s:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async done() {
      const status = await child.status;
      await reading;
      return { code: status.code, stdout: await stdout, stderr };
    },
  };
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test({
  name:
    "train: SIGTERM in the last epoch stops at the next step with a checkpoint; the rerun resumes",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const out = await Deno.makeTempDir();
    try {
      const run = startTraining(out);
      await run.waitFor(/training simclr: 64 of 64 steps left/);
      await new Promise((r) => setTimeout(r, 500)); // into the first steps (~0.1-0.5 s each)
      run.child.kill("SIGTERM");
      const r = await run.done();
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /SIGTERM: saving a checkpoint at the next step/);
      assert.match(r.stderr, /training interrupted at step \d+; checkpoint saved/);
      const meta = (await readJson(`${out}/checkpoint/latest.json`)).meta;
      assert.equal(meta.epoch, 0);
      assert.ok(
        meta.stepInEpoch >= 1 && meta.stepInEpoch < 64,
        `stopped at step ${meta.stepInEpoch} of 64: not at the next step`,
      );
      assert.equal((await readJson(`${out}/run.json`)).status, "interrupted");
      await assert.rejects(Deno.stat(`${out}/result.json`), Deno.errors.NotFound);

      const again = startTraining(out);
      const r2 = await again.done();
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stderr, new RegExp(`at epoch 0, step ${meta.globalStep}/64`));
      assert.equal((await readJson(`${out}/run.json`)).status, "finished");
      const lines = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
      assert.equal(lines.length, 1);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "train: a second Ctrl-C exits at once with 130, without waiting for a checkpoint",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const out = await Deno.makeTempDir();
    try {
      // Slow steps (batch 256, several seconds each): both presses land inside the first step.
      const run = startTraining(out, ["--batch-size=256", "--width=16"]);
      await run.waitFor(/training simclr: 2 of 2 steps left/);
      await new Promise((r) => setTimeout(r, 500)); // inside the first step
      run.child.kill("SIGINT");
      await run.waitFor(/SIGINT: saving a checkpoint/, 2); // the notice comes at once too
      await new Promise((r) => setTimeout(r, 300)); // a person's second press comes later
      const sent = Date.now();
      run.child.kill("SIGINT");
      const r = await run.done();
      const seconds = (Date.now() - sent) / 1000;
      assert.equal(r.code, 130, r.stderr);
      assert.doesNotMatch(r.stderr, /training interrupted/, "it waited for the step to end");
      assert.ok(seconds < 1, `exited ${seconds.toFixed(1)} s after the second SIGINT`);
      assert.match(r.stderr, /SIGINT again: exiting at once/);
      assert.equal((await readJson(`${out}/run.json`)).status, "running", "no clean-up ran");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
