import assert from "node:assert/strict";
import { join } from "node:path";
import { defineAblation } from "./spec.ts";
import { type AblationOptions, runAblation } from "./runner.ts";
import { copyReusedRun, findReusableRun, REUSED_FILE, reusedFrom } from "./reuse_run.ts";
import { commandMarkdown } from "./command_record.ts";

/** A tiny ablation whose arm `shared` has the same config as `other`'s arm `b`. */
function specs() {
  const shared = { methodOptions: { temperature: 0.3 } };
  const first = defineAblation({
    name: "test-reuse-first",
    title: "first",
    question: "q",
    arms: [{ name: "b", label: "tau 0.3", patch: shared }],
    seeds: 1,
    metrics: ["linearTop1"],
  });
  const second = defineAblation({
    name: "test-reuse-second",
    title: "second",
    question: "q",
    arms: [
      { name: "shared", label: "tau 0.3", patch: shared },
      { name: "own", label: "tau 0.7", patch: { methodOptions: { temperature: 0.7 } } },
    ],
    seeds: 1,
    metrics: ["linearTop1"],
  });
  return { first, second };
}

function options(outDir: string, lines: string[], reuse: boolean): AblationOptions {
  return {
    profile: "tiny",
    outDir,
    backend: "wasm",
    threads: 1,
    log: (l) => lines.push(l),
    progress: () => {},
    pollMs: 50,
    reuse,
  };
}

Deno.test("runner with reuse: a run finished under another ablation is copied, not retrained", async () => {
  const root = await Deno.makeTempDir();
  const { first, second } = specs();
  const a = await runAblation(first, options(join(root, "first"), [], true));
  assert.equal(a.trained.length, 1);
  const source = a.runs[0].runDir;

  const dryLines: string[] = [];
  const dry = await runAblation(second, {
    ...options(join(root, "second"), dryLines, true),
    dryRun: true,
  });
  assert.ok(dryLines.some((l) => l.includes(`would reuse ${source}`)), dryLines.join("\n"));
  assert.deepEqual(dry.reusable.map((r) => r.from), [source]);

  const lines: string[] = [];
  const b = await runAblation(second, options(join(root, "second"), lines, true));
  assert.deepEqual(b.trained.length, 1, "only the arm no other ablation has is trained");
  assert.equal(b.cached.length, 1);
  const copy = b.runs.find((r) => r.arm === "shared")!;
  assert.equal(copy.configHash, a.runs[0].configHash);
  assert.deepEqual(b.reused, [{ id: copy.id, from: source }]);
  assert.ok(lines.some((l) => l.includes(`reusing ${source}`)), lines.join("\n"));
  // The copy holds the same record byte for byte, no checkpoint, and says where it came from.
  assert.equal(
    await Deno.readTextFile(join(copy.runDir, "result.json")),
    await Deno.readTextFile(join(source, "result.json")),
  );
  await assert.rejects(() => Deno.stat(join(copy.runDir, "checkpoint")), Deno.errors.NotFound);
  assert.equal(await reusedFrom(copy.runDir), source);
  const row = b.rows.find((r) => r.arm === "shared")!;
  assert.equal(row.metrics.linearTop1, a.rows[0].metrics.linearTop1);
  // A later table rebuild still lists the copy.
  const again = await runAblation(second, options(join(root, "second"), [], true));
  assert.deepEqual(again.reused, b.reused);
  assert.equal(again.cached.length, 2);
  await Deno.remove(root, { recursive: true });
});

Deno.test("--partial with reuse copies runs finished elsewhere and trains nothing", async () => {
  const root = await Deno.makeTempDir();
  const { first, second } = specs();
  await runAblation(first, options(join(root, "first"), [], true));
  const part = await runAblation(second, {
    ...options(join(root, "second"), [], true),
    partial: true,
  });
  assert.equal(part.trained.length, 0);
  assert.deepEqual(part.rows.map((r) => r.arm), ["shared"]);
  assert.equal(part.reused.length, 1);
  assert.deepEqual(part.partial, { finished: 1, planned: 2, seedsPerArm: { shared: 1, own: 0 } });
  await Deno.remove(root, { recursive: true });
});

Deno.test("runner without reuse (the library default) trains every run itself", async () => {
  const root = await Deno.makeTempDir();
  const { first, second } = specs();
  await runAblation(first, options(join(root, "first"), [], true));
  const b = await runAblation(second, options(join(root, "second"), [], false));
  assert.equal(b.trained.length, 2);
  assert.deepEqual(b.reused, []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("findReusableRun checks the recorded hash and skips the run's own folder", async () => {
  const root = await Deno.makeTempDir();
  const hash = "0123456789ab";
  const dir = join(root, "x", "runs", `arm-s0-${hash}`);
  await Deno.mkdir(join(dir, "checkpoint"), { recursive: true });
  await Deno.writeTextFile(join(dir, "config.json"), "{}\n");
  await Deno.writeTextFile(join(dir, "checkpoint", "weights.bin"), "w");
  // A folder named for the hash whose record says otherwise is not a match.
  await Deno.writeTextFile(join(dir, "result.json"), JSON.stringify({ configHash: "other" }));
  assert.equal(
    await findReusableRun(root, hash, join(root, "y", "runs", `b-s0-${hash}`)),
    undefined,
  );
  await Deno.writeTextFile(join(dir, "result.json"), JSON.stringify({ configHash: hash }));
  const found = await findReusableRun(root, hash, join(root, "y", "runs", `b-s0-${hash}`));
  assert.equal(found?.dir, dir);
  assert.equal(await findReusableRun(root, hash, dir), undefined, "its own folder");
  assert.equal(await findReusableRun(join(root, "missing"), hash, dir), undefined);
  const to = join(root, "y", "runs", `b-s0-${hash}`);
  await copyReusedRun(dir, to);
  // A third ablation finds the run as trained, not the copy ("x" and "y" sort before "z"; the
  // copy would also match).
  const third = join(root, "z", "runs", `c-s0-${hash}`);
  await Deno.rename(join(root, "x"), join(root, "zz"));
  assert.equal(
    (await findReusableRun(root, hash, third))?.dir,
    join(root, "zz", "runs", `arm-s0-${hash}`),
  );
  await Deno.rename(join(root, "zz"), join(root, "x"));
  const names: string[] = [];
  for await (const e of Deno.readDir(to)) names.push(e.name);
  assert.deepEqual(names.sort(), ["config.json", "result.json", REUSED_FILE]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("COMMAND.md names the runs copied from other ablations", () => {
  const text = commandMarkdown({
    command: "deno task ablate x",
    ablation: "x",
    title: "t",
    question: "q",
    profile: "tiny",
    datasets: ["synthetic"],
    seeds: 1,
    backends: ["wasm"],
    date: new Date(0),
    wallSeconds: 1,
    code: { commit: "abc", dirty: false, deno: "2", v8: "1" },
    runSeconds: [],
    trained: 0,
    cached: 1,
    byOthers: 0,
    reused: [{
      id: "query-s0-d4a8d1c323c8",
      from: "results/saliency-where/runs/saliency-s0-d4a8d1c323c8",
    }],
    files: [],
    summaryText: "",
  });
  assert.match(
    text,
    /copied from another ablation's folder .*`query-s0-d4a8d1c323c8` from `results\/saliency-where\/runs\/saliency-s0-d4a8d1c323c8`/,
  );
});
