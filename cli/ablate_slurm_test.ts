/**
 * `deno task ablate --executor slurm` against a real single-node Slurm
 * cluster (`deno task slurm-local`, Debian's slurmctld/slurmd/munge): a tiny
 * ablation submitted as a held job array, one task cancelled (failed), the
 * rest released, the submit command rerun with `--wait` (resubmits only the
 * failed run, gathers), and the tables compared with a local run.
 *
 * Needs the cluster: started here when Slurm is installed and we are root
 * (and stopped again), else the test is ignored, except under CI, where a
 * missing cluster fails it (`.ci/run` starts one with `./kit slurm-local start`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readTable } from "../lib/ablation/tables.ts";

const ablateScript = new URL("./ablate.ts", import.meta.url).pathname;
const localScript = new URL("./slurm_local.ts", import.meta.url).pathname;
const dec = new TextDecoder();

async function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", env })
      .output();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      return { code: 127, stdout: "", stderr: `${cmd}: not found` };
    }
    throw err;
  }
}

const ablate = (args: string[], env: Record<string, string> = {}) =>
  sh(Deno.execPath(), ["run", "-A", ablateScript, ...args], { KIT_BACKEND: "wasm", ...env });

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

const clusterUp = async () => (await sh("sinfo", ["-h", "-o", "%T"])).code === 0;
const installed = await exists("/usr/bin/sbatch") && await exists("/usr/sbin/slurmctld");
const root = Deno.uid() === 0;
const ci = Boolean(Deno.env.get("CI"));
const canRun = (await clusterUp()) || (installed && root);

Deno.test({
  name: "ablate --executor slurm: pending, failed, resubmit only the failed run, tables = local",
  ignore: !canRun && !ci,
  fn: async () => {
    assert.ok(
      canRun,
      "no Slurm cluster: run `./kit slurm-local start` as root first (installs munge, " +
        "slurmctld, slurmd, slurm-client and starts a single-node cluster)",
    );
    const t0 = performance.now();
    let startedHere = false;
    if (!(await clusterUp())) {
      const s = await sh(Deno.execPath(), ["run", "-A", localScript, "start"]);
      assert.equal(s.code, 0, `slurm-local start: ${s.stderr}`);
      startedHere = true;
    }
    const tmp = await Deno.makeTempDir({ prefix: "ablate-slurm-" });
    const submitted: string[] = [];
    try {
      const common = [
        "simclr-temperature",
        "--profile",
        "tiny",
        "--seeds",
        "2",
        "--threads",
        "1",
        "--quiet",
      ];
      const local = await ablate([...common, "--out", join(tmp, "local")]);
      assert.equal(local.code, 0, local.stderr);

      const out = join(tmp, "slurm");
      const submit = [...common, "--out", out, "--executor", "slurm", "--poll", "1"];
      // 1. Submitted held: every run pending in squeue.
      const held = await ablate([...submit, "--sbatch-arg=--hold"]);
      assert.equal(held.code, 0, held.stderr);
      const job = /Slurm job array (\d+)/.exec(held.stdout)?.[1];
      assert.ok(job, held.stdout);
      submitted.push(job);
      assert.match(held.stdout, /submitted 6 run\(s\).*tasks 0,1,2,3,4,5/);
      assert.match(held.stdout, new RegExp(`squeue -j ${job}`));
      const script = await Deno.readTextFile(join(out, "slurm", "simclr-temperature.sbatch"));
      assert.match(script, /^#SBATCH --hold$/m);
      const st1 = await ablate([...common, "--out", out, "--status"]);
      assert.equal(st1.code, 0, st1.stderr);
      assert.match(st1.stdout, /0\/6 done, 0 running, 6 pending, 0 failed/);
      assert.match(st1.stdout, new RegExp(`tau0\\.2\\s+0\\s+pending\\s+${job}_2\\s+Slurm PENDING`));

      // 2. One task cancelled before it ran: failed; the others released and run.
      assert.equal((await sh("scancel", [`${job}_2`])).code, 0);
      const st2 = await ablate([...common, "--out", out, "--status"]);
      assert.match(st2.stdout, /0\/6 done, 0 running, 5 pending, 1 failed/);
      assert.match(st2.stdout, /tau0\.2\s+0\s+failed\s+\S+\s+the task ended before it started/);
      assert.equal((await sh("scontrol", ["release", job])).code, 0);

      // 3. The submit command again: only the failed run goes out; --wait gathers.
      const again = await ablate([...submit, "--wait"]);
      assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
      const job2 = /Slurm job array (\d+)/.exec(again.stdout)?.[1];
      assert.ok(job2 && job2 !== job, again.stdout);
      submitted.push(job2);
      assert.match(again.stdout, /submitted 1 run\(s\).*\(tasks 2;/);
      assert.match(again.stderr, /6\/6 done, 0 running, 0 pending, 0 failed/);
      assert.match(again.stdout, /runs: 0 trained, 6 cached/);

      // 4. Same tables as the local run (timings aside).
      for (const t of ["summary.csv", "comparisons.csv"]) {
        assert.equal(
          await Deno.readTextFile(join(out, t)),
          await Deno.readTextFile(join(tmp, "local", t)),
          `${t} differs between the Slurm and the local run`,
        );
      }
      const timing = ["train_seconds", "eval_seconds", "seconds"];
      const runsS = readTable(join(out, "runs.parquet")).drop(timing);
      const runsL = readTable(join(tmp, "local", "runs.parquet")).drop(timing);
      assert.equal(runsS.height, 6);
      assert.deepEqual(runsS.toRecords(), runsL.toRecords());
      assert.ok(runsS.columns.includes("finalLoss"));

      // 5. Each run trained once, by one array task.
      for await (const e of Deno.readDir(join(out, "runs"))) {
        assert.ok(e.isDirectory, `no lock left behind: ${e.name}`);
        const lines = await Deno.readTextFile(join(out, "runs", e.name, "metrics.jsonl"));
        assert.equal(lines.trim().split("\n").length, 1, `${e.name} trained once`);
        const rec = JSON.parse(
          await Deno.readTextFile(join(out, "slurm", "tasks", `${e.name}.json`)),
        );
        assert.deepEqual(rec.attempts.map((a: { state: string }) => a.state), ["done"]);
        const expectJob: string = e.name.startsWith("tau0.2-s0-") ? job2 : job;
        assert.equal(rec.attempts[0].task.split("_")[0], expectJob, e.name);
      }

      // 6. Nothing left: the submit command submits nothing and writes the tables.
      const done = await ablate(submit);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /nothing to submit \(\[#+\] 6\/6 done/);
      assert.match(done.stdout, /runs: 0 trained, 6 cached/);
      console.log(`slurm ablation test: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      // A failed assertion must not leave our tasks on a cluster that outlives the test.
      if (submitted.length > 0) await sh("scancel", submitted);
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      if (startedHere) await sh(Deno.execPath(), ["run", "-A", localScript, "stop"]);
    }
  },
});

Deno.test("ablate --executor slurm without sbatch names the fix", async () => {
  const tmp = await Deno.makeTempDir();
  const r = await ablate(
    ["simclr-temperature", "--profile", "tiny", "--out", tmp, "--executor", "slurm"],
    { PATH: "/nonexistent" },
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /sbatch not found on PATH: --executor slurm must run where Slurm/);
  assert.match(r.stderr, /\.\/kit slurm-local start/);
  const usage = await ablate(["simclr-temperature", "--gres", "gpu:1"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--gres needs --executor slurm/);
  const time = await ablate(["simclr-temperature", "--executor", "slurm", "--time", "4h"]);
  assert.equal(time.code, 2);
  assert.match(time.stderr, /--time "4h" is not a Slurm time limit; use HH:MM:SS/);
  await Deno.remove(tmp, { recursive: true });
});
