import * as tf from "../tfjs.ts";
import { batchTensors } from "./method.ts";
import assert from "node:assert/strict";
import { initBackend } from "../backend/select.ts";
import { generateSynthetic } from "../data/synthetic.ts";
import { toFloatBatch } from "../augment/float_batch.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import { methodContext, tinyConfig, trainTiny } from "../testing/method_fixture.ts";
import { buildMethod } from "./all.ts";
import type { Method, StepInput } from "./method.ts";
import {
  HighPassInputEncoder,
  parseSaliencyMaskingOptions,
  SaliencyMoco,
  SaliencySimclr,
} from "./saliency_masked.ts";
import { highPass } from "../masking/mod.ts";
import { stepRng } from "../train/step_rng.ts";

await initBackend({ backend: "wasm", threads: 1 });
const data = generateSynthetic({ trainSize: 64, testSize: 16, seed: 9 });
const ctx = methodContext(data);
const N = 16;
const H = 32;

/**
 * `method` (saliency-moco with a queue of 32 unless `options` say otherwise)
 * on a one-stage ResNet, batch N, lr 1e-2, seed 13, on a 4x4 grid (8-px cells, which the
 * cell checks below assume) unless `options` set `grid` (`"auto"`: the default 7x7).
 */
function saliencyConfig(
  method: string,
  epochs: number,
  options: Record<string, unknown> = {},
): ExperimentConfig {
  const cfg = tinyConfig(
    method,
    method === "saliency-moco" ? { queueSize: 32, grid: 4, ...options } : { grid: 4, ...options },
    epochs,
    { backbone: { type: "resnet", blocks: [1], width: 4 } },
  );
  cfg.optim = { ...cfg.optim, batchSize: N, lr: 1e-2 };
  cfg.seed = 13;
  return cfg;
}

const build = (cfg: ExperimentConfig): Method => buildMethod(cfg, ctx);

function stepInput(step: number): StepInput {
  const idx = Int32Array.from({ length: N }, (_, i) => (i * 3 + step * N) % 64);
  return {
    images: toFloatBatch(data.train, idx, data.imageShape),
    labels: tf.tensor1d(Int32Array.from(idx, (i) => data.train.labels[i]), "int32"),
    rng: stepRng(21, 0, step),
    step,
    epoch: 0,
  };
}

/**
 * Cells (of a g x g grid) where `a` and `b` differ anywhere, per image:
 * returns [N][g*g] booleans.
 */
async function changedCells(a: tf.Tensor4D, b: tf.Tensor4D, g: number): Promise<boolean[][]> {
  const [n, h, w, c] = a.shape;
  const va = await a.data();
  const vb = await b.data();
  const out: boolean[][] = [];
  for (let i = 0; i < n; i++) {
    const cells = new Array<boolean>(g * g).fill(false);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const p = ((i * h + y) * w + x) * c + ch;
          if (va[p] !== vb[p]) cells[Math.floor((y * g) / h) * g + Math.floor((x * g) / w)] = true;
        }
      }
    }
    out.push(cells);
  }
  return out;
}

for (const method of ["saliency-moco", "saliency-simclr"]) {
  Deno.test(`${method} (high-pass, saliency, hard negatives) trains with a finite, decreasing loss`, async () => {
    // T 0.2: at SimCLR's 0.5 the loss of this tiny run is too flat to show a trend.
    const cfg = saliencyConfig(method, 5, method === "saliency-simclr" ? { temperature: 0.2 } : {});
    const m = build(cfg);
    const run = await trainTiny(m, cfg, { data });
    const counts = run.tensorsAfterEpoch;
    const losses = run.history.map((r) => r.loss);
    assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
    // Small noisy batches: compare the mean of the last two epochs with the first.
    const late = (losses[3] + losses[4]) / 2;
    assert.ok(late < losses[0], `loss did not decrease: ${losses}`);
    assert.deepEqual(counts.slice(1), counts.slice(0, -1), "training leaked tensors");
    console.log(`${method} losses: ${losses.map((l) => l.toFixed(4)).join(" ")}`);
    m.dispose();
  });
}

Deno.test("masking options are validated with the fix in the message", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ fill: "zero" }, /"fill" must be one of "highpass-noise", "blur", "mean", got "zero"/],
    [{ maskBranch: "value" }, /"maskBranch" must be one of "query", "key", "both", got "value"/],
    [{ where: "edges" }, /"where" must be one of .*got "edges"/],
    [{ grid: 0 }, /"grid" must be "auto" or an integer >= 1, got 0.*--option grid=/],
    [{ grid: 33 }, /"grid" must be "auto" or an integer in \[1, 32\]/],
    [{ filterScale: "224" }, /"filterScale" must be one of "image", "paper"/],
    [{ ratio: [0.3, 0.1] }, /"ratio" must be \[lo, hi\] with 0 <= lo <= hi <= 1/],
    [{ hardRatio: 0.5 }, /"hardRatio" must be \[lo, hi\]/],
    [{ hardNegatives: "yes" }, /"hardNegatives" must be true or false/],
    [{ saliencyAlpha: -1 }, /"saliencyAlpha" must be a number >= 0/],
  ];
  for (const method of ["saliency-moco", "saliency-simclr"]) {
    for (const [opts, re] of bad) {
      assert.throws(() => build(saliencyConfig(method, 1, opts)), (e: Error) => {
        assert.match(e.message, re);
        assert.ok(e.message.startsWith(method), e.message);
        return true;
      });
    }
  }
  // The MoCo options still apply underneath.
  assert.throws(() => build(saliencyConfig("saliency-moco", 1, { queueSize: 8 })), /queueSize/);
});

for (const method of ["saliency-moco", "saliency-simclr"]) {
  Deno.test(`${method}: the masked branch is the one maskBranch names, the other is the plain view`, async () => {
    for (const branch of ["query", "key", "both"]) {
      const m = build(
        saliencyConfig(method, 1, { maskBranch: branch, fill: "mean", hardNegatives: false }),
      ) as SaliencyMoco | SaliencySimclr;
      const input = stepInput(0);
      const views = m.stepViews(input);
      // Same step stream -> the same two augmented views, before any mask.
      const rng = stepRng(21, 0, 0);
      const [v1, v2] = m instanceof SaliencyMoco
        ? m.moco.makeViews({ images: input.images, rng })
        : Object.values(m.simclr.prepare({ ...input, rng })) as [tf.Tensor4D, tf.Tensor4D];
      const q = await changedCells(views.query, v1, 4);
      const k = await changedCells(views.key, v2, 4);
      const count = (cells: boolean[][]) => cells.flat().filter(Boolean).length;
      const qMasked = branch !== "key";
      const kMasked = branch !== "query";
      assert.equal(count(q) > 0, qMasked, `${branch}: query masked?`);
      assert.equal(count(k) > 0, kMasked, `${branch}: key masked?`);
      // Masked images: at most floor(0.25 * 16) = 4 cells each, filled with the image mean.
      for (const cells of [...q, ...k]) assert.ok(cells.filter(Boolean).length <= 4);
      assert.equal(views.hard, null);
      tf.dispose([v1, v2, views.query, views.key, input.images, input.labels]);
      m.dispose();
    }
  });
}

Deno.test("mean fill: masked cells hold the per-image, per-channel mean of the view", async () => {
  const m = build(saliencyConfig("saliency-moco", 1, { fill: "mean" })) as SaliencyMoco;
  const input = stepInput(1);
  const views = m.stepViews(input);
  const [v1] = m.moco.makeViews({ images: input.images, rng: stepRng(21, 0, 1) });
  const cells = await changedCells(views.query, v1, 4);
  const q = await views.query.data();
  const mean = await tf.mean(v1, [1, 2]).data();
  let checked = 0;
  for (let i = 0; i < N; i++) {
    for (let cell = 0; cell < 16; cell++) {
      if (!cells[i][cell]) continue;
      const [y, x] = [Math.floor(cell / 4) * 8 + 3, (cell % 4) * 8 + 5];
      for (let ch = 0; ch < 3; ch++) {
        const got = q[((i * H + y) * H + x) * 3 + ch];
        assert.ok(Math.abs(got - mean[i * 3 + ch]) < 1e-5);
      }
      checked++;
    }
  }
  assert.ok(checked > 0);
  tf.dispose([v1, views.query, views.key, views.hard ?? [], input.images, input.labels]);
  m.dispose();
});

Deno.test("hard negatives mask round(r |fg|) foreground cells of the key view, r in [0.4, 0.7]", async () => {
  for (const method of ["saliency-moco", "saliency-simclr"]) {
    const m = build(saliencyConfig(method, 1, { fill: "blur" })) as SaliencyMoco | SaliencySimclr;
    const input = stepInput(2);
    const views = m.stepViews(input);
    const rng = stepRng(21, 0, 2);
    const [v1, v2] = m instanceof SaliencyMoco
      ? m.moco.makeViews({ images: input.images, rng })
      : Object.values(m.simclr.prepare({ ...input, rng })) as [tf.Tensor4D, tf.Tensor4D];
    assert.ok(views.hard);
    assert.deepEqual(await views.key.data(), await v2.data(), "key branch is not masked");
    const fg = await m.masker.foreground(v2).array();
    const hardCells = await changedCells(views.hard, v2, 4);
    const background = fg.flat().filter((v) => v < 0.5).length;
    assert.ok(background > 0, "no background cell: the foreground-only check would be vacuous");
    for (let i = 0; i < N; i++) {
      const nFg = fg[i].filter((v) => v > 0.5).length;
      const masked = hardCells[i].map((c, j) => (c ? j : -1)).filter((j) => j >= 0);
      for (const j of masked) assert.equal(fg[i][j], 1, `image ${i}: background cell ${j} masked`);
      assert.ok(
        masked.length >= Math.round(0.4 * nFg) && masked.length <= Math.round(0.7 * nFg),
        `image ${i}: ${masked.length} of ${nFg} foreground cells masked`,
      );
    }
    const batch: object = m.prepare(stepInput(2));
    // saliency-moco: query, keys, hardKeys; saliency-simclr: query, key, hard.
    assert.equal(batchTensors(batch).length, 3);
    tf.dispose([v1, v2, views.query, views.key, views.hard, ...batchTensors(batch), input.images]);
    m.dispose();
  }
});

Deno.test("where=random masks floor(r L) cells anywhere, r in the ratio range", async () => {
  const m = build(
    saliencyConfig("saliency-moco", 1, {
      where: "random",
      fill: "mean",
      grid: 8,
      ratio: [0.1, 0.2],
    }),
  ) as SaliencyMoco;
  const input = stepInput(0);
  const views = m.stepViews(input);
  const [v1] = m.moco.makeViews({ images: input.images, rng: stepRng(21, 0, 0) });
  const cells = await changedCells(views.query, v1, 8);
  const counts = cells.map((c) => c.filter(Boolean).length);
  for (const c of counts) assert.ok(c >= Math.floor(0.1 * 64) && c <= Math.floor(0.2 * 64), `${c}`);
  assert.ok(new Set(counts).size > 1, "every image masked the same number of cells");
  tf.dispose([v1, views.query, views.key, views.hard ?? [], input.images, input.labels]);
  m.dispose();
});

Deno.test("high-pass fill: both branches are high-passed, and so are the evaluation inputs", async () => {
  const m = build(saliencyConfig("saliency-moco", 1, { symmetric: true })) as SaliencyMoco;
  const input = stepInput(3);
  const views = m.stepViews(input);
  const [v1, v2] = m.moco.makeViews({ images: input.images, rng: stepRng(21, 0, 3) });
  // The filter is the poster's 11 / 5 rescaled to 32 px (filterScale "image", the default).
  const f = m.masker.highPassFilter;
  assert.equal(f.kernel, 3);
  assert.ok(Math.abs(f.sigma - 5 * 32 / 224) < 1e-12);
  const hp = (x: tf.Tensor4D) => highPass(x, f.kernel, f.sigma);
  // Symmetric: keys are [plain v2; plain v1], plain = high-passed.
  const want = tf.concat([hp(v2), hp(v1)], 0);
  assert.deepEqual(await views.key.data(), await want.data());
  assert.ok(m.encoder instanceof HighPassInputEncoder);
  assert.deepEqual((m.encoder as HighPassInputEncoder).filter, f);
  const e1 = m.encoder.embed(v1, { training: false });
  const e2 = m.moco.encoder.embed(hp(v1), { training: false });
  const [a, b] = [await e1.data(), await e2.data()];
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5);
  const blur = build(saliencyConfig("saliency-moco", 1, { fill: "blur" })) as SaliencyMoco;
  assert.equal(blur.encoder, blur.moco.encoder);
  const off = build(saliencyConfig("saliency-moco", 1, { evalHighPass: false })) as SaliencyMoco;
  assert.equal(off.encoder, off.moco.encoder);
  tf.dispose([want, e1, e2, v1, v2, views.query, views.key, views.hard ?? [], input.images]);
  for (const x of [m, blur, off]) x.dispose();
});

Deno.test("saliency-moco trains only the query encoder and checkpoints the MoCo state", () => {
  const m = build(saliencyConfig("saliency-moco", 1)) as SaliencyMoco;
  assert.deepEqual([...m.state().keys()], [...m.moco.state().keys()]);
  assert.ok([...m.params().keys()].every((k) => !k.startsWith("key.")));
  assert.ok(m.state().has("queue.keys"));
  m.dispose();
});

Deno.test("saliency geometry: auto grid is the poster's 7x7 and filters scale to the image; 'paper' keeps 31/10 and 11/5", () => {
  const img = [32, 32, 3] as const;
  const scaled = parseSaliencyMaskingOptions({}, img, "saliency-moco");
  assert.equal(scaled.grid, 7);
  assert.equal(scaled.filterScale, "image");
  assert.deepEqual(scaled.blur!.kernel, 5);
  assert.ok(Math.abs(scaled.blur!.sigma - 10 * 32 / 224) < 1e-12);
  assert.deepEqual(scaled.highPass!.kernel, 3);
  const paper = parseSaliencyMaskingOptions({ filterScale: "paper" }, img, "saliency-moco");
  assert.deepEqual(paper.blur, { kernel: 31, sigma: 10 });
  assert.deepEqual(paper.highPass, { kernel: 11, sigma: 5 });
  // The kit's settings before 2026-12-03 stay reachable.
  const old = parseSaliencyMaskingOptions({ grid: 4, filterScale: "paper" }, img, "saliency-moco");
  assert.equal(old.grid, 4);
  // On 224-px images "image" and "paper" agree.
  const big = parseSaliencyMaskingOptions({}, [224, 224, 3], "saliency-moco");
  assert.deepEqual(big.blur, { kernel: 31, sigma: 10 });
  assert.deepEqual(big.highPass, { kernel: 11, sigma: 5 });
  assert.equal(big.grid, 7);
  // The blur fill carries the resolved filter.
  const m = build(
    saliencyConfig("saliency-moco", 1, { fill: "blur", grid: "auto" }),
  ) as SaliencyMoco;
  assert.equal(m.masker.options.grid, 7);
  assert.deepEqual(m.masker.maskFill, { kind: "blur", kernel: 5, sigma: 10 * (32 / 224) });
  m.dispose();
});

Deno.test("the default 7x7 grid masks floor(49 r) >= 2 cells of every view (the 4x4 grid could mask none)", async () => {
  const m = build(
    saliencyConfig("saliency-moco", 1, { where: "random", fill: "mean", grid: "auto" }),
  ) as SaliencyMoco;
  assert.equal(m.masker.options.grid, 7);
  const input = stepInput(1);
  const views = m.stepViews(input);
  const [v1] = m.moco.makeViews({ images: input.images, rng: stepRng(21, 0, 1) });
  const counts = (await changedCells(views.query, v1, 7)).map((c) => c.filter(Boolean).length);
  // r ~ U[0.05, 0.25]: floor(49 r) in [2, 12] (a mean-filled cell can equal its mean nowhere).
  for (const c of counts) assert.ok(c >= 2 && c <= 12, `${c} cells masked`);
  tf.dispose([v1, views.query, views.key, views.hard ?? [], input.images, input.labels]);
  m.dispose();
});
