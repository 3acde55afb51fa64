import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultExperiment, type ExperimentConfig, peakLr } from "../lib/config/experiment.ts";
import { warmupCosine } from "../lib/optim/schedule.ts";
import { stepsPerEpoch } from "../lib/train/trainer.ts";
import { hasTorch, pythonCandidates } from "./bench_torch.ts";
import { kitTemperature, PARITY_DEFAULTS, parseParityArgs, twinResultReusable } from "./parity.ts";
import { SIMCLR_OPTIONS } from "../lib/methods/simclr.ts";

const TWIN = new URL("../bench/simclr_twin.py", import.meta.url).pathname;

/** The python the twin runs on; these tests need it (CI installs python3-torch python3-sklearn). */
async function twinPython(): Promise<string> {
  for (const p of pythonCandidates()) {
    if (await hasTorch(p, ["torch", "sklearn", "numpy"])) return p;
  }
  throw new Error(
    "no python3 with torch and scikit-learn: `apt-get install python3-torch python3-sklearn` " +
      "(or set KIT_TORCH_PYTHON) to run the parity tests",
  );
}

Deno.test("parseParityArgs adds the parity defaults, keeps given flags and strips its own", () => {
  const p = parseParityArgs([
    "--epochs=2",
    "--width",
    "8",
    "--temperature",
    "0.2",
    "--json",
    "--out",
    "/tmp/x",
    "--threads",
    "3",
  ]);
  assert.equal(p.json, true);
  assert.equal(p.out, "/tmp/x");
  assert.equal(p.threads, 3);
  assert.ok(!p.trainArgs.includes("--json") && !p.trainArgs.includes("--out"));
  const a = p.trainArgs.join(" ");
  assert.match(a, /--epochs=2/);
  assert.match(a, /--width 8/);
  assert.match(a, /--temperature 0\.2/);
  assert.match(a, /--threads 3/);
  assert.doesNotMatch(a, /--epochs 5/);
  assert.doesNotMatch(a, /--width 16/);
  for (const [name, value] of PARITY_DEFAULTS) {
    if (name !== "epochs" && name !== "width") assert.match(a, new RegExp(`--${name} ${value}`));
  }
  assert.throws(() => parseParityArgs(["--method", "moco-v2"]), /mirrors simclr only/);
  assert.throws(() => parseParityArgs(["--threads", "0"]), /--threads expects a positive/);
});

Deno.test("parity hands the twin the kit's resolved temperature and reruns stale results", () => {
  const cfg = defaultExperiment();
  // `deno task train` without --temperature writes methodOptions {}: the method's default.
  assert.deepEqual(cfg.methodOptions, {});
  assert.equal(kitTemperature(cfg), SIMCLR_OPTIONS.temperature.default);
  assert.equal(kitTemperature({ ...cfg, methodOptions: { temperature: 0.5 } }), 0.5);
  const want = { cfgText: "{}", threads: 2, temperature: 0.2 };
  assert.ok(twinResultReusable({ config: "{}", threads: 2, temperature: 0.2 }, want));
  // A result from before the twin reported its temperature (it then ran at 0.5) is redone.
  assert.ok(!twinResultReusable({ config: "{}", threads: 2 }, want));
  assert.ok(!twinResultReusable({ config: "{}", threads: 2, temperature: 0.5 }, want));
  assert.ok(!twinResultReusable({ config: "{}", threads: 1, temperature: 0.2 }, want));
});

/** The kit's lr per step for `cfg` on `count` images: trainer.ts's rule fed to warmupCosine. */
function kitSchedule(cfg: ExperimentConfig, count: number): number[] {
  const perEpoch = stepsPerEpoch(count, cfg.optim.batchSize);
  const total = perEpoch * cfg.optim.epochs;
  const peak = peakLr(cfg.optim);
  const lr = warmupCosine({
    baseLr: peak,
    warmupSteps: Math.min(Math.round(cfg.optim.warmupEpochs * perEpoch), total - 1),
    totalSteps: total,
    minLr: peak * cfg.optim.minLrRatio,
  });
  return Array.from({ length: total }, (_, s) => lr(s));
}

async function twinSchedule(python: string, cfg: ExperimentConfig, count: number) {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(cfg));
    const out = await new Deno.Command(python, {
      args: [
        TWIN,
        "--config",
        join(dir, "config.json"),
        "--print-schedule",
        "--train-count",
        `${count}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout)) as {
      lr: number[];
      warmupSteps: number;
      totalSteps: number;
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the twin's lr schedule equals the kit's warm-up + cosine step for step", async () => {
  const python = await twinPython();
  const cases: Array<[Partial<ExperimentConfig["optim"]>, number]> = [
    [{ batchSize: 16, epochs: 3, warmupEpochs: 1, minLrRatio: 0 }, 100],
    // 2.5 warm-up steps: the kit rounds half up (JS Math.round), Python's round() would not.
    [{ batchSize: 50, epochs: 4, warmupEpochs: 0.5, minLrRatio: 0.1, baseLr: 1e-3 }, 250],
    [{ batchSize: 8, epochs: 2, warmupEpochs: 2, minLrRatio: 0, lr: 3e-3 }, 20], // warm-up capped
    [{ batchSize: 10, epochs: 1, warmupEpochs: 0, minLrRatio: 0 }, 35], // no warm-up
  ];
  for (const [optim, count] of cases) {
    const cfg = defaultExperiment();
    cfg.optim = { ...cfg.optim, ...optim };
    const kit = kitSchedule(cfg, count);
    const twin = await twinSchedule(python, cfg, count);
    assert.equal(twin.lr.length, kit.length, JSON.stringify(optim));
    twin.lr.forEach((v, i) => {
      assert.ok(
        Math.abs(v - kit[i]) <= 1e-12 * Math.max(1, kit[i]),
        `step ${i}: ${v} vs ${kit[i]}`,
      );
    });
  }
});

Deno.test("deno task parity runs kit and twin on a tiny synthetic setting", async () => {
  await twinPython(); // a clear message first when the twin cannot run
  const root = await Deno.makeTempDir();
  const out = join(root, "parity");
  const parity = async () => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./parity.ts", import.meta.url).pathname,
        "--dataset",
        "synthetic",
        "--train-size",
        "64",
        "--test-size",
        "40",
        "--epochs",
        "2",
        "--arch",
        "resnet6",
        // Width 8, not 4: oneDNN 2.6.3 (the kit's native backend and Debian's torch) aborts
        // with a heap corruption training width 4 on one thread.
        "--width",
        "8",
        "--batch-size",
        "16",
        "--threads",
        "1",
        "--out",
        out,
        "--json",
      ],
      env: { KIT_CACHE_DIR: join(root, "cache"), KIT_DATA_DIR: join(root, "empty") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
  };
  try {
    const r = await parity();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /linear top-1 %/);
    const report = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    for (const sideName of ["kit", "twin"]) {
      const s = report[sideName];
      for (const k of ["linearTop1", "knnTop1", "randomInitLinearTop1", "randomInitKnnTop1"]) {
        assert.ok(s[k] >= 0 && s[k] <= 100, `${sideName}.${k} = ${s[k]}`);
      }
      assert.ok(s.trainSeconds > 0 && Number.isFinite(s.finalLoss), JSON.stringify(s));
    }
    assert.equal(
      report.gaps.linearTop1,
      Math.round((report.kit.linearTop1 - report.twin.linearTop1) * 100) / 100,
    );
    assert.equal(report.trainImages, 64);
    assert.equal(report.testImages, 40);
    assert.equal(report.synthetic, true);
    assert.equal(report.twin.threads, 1);
    // Files it promised; the image export is gone.
    for (const f of ["parity.json", "kit/config.json", "kit/result.json", "twin/result.json"]) {
      await Deno.stat(join(out, f));
    }
    await assert.rejects(Deno.stat(join(out, "data")), Deno.errors.NotFound);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, "parity.json"))), report);
    // No --temperature given: the twin trained at the kit's default temperature.
    const twinResult = JSON.parse(await Deno.readTextFile(join(out, "twin/result.json")));
    assert.equal(twinResult.temperature, SIMCLR_OPTIONS.temperature.default);

    // The twin's schedule at each epoch's last step equals the lr the kit logged there.
    const cfg = JSON.parse(await Deno.readTextFile(join(out, "kit/config.json")));
    const twin = await twinSchedule(await twinPython(), cfg, 64);
    const epochs = (await Deno.readTextFile(join(out, "kit/metrics.jsonl"))).trim().split("\n")
      .map((l) => JSON.parse(l) as { step: number; lr: number });
    assert.equal(epochs.length, 2);
    for (const e of epochs) {
      assert.ok(Math.abs(twin.lr[e.step - 1] - e.lr) < 1e-12, `step ${e.step - 1}`);
    }

    // A rerun returns both stored results instead of training again.
    const again = await parity();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /finished earlier with this config/);
    assert.match(again.stderr, /the twin finished earlier with this config; reusing its result/);
    assert.deepEqual(JSON.parse(again.stdout.trim().split("\n").at(-1)!), report);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
