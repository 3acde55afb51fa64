import assert from "node:assert/strict";
import { join } from "node:path";
import { type AblationSpec, defineAblation } from "./spec.ts";
import { type AblationOptions, planAblation, runAblation } from "./runner.ts";
import { runExperiment } from "../experiment/run.ts";
import { readTable } from "./tables.ts";

function tauSpec(tauB = 0.5): AblationSpec {
  return defineAblation({
    name: "test-tau",
    title: "test",
    question: "does tau matter on 64 synthetic images?",
    arms: [
      { name: "a", label: "tau 0.2", patch: { methodOptions: { temperature: 0.2 } } },
      { name: "b", label: `tau ${tauB}`, patch: { methodOptions: { temperature: tauB } } },
    ],
    seeds: 2,
    metrics: ["linearTop1", "knnTop1"],
  });
}

function options(outDir: string, lines: string[]): AblationOptions {
  return {
    profile: "tiny",
    outDir,
    backend: "wasm",
    threads: 1,
    log: (l) => lines.push(l),
    progress: () => {},
    pollMs: 50,
  };
}

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

async function metricLines(runDir: string): Promise<number> {
  return (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).trim().split("\n").length;
}

Deno.test("runner: trains arms x seeds once, caches reruns, reruns only a changed arm", async () => {
  const out = await Deno.makeTempDir();
  const lines: string[] = [];
  const first = await runAblation(tauSpec(), options(out, lines));
  assert.equal(first.trained.length, 4);
  assert.deepEqual(first.rows.map((r) => [r.arm, r.seed]), [["a", 0], ["a", 1], ["b", 0], [
    "b",
    1,
  ]]);
  // Run directories are keyed by arm, seed and config hash; seeds differ in config.
  for (const r of first.runs) {
    assert.match(r.runDir, new RegExp(`runs/${r.arm}-s${r.seed}-[0-9a-f]{12}$`));
    assert.equal(r.config.seed, r.seed);
    assert.equal(await metricLines(r.runDir), 1);
  }
  assert.ok(lines.some((l) => l.startsWith("arm 2/2 (b) seed 1/2: training")));
  // 2 arms x (2 declared metrics + the 2 random-init baseline metrics + the 4 feature spread
  // metrics every run reports).
  assert.equal(first.summary.length, 2 * 8);
  assert.deepEqual(
    [...new Set(first.summary.map((r) => r.metric))],
    [
      "linearTop1",
      "knnTop1",
      "randomInitLinearTop1",
      "randomInitKnnTop1",
      "featureStd",
      "featureRank",
      "randomInitFeatureStd",
      "randomInitFeatureRank",
    ],
  );
  assert.equal(readTable(join(out, "summary.csv")).height, 16);
  assert.equal(readTable(join(out, "runs.parquet")).height, 4);
  assert.equal(first.comparisons.length, 2); // b vs baseline a, on two metrics

  const again = await runAblation(tauSpec(), options(out, []));
  assert.equal(again.trained.length, 0);
  assert.equal(again.cached.length, 4);
  assert.deepEqual(again.rows, first.rows);

  const changed = await runAblation(tauSpec(0.3), options(out, []));
  assert.deepEqual(
    changed.trained.sort(),
    changed.runs.filter((r) => r.arm === "b").map((r) => r.id).sort(),
  );
  assert.deepEqual(changed.cached, first.runs.filter((r) => r.arm === "a").map((r) => r.id));
  for (const r of changed.runs) assert.equal(await metricLines(r.runDir), 1);
  await Deno.remove(out, { recursive: true });
});

Deno.test("runner: takes over a dead runner's lock and resumes a killed run from its checkpoint", async () => {
  const out = await Deno.makeTempDir();
  const spec = tauSpec();
  const opts = options(out, []);
  const [a0, a1] = await planAblation(spec, opts);
  // a0: a runner died holding the lock before creating anything.
  const stale = { pid: await deadPid(), host: Deno.hostname(), startedAt: "x", token: "dead" };
  await Deno.mkdir(join(out, "runs"), { recursive: true });
  await Deno.writeTextFile(a0.lockPath, JSON.stringify(stale));
  // a1: killed after its first step: checkpoint, no result, and its lock left behind. The
  // trainer polls once before the first step (a stop then ends before training) and after each.
  let polls = 0;
  await assert.rejects(
    runExperiment(a1.config, {
      outDir: a1.runDir,
      backend: "wasm",
      threads: 1,
      log: () => {},
      progress: () => {},
      shouldStop: () => ++polls > 1,
    }),
    /interrupted/,
  );
  await Deno.writeTextFile(a1.lockPath, JSON.stringify({ ...stale, token: "dead2" }));

  const dry = await runAblation(spec, { ...opts, dryRun: true });
  assert.deepEqual(dry.states[a0.id], "new");
  assert.deepEqual(dry.states[a1.id], "resumable");
  assert.equal(dry.rows.length, 0);

  const lines: string[] = [];
  const res = await runAblation(spec, { ...opts, log: (l) => lines.push(l), seeds: 2 });
  assert.ok(res.trained.includes(a0.id) && res.trained.includes(a1.id));
  assert.equal(lines.filter((l) => l.includes("took over the stale lock")).length, 2);
  assert.ok(lines.some((l) => l.includes("resumed from")), "a1 resumed, not restarted");
  assert.ok(lines.some((l) => l.includes(`resuming ${a1.id}`)));
  for (const r of res.runs) {
    await assert.rejects(Deno.stat(r.lockPath), Deno.errors.NotFound);
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("runner: a run held by a live runner is waited for, not trained twice", async () => {
  const out = await Deno.makeTempDir();
  const spec = defineAblation({ ...tauSpec(), arms: [tauSpec().arms[0]], seeds: 1 });
  const opts = options(out, []);
  const [run] = await planAblation(spec, opts);
  // A live holder (our parent process) trains it "elsewhere": we finish it here after a delay.
  await Deno.mkdir(join(out, "runs"), { recursive: true });
  const holder = { pid: Deno.ppid, host: Deno.hostname(), startedAt: "x", token: "live" };
  await Deno.writeTextFile(run.lockPath, JSON.stringify(holder));
  const lines: string[] = [];
  const waiting = runAblation(spec, { ...opts, log: (l) => lines.push(l) });
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(lines.some((l) => l.includes(`held by pid ${Deno.ppid}`)));
  await runExperiment(run.config, {
    outDir: run.runDir,
    backend: "wasm",
    threads: 1,
    log: () => {},
    progress: () => {},
  });
  await Deno.remove(run.lockPath);
  const res = await waiting;
  assert.deepEqual(res.trained, []);
  assert.deepEqual(res.byOthers, [run.id]);
  assert.equal(await metricLines(run.runDir), 1);
  await Deno.remove(out, { recursive: true });
});

Deno.test("runner with skipHeld: leaves runs held by a live runner and writes partial tables", async () => {
  const out = await Deno.makeTempDir();
  try {
    const spec = defineAblation({ ...tauSpec(), seeds: 1 });
    const opts = options(out, []);
    const [, held] = await planAblation(spec, opts);
    await Deno.mkdir(join(out, "runs"), { recursive: true });
    const holder = { pid: Deno.ppid, host: Deno.hostname(), startedAt: "x", token: "live" };
    await Deno.writeTextFile(held.lockPath, JSON.stringify(holder));
    const lines: string[] = [];
    const res = await runAblation(spec, { ...opts, skipHeld: true, log: (l) => lines.push(l) });
    assert.equal(res.trained.length, 1, "the free run is trained");
    assert.deepEqual(res.rows.map((r) => r.arm), ["a"]);
    assert.deepEqual(res.partial, { finished: 1, planned: 2, seedsPerArm: { a: 1, b: 0 } });
    assert.ok(
      lines.some((l) => l.includes("not waiting for them (--skip-held)")),
      lines.join("\n"),
    );
    const plan = JSON.parse(await Deno.readTextFile(join(out, "plan.json")));
    assert.equal(plan.partial.finished, 1);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runner --partial: tables from the finished runs only, marked with the seed counts", async () => {
  const out = await Deno.makeTempDir();
  try {
    await assert.rejects(
      runAblation(tauSpec(), { ...options(out, []), partial: true }),
      /no finished run .* nothing to tabulate; train some first/,
    );
    // seed 0 of both arms, then a partial table of the 2-seed plan
    await runAblation(tauSpec(), { ...options(out, []), seeds: 1 });
    const part = await runAblation(tauSpec(), { ...options(out, []), partial: true });
    assert.equal(part.trained.length, 0);
    assert.deepEqual(part.rows.map((r) => [r.arm, r.seed]), [["a", 0], ["b", 0]]);
    assert.deepEqual(part.partial, { finished: 2, planned: 4, seedsPerArm: { a: 1, b: 1 } });
    assert.equal(readTable(join(out, "runs.csv")).height, 2);
    const plan = JSON.parse(await Deno.readTextFile(join(out, "plan.json")));
    assert.deepEqual(plan.partial, part.partial);
    assert.equal(plan.runs.length, 4);
    // one seed per arm: comparisons exist but have no interval
    assert.ok(part.comparisons.every((c) => c.evidence === "too-few-seeds"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runner figuresOnly: rebuilds figures/*.json from the finished runs, leaves the tables", async () => {
  const out = await Deno.makeTempDir();
  try {
    await assert.rejects(
      runAblation(tauSpec(), { ...options(out, []), figuresOnly: true }),
      /no finished run .* no figure to rebuild; train some first/,
    );
    const first = await runAblation(tauSpec(), { ...options(out, []), seeds: 1 });
    const tables = await Deno.readTextFile(join(out, "summary.csv"));
    const plan = await Deno.readTextFile(join(out, "plan.json"));
    for (const f of first.figures) await Deno.remove(f);
    const again = await runAblation(tauSpec(), { ...options(out, []), figuresOnly: true });
    assert.equal(again.trained.length, 0);
    assert.deepEqual(again.figures, first.figures);
    for (const f of again.figures) assert.ok((await Deno.stat(f)).isFile, `${f} rebuilt`);
    assert.equal(await Deno.readTextFile(join(out, "summary.csv")), tables);
    assert.equal(await Deno.readTextFile(join(out, "plan.json")), plan);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runner: alsoCompare adds its pairs to the comparisons against the baseline", async () => {
  const out = await Deno.makeTempDir();
  const spec = defineAblation({
    name: "test-tau-pairs",
    title: "test",
    question: "is the default tau 0.2 ahead of tau 0.1?",
    arms: [0.5, 0.2, 0.1].map((tau) => ({
      name: `tau${tau}`,
      label: `tau ${tau}`,
      patch: { methodOptions: { temperature: tau } },
    })),
    seeds: 2,
    metrics: ["linearTop1"],
    baseline: "tau0.5",
    alsoCompare: [["tau0.1", "tau0.2"]],
  });
  const outcome = await runAblation(spec, options(out, []));
  assert.deepEqual(outcome.comparisons.map((c) => [c.a, c.b]), [
    ["tau0.2", "tau0.5"],
    ["tau0.1", "tau0.5"],
    ["tau0.1", "tau0.2"],
  ]);
  const table = readTable(join(out, "comparisons.csv"));
  assert.deepEqual(table.getColumn("baseline").toArray(), ["tau0.5", "tau0.5", "tau0.2"]);
  await Deno.remove(out, { recursive: true });
});
