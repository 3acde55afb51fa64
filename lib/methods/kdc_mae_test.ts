import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { initBackend } from "../backend/select.ts";
import { Rng } from "../rng.ts";
import { buildTiny, randomStepInput, tinyConfig, trainTiny } from "../testing/method_fixture.ts";
import { KdcMae, visibleMean } from "./kdc_mae.ts";
import { batchTensors } from "./method.ts";

await initBackend({ backend: "wasm", threads: 1 });

for (
  const [label, options] of [
    ["2 complementary streams", {}],
    ["3 complementary streams, js", { streams: 3, kd: "js" }],
    ["2 overlapping streams", { masks: "overlap" }],
    ["8-px patches over a stride-2 map, js, lambdaKd 1", { patch: 8, kd: "js", lambdaKd: 1 }],
    ["learned weights", { weights: "learned" }],
  ] as const
) {
  Deno.test(`kdc-mae (${label}) trains with a finite, decreasing loss and no leak`, async () => {
    const cfg = tinyConfig("kdc-mae", { ...options }, 4);
    const m = buildTiny(cfg);
    const run = await trainTiny(m, cfg);
    const losses = run.history.map((r) => r.loss);
    assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
    // lambda_kd = 10 makes the epoch loss noisy at this size: compare the last two epochs' mean.
    assert.ok((losses[2] + losses[3]) / 2 < losses[0], `loss did not decrease: ${losses}`);
    assert.deepEqual(run.tensorsAfterEpoch.slice(1), run.tensorsAfterEpoch.slice(0, -1));
    for (const r of run.history) {
      for (const t of ["rec", "con", "kd"]) assert.ok(Number.isFinite(r.metrics[t]), t);
    }
    // The reconstruction term itself improves.
    assert.ok(run.history.at(-1)!.metrics.rec < run.history[0].metrics.rec);
    m.dispose();
  });
}

Deno.test("kdc-mae: learned weights of L_c and L_kd (paper) are parameters, start at the lambdas, and move; L_r stays 1", async () => {
  const cfg = tinyConfig("kdc-mae", { weights: "learned", lambdaC: 0.5, lambdaKd: 4 }, 1);
  const m = buildTiny(cfg) as KdcMae;
  assert.deepEqual([...m.learnedTerms], ["con", "kd"]);
  for (const t of ["con", "kd"]) {
    assert.ok(m.params().has(`lossWeights.${t}`), `lossWeights.${t} not trainable`);
    assert.ok(m.state().has(`lossWeights.${t}`), `lossWeights.${t} not checkpointed`);
  }
  assert.ok(!m.params().has("lossWeights.rec"), "the paper learns no weight for L_r");
  const w = (t: string) => Math.exp(-m.params().get(`lossWeights.${t}`)!.dataSync()[0]);
  assert.ok(Math.abs(w("con") - 0.5) < 1e-6);
  assert.ok(Math.abs(w("kd") - 4) < 1e-5);
  // The loss is L_r + sum_{c,kd} exp(-s_i) L_i + s_i.
  const batch = m.prepare(randomStepInput(3));
  const out = m.loss(batch);
  const metrics = out.metrics!;
  const v = (t: tf.Scalar) => t.dataSync()[0];
  const want = v(metrics.rec) + 0.5 * v(metrics.con) - Math.log(0.5) +
    4 * v(metrics.kd) - Math.log(4);
  assert.ok(Math.abs(v(out.loss) - want) < 1e-4 * Math.max(1, Math.abs(want)), `${v(out.loss)}`);
  assert.equal(metrics.w_rec, undefined);
  tf.dispose([out.loss, ...Object.values(metrics)]);
  tf.dispose(batchTensors(batch));
  const run = await trainTiny(m, cfg);
  assert.ok(Math.abs(run.history[0].metrics.w_con - 0.5) < 0.1);
  assert.notEqual(w("con"), 0.5);
  m.dispose();
});

Deno.test("kdc-mae: learnedTerms 'all' (the kit's earlier form) also learns the weight of L_r", () => {
  const cfg = tinyConfig(
    "kdc-mae",
    { weights: "learned", learnedTerms: "all", lambdaC: 0.5, lambdaKd: 4 },
    1,
  );
  const m = buildTiny(cfg) as KdcMae;
  assert.deepEqual([...m.learnedTerms], ["rec", "con", "kd"]);
  for (const t of ["rec", "con", "kd"]) assert.ok(m.params().has(`lossWeights.${t}`), t);
  assert.equal(Math.exp(-m.params().get("lossWeights.rec")!.dataSync()[0]), 1);
  const static_ = buildTiny(tinyConfig("kdc-mae", {}, 1)) as KdcMae;
  assert.deepEqual([...static_.learnedTerms], []);
  m.dispose();
  static_.dispose();
});

for (const streams of [2, 3]) {
  Deno.test(`kdc-mae: ${streams} complementary streams see disjoint visible patches and cells`, () => {
    for (const seed of [1, 2]) {
      // Stride-4 backbone: 8x8 feature map under 8-px patches (4x4 grid), 2x2 cells per patch.
      const cfg = tinyConfig("kdc-mae", { streams, patch: 8 }, 1, {
        backbone: { type: "resnet", blocks: [1, 1, 1], width: 4 },
      });
      const m = buildTiny(cfg) as KdcMae;
      const input = randomStepInput(seed);
      const batch = m.prepare(input);
      const { view, masked, patchMask, cells } = batch;
      const n = view.shape[0];
      assert.deepEqual(masked.shape, [streams * n, 32, 32, 3]);
      assert.deepEqual(patchMask.shape, [streams * n, 16]);
      assert.deepEqual(cells.shape, [streams * n, 64]);
      const pm = patchMask.dataSync();
      const cm = cells.dataSync();
      const px = masked.dataSync();
      const vx = view.dataSync();
      for (let i = 0; i < n; i++) {
        const patchUse = new Array(16).fill(0);
        const cellUse = new Array(64).fill(0);
        for (let s = 0; s < streams; s++) {
          const row = s * n + i;
          let kept = 0;
          for (let l = 0; l < 16; l++) {
            patchUse[l] += pm[row * 16 + l];
            kept += pm[row * 16 + l];
            // Pixels: a visible patch shows the view, a masked one the zero fill.
            const [py, pxx] = [Math.floor(l / 4) * 8 + 3, (l % 4) * 8 + 5];
            const o = ((row * 32 + py) * 32 + pxx) * 3;
            const ov = ((i * 32 + py) * 32 + pxx) * 3;
            assert.equal(px[o], pm[row * 16 + l] === 1 ? vx[ov] : 0);
          }
          assert.equal(kept, 4); // ratio 0.75 of 16 patches
          for (let c = 0; c < 64; c++) {
            cellUse[c] += cm[row * 64 + c];
            const patch = Math.floor(Math.floor(c / 8) / 2) * 4 + Math.floor((c % 8) / 2);
            assert.equal(cm[row * 64 + c], pm[row * 16 + patch]);
          }
        }
        assert.ok(patchUse.every((u) => u <= 1), `image ${i}: a patch is visible twice`);
        assert.ok(cellUse.every((u) => u <= 1), `image ${i}: a cell is visible twice`);
        assert.equal(patchUse.reduce((a, b) => a + b, 0), 4 * streams);
      }
      tf.dispose([...batchTensors(batch), input.images, input.labels]);
      m.dispose();
    }
  });
}

Deno.test("kdc-mae: visibleMean averages exactly the visible cells", () => {
  const rng = new Rng(9);
  for (let trial = 0; trial < 4; trial++) {
    const fmapVals = Float32Array.from({ length: 2 * 3 * 3 * 2 }, () => rng.gaussian());
    const cellVals = Float32Array.from({ length: 2 * 9 }, () => (rng.bernoulli(0.5) ? 1 : 0));
    cellVals[0] = 1;
    const got = visibleMean(tf.tensor4d(fmapVals, [2, 3, 3, 2]), tf.tensor2d(cellVals, [2, 9]))
      .dataSync();
    for (let i = 0; i < 2; i++) {
      for (let c = 0; c < 2; c++) {
        let sum = 0, count = 0;
        for (let k = 0; k < 9; k++) {
          if (cellVals[i * 9 + k] === 1) {
            sum += fmapVals[(i * 9 + k) * 2 + c];
            count++;
          }
        }
        assert.ok(Math.abs(got[i * 2 + c] - (count ? sum / count : 0)) < 1e-5);
      }
    }
  }
});

Deno.test("kdc-mae: bad options fail with messages that name the option and the fix", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ratio: 0.4 }, /complementary masks for 2 streams need ratio >= 0\.500/],
    [{ streams: 3, ratio: 0.6 }, /complementary masks for 3 streams need ratio >= 0\.667/],
    [{ streams: 4 }, /option "streams" must be one of "2", "3"/],
    [{ masks: "random" }, /option "masks" must be one of "complementary", "overlap"/],
    [{ patch: 5 }, /patch 5 does not divide the 32x32 images/],
    [{ kd: "mse" }, /option "kd" must be one of "kl", "js"/],
    [{ weights: "dynamic" }, /option "weights" must be one of "static", "learned"/],
    [{ weights: "learned", lambdaC: 0 }, /learned weights start from lambdaC and lambdaKd/],
    [{ normPixLoss: "yes" }, /option "normPixLoss" must be true or false/],
    [{ temperature: -1 }, /option "temperature" must be a number > 0/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => buildTiny(tinyConfig("kdc-mae", options, 1)), message);
  }
  // 3 overlapping streams at a low ratio are fine.
  buildTiny(tinyConfig("kdc-mae", { streams: 3, masks: "overlap", ratio: 0.3 }, 1)).dispose();
});
