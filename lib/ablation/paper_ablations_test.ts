/**
 * The paper ablations (smag-mask, smag-gating, smag-tokens, smag-learned-masks, kdc-masks,
 * saliency-branch, saliency-geometry, saliency-eval-input): every
 * arm builds a valid config and a working method under every profile, the
 * arms differ in exactly the factor each ablation varies, and the CLI's
 * dry run lists arms x seeds runs.
 */
import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { defaultExperiment, validateExperiment } from "../config/experiment.ts";
import { neckPreset } from "../config/presets.ts";
import { buildMethod } from "../methods/all.ts";
import { PAPER_TOKEN_SPECS, scaleTokenSpec } from "../masking/token_masks.ts";
import { getAblation } from "./ablations.ts";
import { armConfig } from "./runner.ts";
import { applyPatch, PROFILE_NAMES } from "./spec.ts";
import { configHash } from "../config/experiment.ts";
import { SaliencyMoco } from "../methods/saliency_masked.ts";

const NAMES = [
  "smag-mask",
  "smag-gating",
  "smag-tokens",
  "smag-learned-masks",
  "kdc-masks",
  "saliency-branch",
  "saliency-geometry",
  "saliency-eval-input",
] as const;
const ctx = {
  imageShape: [32, 32, 3] as [number, number, number],
  stats: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  numClasses: 10,
};

Deno.test("paper ablations: every arm gives a valid config under every profile and builds its method (tiny, quick)", async () => {
  await tf.setBackend("cpu");
  for (const name of NAMES) {
    const spec = await getAblation(name);
    for (const arm of spec.arms) {
      for (const profile of PROFILE_NAMES) {
        const cfg = armConfig(spec, arm.name, 0, profile);
        validateExperiment(cfg);
        if (profile === "paper") continue; // ResNet-18 width 64: same code path, costly to allocate
        const method = buildMethod(cfg, ctx);
        assert.ok(method.params().size > 0, `${name}/${arm.name}/${profile}: no parameters`);
        method.dispose();
      }
    }
  }
});

Deno.test("paper ablations: arms differ only in the factor each ablation varies", async () => {
  const strip = (cfg: ReturnType<typeof armConfig>, drop: (c: typeof cfg) => void) => {
    const c = structuredClone(cfg);
    drop(c);
    return c;
  };
  const factor: Record<(typeof NAMES)[number], (c: ReturnType<typeof armConfig>) => void> = {
    "smag-mask": (c) => {
      c.methodOptions = {};
    },
    "smag-gating": (c) => {
      c.encoder.neck = { type: "any" };
    },
    "smag-tokens": (c) => {
      delete c.methodOptions.tokenSize;
      delete c.methodOptions.tokenCount;
    },
    "smag-learned-masks": (c) => {
      delete c.methodOptions.mask;
      delete c.methodOptions.grid;
      delete c.methodOptions.generator;
      delete c.methodOptions.lambdaMask;
    },
    "kdc-masks": (c) => {
      c.methodOptions = {};
    },
    "saliency-branch": (c) => {
      c.method = "any";
      c.methodOptions = {};
    },
    "saliency-geometry": (c) => {
      delete c.methodOptions.grid;
      delete c.methodOptions.filterScale;
    },
    "saliency-eval-input": (c) => {
      delete c.methodOptions.evalHighPass;
    },
  };
  for (const name of NAMES) {
    const spec = await getAblation(name);
    for (const profile of PROFILE_NAMES) {
      const configs = spec.arms.map((a) => armConfig(spec, a.name, 1, profile));
      const rest = configs.map((c) => JSON.stringify(strip(c, factor[name])));
      assert.ok(rest.every((r) => r === rest[0]), `${name}/${profile}: arms differ elsewhere`);
      const whole = new Set(configs.map((c) => JSON.stringify(c)));
      assert.equal(whole.size, spec.arms.length, `${name}/${profile}: two arms are identical`);
    }
  }
});

Deno.test("smag-tokens arms are the paper's Table 3 grid at equal masked-area fraction on 32x32", async () => {
  const spec = await getAblation("smag-tokens");
  assert.equal(spec.arms.length, PAPER_TOKEN_SPECS.length);
  for (const paper of PAPER_TOKEN_SPECS) {
    const arm = spec.arms.find((a) => a.name === `size${paper.tokenSize}-count${paper.tokenCount}`);
    assert.ok(arm, `no arm for ${paper.tokenSize}/${paper.tokenCount}`);
    const opts = armConfig(spec, arm.name, 0, "quick").methodOptions;
    const want = scaleTokenSpec(paper, 32);
    assert.equal(opts.tokenSize, want.tokenSize);
    assert.equal(opts.tokenCount, want.tokenCount);
    assert.ok(Math.abs(want.maskedFraction - want.paperMaskedFraction) < 0.01);
  }
});

Deno.test("smag-mask monitors kNN accuracy in every profile", async () => {
  const spec = await getAblation("smag-mask");
  for (const profile of PROFILE_NAMES) {
    for (const arm of spec.arms) {
      const every = armConfig(spec, arm.name, 0, profile).eval.monitorEvery ?? 0;
      assert.ok(every > 0, `${arm.name}/${profile}: monitorEvery ${every}`);
    }
  }
});

Deno.test("deno task ablate <name> --dry-run lists arms x seeds runs for each paper ablation", async () => {
  const out = await Deno.makeTempDir();
  for (const name of NAMES) {
    const spec = await getAblation(name);
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "cli/ablate.ts",
        name,
        "--profile",
        "quick",
        "--dry-run",
        "--out",
        `${out}/${name}`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, text);
    const runs = spec.arms.length * spec.seeds;
    assert.match(text, new RegExp(`${runs} runs: 0 cached, 0 to resume, ${runs} to run`));
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("the S-MAG ablations take their necks from lib/config/presets.ts", async () => {
  const gating = await getAblation("smag-gating");
  const necks = gating.arms.map((arm) => applyPatch(defaultExperiment(), arm.patch).encoder.neck);
  assert.deepEqual(necks, [
    neckPreset("gap"),
    neckPreset("sam"),
    neckPreset("gam"),
    neckPreset("hsagm", 256),
  ]);
  for (const name of ["smag-mask", "smag-tokens"]) {
    for (const arm of (await getAblation(name)).arms) {
      assert.deepEqual(applyPatch(defaultExperiment(), arm.patch).encoder.neck, neckPreset("gam"));
    }
  }
});

Deno.test("smag-learned-masks: random grid cells are feature cells, every arm masks half", async () => {
  const spec = await getAblation("smag-learned-masks");
  for (const profile of PROFILE_NAMES) {
    const cfgs = spec.arms.map((a) => armConfig(spec, a.name, 0, profile));
    for (const cfg of cfgs) assert.equal(cfg.methodOptions.ratio, 0.5);
    const blocks = cfgs[0].encoder.backbone.blocks as number[];
    assert.equal(cfgs[0].methodOptions.mask, "grid");
    assert.equal(cfgs[0].methodOptions.grid, 32 / 2 ** (blocks.length - 1), profile);
    assert.deepEqual(cfgs.slice(1).map((c) => c.methodOptions.generator), ["conv", "mlp", "conv"]);
    // Only the budget arm changes the budget weight (the others keep the smag default, 1).
    assert.deepEqual(cfgs.map((c) => c.methodOptions.lambdaMask), [1, 1, 1, 10]);
  }
});

Deno.test("kdc-masks has the lambda_kd 0 (CAV-MAE) arm; its learned weights are L_c and L_kd's", async () => {
  const spec = await getAblation("kdc-masks");
  const opts = (arm: string) => armConfig(spec, arm, 0, "quick").methodOptions;
  assert.equal(opts("dual-compl-kd0").lambdaKd, 0);
  assert.equal(opts("dual-compl-kd0").masks, "complementary");
  assert.equal(opts("dual-compl").lambdaKd, 10, "the baseline is lambda_kd 10");
  assert.equal(opts("dual-compl-dw").learnedTerms, "con-kd");
  assert.equal(opts("dual-compl").weights, "static", "the static arms learn no weights");
});

Deno.test("kdc-masks is evaluated like KDC-MAE's tables: fine-tuning first, on every profile", async () => {
  const spec = await getAblation("kdc-masks");
  assert.equal(spec.metrics[0], "finetuneTop1");
  for (const profile of PROFILE_NAMES) {
    for (const arm of spec.arms) {
      const labels = armConfig(spec, arm.name, 0, profile).eval.finetuneLabels;
      assert.ok(labels !== undefined && labels > 0, `${arm.name}/${profile}: no fine-tuning`);
    }
  }
});

Deno.test("kdc-loss-weights varies only lambda_c and lambda_kd around the paper's weights", async () => {
  const spec = await getAblation("kdc-loss-weights");
  const configs = spec.arms.map((a) => armConfig(spec, a.name, 0, "10k-5ep"));
  const rest = configs.map((c) => {
    const { lambdaC: _c, lambdaKd: _kd, ...others } = c.methodOptions;
    return JSON.stringify({ ...c, methodOptions: others });
  });
  assert.ok(rest.every((r) => r === rest[0]), "arms differ beyond the two weights");
  const weights = configs.map((c) => [c.methodOptions.lambdaC, c.methodOptions.lambdaKd]);
  assert.deepEqual(weights[0], [0.01, 10], "the baseline arm has the paper's weights");
  assert.equal(new Set(weights.map((w) => w.join())).size, weights.length);
  assert.equal(configs[0].optim.epochs, 5);
  assert.equal(spec.baseline, spec.arms[0].name);
});

Deno.test("saliency-branch compares every masked branch with unmasked MoCo v2", async () => {
  const spec = await getAblation("saliency-branch");
  assert.equal(spec.baseline, "mocov2");
  assert.equal(armConfig(spec, "mocov2", 0, "quick").method, "moco-v2");
  for (const b of ["query", "key", "both"]) {
    const cfg = armConfig(spec, b, 0, "quick");
    assert.equal(cfg.method, "saliency-moco");
    assert.equal(cfg.methodOptions.maskBranch, b);
  }
});

Deno.test("saliency-eval-input: its baseline is saliency-branch's query arm; only the evaluated encoder differs", async () => {
  await tf.setBackend("cpu");
  const spec = await getAblation("saliency-eval-input");
  const branch = await getAblation("saliency-branch");
  for (const profile of PROFILE_NAMES) {
    assert.equal(
      await configHash(armConfig(spec, "highpass-eval", 2, profile)),
      await configHash(armConfig(branch, "query", 2, profile)),
      `${profile}: highpass-eval must be the query arm's config, so its runs are reused`,
    );
  }
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  const features = (arm: string) => {
    const cfg = armConfig(spec, arm, 0, "tiny");
    const method = buildMethod(cfg, ctx);
    assert.ok(method instanceof SaliencyMoco, `${arm}: ${method.name}, not saliency-moco`);
    const ctxEval = { training: false };
    const evaluated = method.encoder.embed(x, ctxEval).arraySync();
    const trained = method.moco.encoder.embed(x, ctxEval).arraySync();
    method.dispose();
    return { evaluated, trained };
  };
  const plain = features("plain-eval");
  const highpass = features("highpass-eval");
  assert.deepEqual(plain.trained, highpass.trained, "same seed: the same initial encoder");
  assert.deepEqual(plain.evaluated, plain.trained, "plain-eval evaluates the encoder on x");
  assert.notDeepEqual(highpass.evaluated, highpass.trained, "highpass-eval high-passes x first");
  x.dispose();
});
