import assert from "node:assert/strict";
import { defaultExperiment } from "../lib/config/experiment.ts";
import { registerNativeBackend } from "../lib/backend/native/register.ts";
import { main, type MethodProfile } from "./method_profile.ts";
import { capturedLines } from "./capture_log.ts";
import { UsageError } from "./args.ts";

const native = (await registerNativeBackend()).available;

/** Runs `main` with console.log captured; returns the printed lines. */
const captured = (args: string[]) => capturedLines(main, args);

/** A tiny saliency-moco config on the synthetic data (saliency, blur, gathers, a split). */
async function tinyConfig(): Promise<string> {
  const cfg = defaultExperiment();
  cfg.method = "saliency-moco";
  cfg.methodOptions = { queueSize: 64, hardNegatives: true };
  cfg.data = { dataset: "synthetic", trainSize: 64, testSize: 10 };
  cfg.encoder.backbone = { ...cfg.encoder.backbone, width: 4 };
  cfg.optim = { ...cfg.optim, batchSize: 16 };
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(path, JSON.stringify(cfg));
  return path;
}

Deno.test({
  name: "method-profile runs a config with and without the JS-loop kernels: same losses",
  ignore: !native,
  fn: async () => {
    const config = await tinyConfig();
    const lines = await captured([
      "--config",
      config,
      "--steps",
      "2",
      "--reps",
      "2",
      "--compare",
      "js-loops",
      "--json",
    ]);
    const p = JSON.parse(lines.join("\n")) as MethodProfile;
    assert.deepEqual(Object.keys(p.sides), ["native", "without 11 kernels"]);
    const [a, b] = Object.values(p.sides);
    assert.equal(a.length, 2);
    assert.deepEqual(a.map((r) => r.loss), b.map((r) => r.loss), "bit-identical losses");
    // The native side ran the JS-loop kernels; the other ran their cpu kernels.
    const names = (side: typeof a) => side[0].kernels.map(([k]) => k);
    assert.ok(names(a).includes("MirrorPad"), names(a).join(", "));
    assert.ok(names(b).includes("MirrorPad (disabled)"), names(b).join(", "));
    assert.ok(a[0].phaseMs.views > 0 && a[0].phaseMs.backward > 0);
    await Deno.remove(config.replace(/\/config.json$/, ""), { recursive: true });
  },
});

Deno.test({
  name:
    "method-profile --compare bn-relu: fused batch norm + ReLU against the two ops, same losses",
  ignore: !native,
  fn: async () => {
    const config = await tinyConfig();
    const lines = await captured([
      "--config",
      config,
      "--steps",
      "2",
      "--reps",
      "2",
      "--compare",
      "bn-relu",
      "--json",
    ]);
    const p = JSON.parse(lines.join("\n")) as MethodProfile;
    assert.deepEqual(Object.keys(p.sides), ["native", "batch norm, then ReLU"]);
    const [a, b] = Object.values(p.sides);
    assert.deepEqual(a.map((r) => r.loss), b.map((r) => r.loss), "bit-identical losses");
    const names = (side: typeof a) => side[0].kernels.map(([k]) => k);
    assert.ok(names(a).includes("KitBatchNormReluTrainGrad"), names(a).join(", "));
    assert.ok(!names(b).some((k) => k.startsWith("KitBatchNormRelu")), names(b).join(", "));
    await Deno.remove(config.replace(/\/config.json$/, ""), { recursive: true });
  },
});

Deno.test({
  name: "method-profile prints phase and kernel tables, and names bad kernels and configs",
  ignore: !native,
  fn: async () => {
    const config = await tinyConfig();
    const out = `${config.replace(/config.json$/, "")}profile.json`;
    const lines = await captured(["--config", config, "--steps", "1", "--top", "3", "--out", out]);
    const text = lines.join("\n");
    const saved = JSON.parse(await Deno.readTextFile(out)) as MethodProfile;
    assert.equal(saved.sides.native[0].phaseMs.views > 0, true);
    assert.match(text, /saliency-moco, 1 steps of 16 images/);
    assert.match(text, /\| views \| \d+ \|/);
    assert.match(text, /kernels, native/);
    await assert.rejects(
      () => main(["--config", config, "--compare", "NoSuchKernel"]),
      /NoSuchKernel is not a native kernel.*SplitV/s,
    );
    await assert.rejects(() => main(["--config", "/nonexistent.json"]), UsageError);
    await Deno.remove(config.replace(/\/config.json$/, ""), { recursive: true });
  },
});

Deno.test({
  name: "method-profile builds an ablation arm's config, and names missing or unknown arms",
  ignore: !native,
  fn: async () => {
    const lines = await captured([
      "--ablation",
      "saliency-how",
      "--arm",
      "blur",
      "--profile",
      "tiny",
      "--steps",
      "1",
      "--json",
    ]);
    const p = JSON.parse(lines.join("\n")) as MethodProfile;
    assert.equal(p.method, "saliency-moco");
    assert.equal(p.config, "saliency-how/blur (tiny)");
    await assert.rejects(() => main(["--ablation", "saliency-how"]), /needs --arm, one of mocov2/);
    await assert.rejects(
      () => main(["--ablation", "saliency-how", "--arm", "nope", "--profile", "tiny"]),
      /no arm "nope"/,
    );
    await assert.rejects(() => main(["--steps", "1"]), /give --config <file> or --ablation/);
  },
});
