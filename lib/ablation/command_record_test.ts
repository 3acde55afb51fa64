import assert from "node:assert/strict";
import {
  commandMarkdown,
  type CommandRecord,
  partialLines,
  runTimeLine,
  shellQuote,
} from "./command_record.ts";
import { Rng } from "../rng.ts";

Deno.test("shellQuote: plain words stay, anything else is single-quoted and round-trips", async () => {
  assert.equal(shellQuote("--profile"), "--profile");
  assert.equal(shellQuote("results/x.csv"), "results/x.csv");
  for (const arg of ["a b", "it's", "$HOME", "x;y"]) {
    const quoted = shellQuote(arg);
    const { stdout } = await new Deno.Command("sh", { args: ["-c", `printf %s ${quoted}`] })
      .output();
    assert.equal(new TextDecoder().decode(stdout), arg);
  }
});

Deno.test("runTimeLine: sums train and eval, median of per-run totals (odd and even counts)", () => {
  const rng = new Rng(3);
  for (const n of [1, 2, 5, 6]) {
    const runs = Array.from({ length: n }, () => ({
      train: Math.round(rng.uniform(10, 500)),
      eval: Math.round(rng.uniform(1, 50)),
    }));
    const totals = runs.map((r) => r.train + r.eval).sort((a, b) => a - b);
    const median = n % 2 ? totals[(n - 1) / 2] : (totals[n / 2 - 1] + totals[n / 2]) / 2;
    const train = runs.reduce((a, r) => a + r.train, 0);
    const evalSum = runs.reduce((a, r) => a + r.eval, 0);
    assert.equal(
      runTimeLine(runs),
      `- run time (from the ${n} run records): ${train} s training + ${evalSum} s evaluation ` +
        `in all; median ${median.toFixed(0)} s per run`,
    );
  }
  assert.equal(runTimeLine([]), "- run time: no runs");
});

Deno.test("commandMarkdown: the command in a shell block, the run time line, the files", () => {
  const rec: CommandRecord = {
    command: "deno task ablate smag-mask --profile quick --seeds 3",
    ablation: "smag-mask",
    title: "S-MAG with vs without masks",
    question: "Do masks help?",
    profile: "quick",
    datasets: ["cifar10-jpeg"],
    seeds: 3,
    backends: ["native"],
    date: new Date("2026-11-22T12:00:00Z"),
    wallSeconds: 12.34,
    runSeconds: [{ train: 100, eval: 10 }, { train: 200, eval: 20 }],
    code: { commit: "abc", dirty: true, deno: "2.9.6", v8: "x" },
    trained: 0,
    cached: 2,
    byOthers: 0,
    files: ["results/smag-mask/summary.csv"],
    summaryText: "arm mean",
  };
  const md = commandMarkdown(rec);
  assert.ok(md.includes("```sh\ndeno task ablate smag-mask --profile quick --seeds 3\n```"));
  assert.ok(md.includes("- wall time of this command: 12.3 s (runs trained here: 0, cached: 2"));
  assert.ok(md.includes("- run time (from the 2 run records): 300 s training + 30 s evaluation"));
  assert.ok(md.includes("- kit commit: abc (with uncommitted changes); Deno 2.9.6"));
  assert.ok(md.endsWith("- results/smag-mask/summary.csv\n"));
});

Deno.test("partialLines: says PARTIAL with the seeds of each arm, nothing when complete", () => {
  assert.deepEqual(partialLines({ seeds: 3 }), []);
  const [line] = partialLines({
    seeds: 3,
    partial: { finished: 3, planned: 6, seedsPerArm: { a: 2, b: 1 } },
  });
  assert.match(
    line,
    /\*\*PARTIAL\*\*: 3 of 6 planned runs finished; seeds per arm \(of 3\): a 2, b 1/,
  );
});
