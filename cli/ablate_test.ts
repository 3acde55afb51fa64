import assert from "node:assert/strict";
import { join } from "node:path";
import { readTable } from "../lib/ablation/tables.ts";

const script = new URL("./ablate.ts", import.meta.url).pathname;

function ablate(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { KIT_BACKEND: "wasm" },
  });
}

async function output(cmd: Deno.Command) {
  const out = await cmd.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("ablate: two runners at once train each run exactly once and both write valid tables", async () => {
  const out = await Deno.makeTempDir();
  const args = [
    "simclr-temperature",
    "--profile",
    "tiny",
    "--seeds",
    "2",
    "--out",
    out,
    "--threads",
    "1",
    "--quiet",
  ];
  const [p1, p2] = await Promise.all([output(ablate(args)), output(ablate(args))]);
  assert.equal(p1.code, 0, p1.stderr);
  assert.equal(p2.code, 0, p2.stderr);
  const trained = [p1, p2].flatMap((p) =>
    [...p.stderr.matchAll(/: (?:training|resuming) (\S+)/g)].map((m) => m[1])
  );
  assert.equal(trained.length, 6, `each of the 6 runs trained once:\n${p1.stderr}\n${p2.stderr}`);
  assert.equal(new Set(trained).size, 6);
  for await (const e of Deno.readDir(join(out, "runs"))) {
    assert.ok(e.isDirectory, `no lock left behind: ${e.name}`);
    const lines = (await Deno.readTextFile(join(out, "runs", e.name, "metrics.jsonl"))).trim();
    assert.equal(lines.split("\n").length, 1, `${e.name} trained once (1 epoch line)`);
  }
  const summary = readTable(join(out, "summary.csv")).toRecords();
  assert.equal(
    summary.length,
    3 * 8,
    "3 arms x (2 metrics + 2 random-init baselines + 4 feature spread metrics)",
  );
  assert.ok(summary.every((r) => Number(r.seeds) === 2 && r.dataset === "synthetic"));
  assert.equal(readTable(join(out, "runs.parquet")).height, 6);
  for (const p of [p1, p2]) {
    assert.match(p.stdout, /arm\s+label\s+dataset\s+metric\s+seeds\s+mean\s+std\s+95% CI/);
    assert.ok(p.stdout.includes(join(out, "summary.parquet")));
  }
  const record = await Deno.readTextFile(join(out, "COMMAND.md"));
  assert.ok(record.includes(`deno task ablate simclr-temperature --profile tiny --seeds 2`));
  assert.match(record, /backend: wasm/);
  assert.match(record, /kit commit: /);

  // A rerun trains nothing; --dry-run reports everything cached.
  const dry = await output(ablate([...args, "--dry-run"]));
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /6 runs: 6 cached, 0 to resume, 0 to run/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("ablate: bad input exits 2 and names the fix", async () => {
  const unknown = await output(ablate(["no-such-ablation"]));
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown ablation "no-such-ablation".*simclr-temperature/);
  const profile = await output(ablate(["simclr-temperature", "--profile", "huge"]));
  assert.equal(profile.code, 2);
  assert.match(
    profile.stderr,
    /unknown --profile "huge"; choose one of tiny, quick, 10k-5ep, 10k-15ep, paper/,
  );
  const seeds = await output(ablate(["simclr-temperature", "--seeds", "0"]));
  assert.match(seeds.stderr, /--seeds expects a positive integer/);
  const list = await output(ablate(["--list"]));
  assert.equal(list.code, 0);
  assert.ok(list.stdout.split("\n").includes("simclr-temperature"));
});
