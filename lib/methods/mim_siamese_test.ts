import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { initBackend } from "../backend/select.ts";
import { buildTiny, randomStepInput, tinyConfig, trainTiny } from "../testing/method_fixture.ts";
import { MIM_SIMILARITIES, type MimSiamese } from "./mim_siamese.ts";
import { batchTensors } from "./method.ts";

await initBackend({ backend: "wasm", threads: 1 });

for (const similarity of MIM_SIMILARITIES) {
  Deno.test(`mim-siamese (${similarity}) trains with a finite, decreasing loss and no leak`, async () => {
    const cfg = tinyConfig("mim-siamese", { similarity }, 3);
    const m = buildTiny(cfg);
    const run = await trainTiny(m, cfg);
    const losses = run.history.map((r) => r.loss);
    assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
    assert.ok(losses.at(-1)! < losses[0], `loss did not decrease: ${losses}`);
    assert.deepEqual(run.tensorsAfterEpoch.slice(1), run.tensorsAfterEpoch.slice(0, -1));
    m.dispose();
  });
}

Deno.test("mim-siamese: every similarity sees the same mask, and the two views are complementary", () => {
  for (const seed of [1, 2, 3]) {
    // Pixel-l2 prepares {view, masked, patchMask}; cosine {masked, complement, cells}.
    const pixel = buildTiny(
      tinyConfig("mim-siamese", { similarity: "pixel-l2", patch: 8 }, 1),
    ) as MimSiamese;
    const cosine = buildTiny(
      tinyConfig("mim-siamese", { similarity: "cosine", patch: 8 }, 1),
    ) as MimSiamese;
    const inA = randomStepInput(seed);
    const inB = randomStepInput(seed);
    const a0 = pixel.prepare(inA);
    const b0 = cosine.prepare(inB);
    assert.equal(a0.kind, "pixel");
    assert.equal(b0.kind, "pair");
    if (a0.kind !== "pixel" || b0.kind !== "pair") return;
    const { view, masked: maskedA, patchMask: mask } = a0;
    const { masked: maskedB, complement, cells } = b0;
    assert.deepEqual(maskedA.dataSync(), maskedB.dataSync(), "masks differ between similarities");
    const m = Array.from(mask.dataSync());
    assert.equal(m.reduce((a, b) => a + b, 0), 8 * 4); // ratio 0.75 of 16 patches kept 4
    const v = view.dataSync();
    const a = maskedB.dataSync();
    const c = complement.dataSync();
    for (let i = 0; i < v.length; i += 3) {
      const [img, y, x] = [Math.floor(i / 3072), Math.floor((i % 3072) / 96), (i % 96) / 3];
      const kept = m[img * 16 + Math.floor(y / 8) * 4 + Math.floor(x / 8)] === 1;
      // Each pixel is shown by exactly one of the two views, the other has the zero fill.
      assert.equal(a[i], kept ? v[i] : 0);
      assert.equal(c[i], kept ? 0 : v[i]);
    }
    // Cells for the neck: the masked view's visible cells, then the complement's.
    const cv = cells.dataSync();
    assert.deepEqual(cells.shape, [16, 256]);
    for (let k = 0; k < 8 * 256; k++) assert.equal(cv[k] + cv[8 * 256 + k], 1);
    tf.dispose([view, maskedA, mask, maskedB, complement, cells, inA.images, inA.labels]);
    tf.dispose([inB.images, inB.labels]);
    pixel.dispose();
    cosine.dispose();
  }
});

Deno.test("mim-siamese cosine: the loss is a mean 1 - cos and it trains the predictor", () => {
  // (The stop-gradient on the targets is unit-tested in lib/nn/stop_gradient_test.ts.)
  const m = buildTiny(tinyConfig("mim-siamese", { similarity: "cosine" }, 1)) as MimSiamese;
  const input = randomStepInput(5, 8);
  const batch = m.prepare(input);
  const { grads, value } = tf.variableGrads(
    () => m.loss(batch).loss,
    [...m.params().values()],
  );
  const v = value.dataSync()[0];
  assert.ok(v > 0 && v < 2, `1 - cos must lie in [0, 2], got ${v}`);
  const predictorGrad = grads[m.params().get("predictor.fc2.weight")!.name];
  assert.ok(predictorGrad && tf.any(tf.notEqual(predictorGrad, 0)).dataSync()[0] === 1);
  tf.dispose([value, ...Object.values(grads), ...batchTensors(batch), input.images, input.labels]);
  m.dispose();
});

Deno.test("mim-siamese: bad options fail with messages that name the option and the fix", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ similarity: "l1" }, /option "similarity" must be one of "pixel-l2", "cosine", "infonce"/],
    [{ ratio: 0 }, /option "ratio" must be a number > 0 < 1/],
    [{ ratio: 0.99, patch: 8 }, /mask ratio 0\.99 keeps no token of 16/],
    [{ patch: 3 }, /patch 3 does not divide the 32x32 images/],
    [{ temperature: 0 }, /option "temperature" must be a number > 0/],
    [{ fill: 3 }, /option "fill" must be one of zero/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => buildTiny(tinyConfig("mim-siamese", options, 1)), message);
  }
  const noHead = tinyConfig("mim-siamese", { similarity: "infonce" }, 1);
  delete noHead.encoder.head;
  assert.throws(
    () => buildTiny(noHead),
    /similarity "infonce" needs the encoder's projection head/,
  );
  // pixel-l2 builds no projection head and no predictor.
  const pixel = buildTiny(tinyConfig("mim-siamese", {}, 1));
  assert.ok(![...pixel.params().keys()].some((k) => k.startsWith("head.")));
  pixel.dispose();
});
