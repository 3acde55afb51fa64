import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
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
    const cfg = tinyConfig("smag", { ...options }, 6, { neck: { ...neck } });
    const m = buildTiny(cfg);
    const run = await trainTiny(m, cfg);
    const losses = run.history.map((r) => r.loss);
    assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
    // Epoch losses of a 16-image-batch contrastive loss are noisy: compare halves.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(losses.slice(3)) < mean(losses.slice(0, 3)), `loss did not decrease: ${losses}`);
    assert.deepEqual(run.tensorsAfterEpoch.slice(1), run.tensorsAfterEpoch.slice(0, -1));
    const metrics = run.history[0].metrics;
    assert.equal("ssl" in metrics && "cls" in metrics, "lambdaCls" in options);
    m.dispose();
  });
}

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
    const inputs = m.prepare(input);
    const [v1, v2, tokenMask] = inputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor2D];
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
    tf.tidy(() => m.loss(inputs, input).loss);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].dataSync(), cells);
    tf.dispose([...seen, ...inputs, input.images, input.labels]);
    m.dispose();
  }
});

Deno.test("smag: maskViews one masks view 1 only (view 2 all-visible to the neck)", () => {
  const cfg = tinyConfig("smag", { mask: "grid", ratio: 0.5, grid: 4 }, 1);
  const m = buildTiny(cfg);
  const input = randomStepInput(4, 8, { randomLabels: true });
  const inputs = m.prepare(input);
  const mask = Array.from(inputs[2].dataSync());
  const half = mask.length / 2;
  // View 1: 8 of the 16 grid cells (each 8x8 px = 4x4 feature cells) are masked.
  assert.equal(mask.slice(0, half).reduce((a, b) => a + b, 0), half / 2);
  assert.ok(mask.slice(half).every((v) => v === 1));
  tf.dispose([...inputs, input.images, input.labels]);
  m.dispose();
});

Deno.test("smag: auto token spec rescales the paper's Fig. 4 setting to 32x32", () => {
  const m = buildTiny(tinyConfig("smag", {}, 1)) as Smag;
  assert.deepEqual(m.mask, { kind: "token", tokenSize: 3, tokenCount: 171 });
  m.dispose();
});

Deno.test("smag: bad options fail with messages that name the option and the fix", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ mask: "random" }, /option "mask" must be one of "none", "token", "grid".*--option mask=/],
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
