import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { batchTensors } from "./method.ts";
import { initBackend } from "../backend/select.ts";
import { buildTiny, randomStepInput, tinyConfig, trainTiny } from "../testing/method_fixture.ts";
import { Smag } from "./smag.ts";
import type { GatedAttentionPool } from "../models/gated_attention_pool.ts";

await initBackend({ backend: "wasm", threads: 1 });

const GAM = { type: "gam", hidden: 8 };

for (
  const [label, options, neck] of [
    ["no mask, gap neck", { mask: "none" }, { type: "gap" }],
    ["token mask, gap neck", { mask: "token", tokenSize: 4, tokenCount: 20 }, { type: "gap" }],
    ["token mask, gam neck", { mask: "token", tokenSize: 4, tokenCount: 20 }, GAM],
    ["grid mask on both views, gam neck, with L_cls", {
      mask: "grid",
      ratio: 0.5,
      grid: 4,
      maskViews: "both",
      lambdaCls: 0.5,
    }, GAM],
  ] as const
) {
  Deno.test(`smag (${label}) trains with a finite, decreasing loss and no leak`, async () => {
    const cfg = tinyConfig("smag", { ...options }, 10, { neck: { ...neck } });
    const m = buildTiny(cfg);
    const run = await trainTiny(m, cfg);
    const losses = run.history.map((r) => r.loss);
    assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
    // Epoch losses of a 16-image-batch contrastive loss are noisy: compare halves.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(
      mean(losses.slice(-3)) < mean(losses.slice(0, 3)),
      `loss did not decrease: ${losses}`,
    );
    assert.deepEqual(run.tensorsAfterEpoch.slice(1), run.tensorsAfterEpoch.slice(0, -1));
    const metrics = run.history[0].metrics;
    assert.equal("ssl" in metrics && "cls" in metrics, "lambdaCls" in options);
    // Every masked arm logs how much of the mask the neck saw.
    const masked = options.mask !== "none";
    assert.equal("visibleCells" in metrics && "noVisibleCell" in metrics, masked);
    if (masked) {
      assert.ok(metrics.visibleCells > 0 && metrics.visibleCells < 1, `${metrics.visibleCells}`);
      assert.ok(metrics.noVisibleCell >= 0 && metrics.noVisibleCell <= 1);
    }
    m.dispose();
  });
}

Deno.test("smag: visibleCells / noVisibleCell describe the masked view's cells; cellVisibleAbove sets the rule", () => {
  for (const above of [0.5, 0]) {
    const cfg = tinyConfig(
      "smag",
      { mask: "token", tokenSize: 3, tokenCount: 60, cellVisibleAbove: above },
      1,
      { neck: { ...GAM } },
    );
    const m = buildTiny(cfg) as Smag;
    assert.equal(m.cellVisibleAbove, above);
    const input = randomStepInput(5, 8, { randomLabels: true });
    const batch = m.prepare(input);
    const cells = batch.tokenMask!.dataSync();
    const per = cells.length / 16; // 2N rows, view 1 first
    const view1 = Array.from(cells.slice(0, 8 * per));
    const out = m.loss(batch, input);
    const got = out.metrics!;
    const want = view1.reduce((a, b) => a + b, 0) / view1.length;
    assert.ok(Math.abs(got.visibleCells.dataSync()[0] - want) < 1e-6);
    let none = 0;
    for (let i = 0; i < 8; i++) {
      if (view1.slice(i * per, (i + 1) * per).every((v) => v === 0)) none++;
    }
    assert.ok(Math.abs(got.noVisibleCell.dataSync()[0] - none / 8) < 1e-6);
    if (above === 0) assert.ok(want > 0.5, `any-pixel rule: ${want} visible`);
    tf.dispose([
      out.loss,
      ...Object.values(got),
      ...batchTensors(batch),
      input.images,
      input.labels,
    ]);
    m.dispose();
  }
});

Deno.test("smag: the token mask reaching the neck marks exactly the mostly-masked cells", () => {
  for (const seed of [1, 2, 3]) {
    const cfg = tinyConfig(
      "smag",
      { mask: "token", tokenSize: 3, tokenCount: 40, maskViews: "both" },
      1,
      { neck: { ...GAM } },
    );
    const m = buildTiny(cfg) as Smag;
    const input = randomStepInput(seed, 8, { randomLabels: true });
    const batch = m.prepare(input);
    const { v1, v2 } = batch;
    const tokenMask = batch.tokenMask!;
    assert.deepEqual(tokenMask.shape, [16, 16 * 16]);
    // Zero fill: a masked pixel is exactly 0 in every channel (a kept one almost never is).
    const pix = tf.concat([v1, v2], 0).dataSync();
    const cells = tokenMask.dataSync();
    let masked = 0;
    for (let img = 0; img < 16; img++) {
      for (let cy = 0; cy < 16; cy++) {
        for (let cx = 0; cx < 16; cx++) {
          let zero = 0;
          for (let dy = 0; dy < 2; dy++) {
            for (let dx = 0; dx < 2; dx++) {
              const o = ((img * 32 + cy * 2 + dy) * 32 + cx * 2 + dx) * 3;
              if (pix[o] === 0 && pix[o + 1] === 0 && pix[o + 2] === 0) zero++;
            }
          }
          const visible = cells[img * 256 + cy * 16 + cx];
          assert.equal(visible, zero >= 2 ? 0 : 1, `image ${img} cell ${cy},${cx}`);
          if (visible === 0) masked++;
        }
      }
    }
    assert.ok(masked > 100, "the test masks too little to mean anything");

    // Spy on the neck: loss() must hand it this very mask, and GAM gives masked cells weight 0.
    const neck = m.encoder.neck as GatedAttentionPool;
    const seen: tf.Tensor2D[] = [];
    const original = neck.apply.bind(neck);
    neck.apply = (fmap, ctx, mask) => {
      if (mask) seen.push(tf.keep(mask.clone()));
      const attention = neck.attention(fmap, ctx, mask);
      const a = attention.dataSync();
      attention.dispose();
      for (let i = 0; i < cells.length; i++) {
        if (cells[i] === 0) assert.equal(a[i], 0, `masked cell ${i} got attention ${a[i]}`);
      }
      return original(fmap, ctx, mask);
    };
    tf.tidy(() => m.loss(batch, input).loss);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].dataSync(), cells);
    tf.dispose([...seen, ...batchTensors(batch), input.images, input.labels]);
    m.dispose();
  }
});

Deno.test("smag: maskViews one masks view 1 only (view 2 all-visible to the neck)", () => {
  const cfg = tinyConfig("smag", { mask: "grid", ratio: 0.5, grid: 4 }, 1);
  const m = buildTiny(cfg) as Smag;
  const input = randomStepInput(4, 8, { randomLabels: true });
  const batch = m.prepare(input);
  const mask = Array.from(batch.tokenMask!.dataSync());
  const half = mask.length / 2;
  // View 1: 8 of the 16 grid cells (each 8x8 px = 4x4 feature cells) are masked.
  assert.equal(mask.slice(0, half).reduce((a, b) => a + b, 0), half / 2);
  assert.ok(mask.slice(half).every((v) => v === 1));
  tf.dispose([...batchTensors(batch), input.images, input.labels]);
  m.dispose();
});

Deno.test("smag: auto token spec rescales the paper's Fig. 4 setting to 32x32", () => {
  const m = buildTiny(tinyConfig("smag", {}, 1)) as Smag;
  assert.deepEqual(m.mask, { kind: "token", tokenSize: 3, tokenCount: 171 });
  m.dispose();
});

Deno.test("smag: bad options fail with messages that name the option and the fix", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { mask: "random" },
      /option "mask" must be one of "none", "token", "grid", "learned".*--option mask=/,
    ],
    [{ temperature: 0 }, /option "temperature" must be a number > 0/],
    [{ tokenSize: 40, tokenCount: 3 }, /option "tokenSize" must be .*<= 32/],
    [{ tokenSize: "auto", tokenCount: 5 }, /"tokenSize" is "auto" but "tokenCount" is fixed/],
    [{ mask: "grid", ratio: 1 }, /option "ratio" must be a number >= 0 < 1/],
    [{ fill: "purple" }, /option "fill" must be one of zero, noise/],
    [{ fill: { kind: "noise" } }, /noise fill with a "std" field/],
    [{ maskViews: "two" }, /option "maskViews" must be one of "one", "both"/],
    [{ lambdaCls: -1 }, /option "lambdaCls" must be a number >= 0/],
    [{ lamdaCls: 1 }, /has no option\(s\) lamdaCls/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => buildTiny(tinyConfig("smag", options, 1)), message);
  }
  const noHead = tinyConfig("smag", {}, 1);
  delete noHead.encoder.head;
  assert.throws(() => buildTiny(noHead), /no head; S-MAG needs the projection head/);
});

for (const [generator, neck] of [["conv", { type: "gap" }], ["mlp", GAM]] as const) {
  Deno.test(`smag learned mask (${generator}): trains, logs the budget, leaks nothing`, async () => {
    const cfg = tinyConfig("smag", { mask: "learned", generator, ratio: 0.4 }, 2, {
      neck: { ...neck },
    });
    const m = buildTiny(cfg) as Smag;
    const names = [...m.params().keys()].filter((k) => k.startsWith("smag.maskGenerator."));
    assert.ok(names.length > 0, "the generator's parameters must be trained");
    assert.ok(names.every((k) => m.state().has(k)), "and checkpointed");
    const before = names.map((k) => m.params().get(k)!.dataSync().slice());
    const run = await trainTiny(m, cfg);
    assert.ok(run.history.every((r) => Number.isFinite(r.loss)));
    const metrics = run.history[0].metrics;
    assert.ok(
      metrics.maskedFraction > 0 && metrics.maskedFraction < 1,
      `${metrics.maskedFraction}`,
    );
    assert.ok(Math.abs(metrics.ssl + metrics.budget - run.history[0].loss) < 1e-4);
    names.forEach((k, i) =>
      assert.notDeepEqual(m.params().get(k)!.dataSync(), before[i], `${k} did not move`)
    );
    assert.deepEqual(run.tensorsAfterEpoch.slice(1), run.tensorsAfterEpoch.slice(0, -1));
    m.dispose();
  });
}

Deno.test("smag learned mask: the generator ascends the InfoNCE term the encoder descends", () => {
  // With lambdaMask 0 the generator's only gradient is the reversed InfoNCE gradient.
  const cfg = tinyConfig("smag", { mask: "learned", lambdaMask: 0 }, 1);
  const m = buildTiny(cfg) as Smag;
  const input = randomStepInput(3, 8);
  const batch = m.prepare(input);
  const name = "smag.maskGenerator.conv1.bias";
  const bias = m.params().get(name)!;
  const { grads } = tf.variableGrads(() => m.loss(batch, input).loss, [bias]);
  const g = grads[bias.name].dataSync()[0];
  // Raising the bias keeps more pixels; reversed, the generator's gradient has the opposite sign
  // of the loss's derivative, measured by finite differences of the (unreversed) loss.
  const at = (delta: number) => {
    const old = bias.dataSync().slice();
    bias.assign(tf.add(bias, delta));
    const v = tf.tidy(() => m.loss(batch, input).loss.dataSync()[0]);
    bias.assign(tf.tensor(old, bias.shape));
    return v;
  };
  const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
  assert.ok(Math.abs(fd) > 1e-6, `the loss does not depend on the mask (fd ${fd})`);
  assert.ok(Math.sign(g) === -Math.sign(fd), `gradient ${g} vs finite difference ${fd}`);
  tf.dispose([...Object.values(grads), ...batchTensors(batch), input.images, input.labels]);
  m.dispose();
});

Deno.test("smag learned mask: the mlp generator (F3) needs a neck with attention", () => {
  assert.throws(
    () => buildTiny(tinyConfig("smag", { mask: "learned", generator: "mlp" }, 1)),
    /option "generator" must be "conv", or "mlp" with a neck that has an attention map/,
  );
});
