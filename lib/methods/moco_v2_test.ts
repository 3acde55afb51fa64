import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { initBackend } from "../backend/select.ts";
import { generateSynthetic } from "../data/synthetic.ts";
import { toFloatBatch } from "../augment/float_batch.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import { methodContext, tinyConfig, trainTiny } from "../testing/method_fixture.ts";
import { buildMethod } from "./all.ts";
import { batchTensors, type StepInput } from "./method.ts";
import { MocoV2 } from "./moco_v2.ts";
import { l2NormalizeRows } from "../losses/nt_xent.ts";
import { TrainingInterruptedError } from "../train/trainer.ts";
import { stepRng } from "../train/step_rng.ts";
import { Rng } from "../rng.ts";

await initBackend({ backend: "wasm", threads: 1 });
const data = generateSynthetic({ trainSize: 64, testSize: 16, seed: 5 });
const ctx = methodContext(data);

/** moco-v2 with a queue of 24 (unless `options` say otherwise) on a one-stage ResNet, seed 7. */
function mocoConfig(epochs: number, options: Record<string, unknown> = {}): ExperimentConfig {
  const cfg = tinyConfig("moco-v2", { queueSize: 24, ...options }, epochs, {
    backbone: { type: "resnet", blocks: [1], width: 4 },
  });
  cfg.seed = 7;
  return cfg;
}

function build(cfg: ExperimentConfig): MocoV2 {
  const m = buildMethod(cfg, ctx);
  assert.ok(m instanceof MocoV2);
  return m;
}

function stepInput(step: number, seed = 1): StepInput {
  const idx = Int32Array.from({ length: 16 }, (_, i) => (i + step * 16) % 64);
  return {
    images: toFloatBatch(data.train, idx, data.imageShape),
    labels: tf.tensor1d(Int32Array.from(idx, (i) => data.train.labels[i]), "int32"),
    rng: stepRng(seed, 0, step),
    step,
    epoch: 0,
  };
}

async function values(vars: Map<string, tf.Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of vars) out.set(k, (await v.data()) as Float32Array);
  return out;
}

Deno.test("moco-v2 trains with a finite, decreasing loss and leaks no tensors", async () => {
  // 10 epochs of 4 steps: with residual scales starting at 1 the tiny encoder's MoCo loss is
  // noisy over the first epochs while the queue fills with real keys.
  const cfg = mocoConfig(10);
  const m = build(cfg);
  const run = await trainTiny(m, cfg, { data });
  const losses = run.history.map((r) => r.loss);
  assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
  assert.ok(losses.at(-1)! < losses[0], `loss did not decrease: ${losses}`);
  const counts = run.tensorsAfterEpoch;
  assert.deepEqual(counts.slice(1), counts.slice(0, -1), "training leaked tensors");
  assert.equal(m.queue.enqueued, 10 * 4 * 16);
  m.dispose();
});

Deno.test("the key encoder starts as an exact copy and follows the EMA of the query parameters", async () => {
  const m = build(mocoConfig(1, { momentum: 0.9 }));
  const state = m.state();
  const params = m.params();
  for (const [k, v] of params) {
    assert.deepEqual(await state.get(`key.${k}`)!.data(), await v.data(), `key.${k} != ${k}`);
  }
  // Move the query parameters to random values, as an optimizer step would.
  const rng = new Rng(3);
  for (const v of params.values()) {
    v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => rng.gaussian()), v.shape));
  }
  const keyBefore = await values(
    new Map([...params.keys()].map((k) => [k, state.get(`key.${k}`)!])),
  );
  const queryNow = await values(params);
  const buffersBefore = await values(
    new Map([...state].filter(([k]) => k.startsWith("key.") && !params.has(k.slice(4)))),
  );
  assert.ok(buffersBefore.size > 0, "expected batch-norm buffers in the key encoder");
  const input = stepInput(0);
  const batch = m.prepare(input); // updates the key encoder's BN running statistics
  const buffersAfterPrepare = await values(
    new Map([...buffersBefore.keys()].map((k) => [k, state.get(k)!])),
  );
  m.afterStep(batch, input);
  for (const [k, before] of keyBefore) {
    const after = (await state.get(`key.${k}`)!.data()) as Float32Array;
    const q = queryNow.get(k)!;
    for (let i = 0; i < after.length; i++) {
      const want = Math.fround(Math.fround(before[i] * 0.9) + Math.fround(q[i] * Math.fround(0.1)));
      assert.ok(Math.abs(after[i] - want) <= 1e-6 * (1 + Math.abs(want)), `${k}[${i}]`);
    }
  }
  // Buffers are not averaged: afterStep leaves them as the key encoder's own forward left them.
  for (const [k, v] of buffersAfterPrepare) assert.deepEqual(await state.get(k)!.data(), v, k);
  tf.dispose([...batchTensors(batch), input.images, input.labels]);
  m.dispose();
});

Deno.test("the queue holds each step's normalised keys at the step-derived position, wrapping around", async () => {
  const m = build(mocoConfig(1)); // K = 24, B = 16: the second step wraps
  const k = m.queue.size;
  for (let step = 0; step < 3; step++) {
    const input = stepInput(step);
    const batch = m.prepare(input);
    const before = (await m.queue.keys.data()) as Float32Array;
    m.afterStep(batch, input);
    const after = (await m.queue.keys.data()) as Float32Array;
    const keys = l2NormalizeRows(batch.keys);
    const want = (await keys.data()) as Float32Array;
    const d = 8;
    const written = new Set<number>();
    for (let i = 0; i < 16; i++) {
      const row = (step * 16 + i) % k;
      written.add(row);
      const got = after.subarray(row * d, (row + 1) * d);
      for (let j = 0; j < d; j++) assert.ok(Math.abs(got[j] - want[i * d + j]) < 1e-6);
    }
    for (let row = 0; row < k; row++) {
      if (written.has(row)) continue;
      assert.deepEqual(
        after.subarray(row * d, (row + 1) * d),
        before.subarray(row * d, (row + 1) * d),
      );
    }
    assert.equal(m.queue.pointer, ((step + 1) * 16) % k);
    tf.dispose([keys, ...batchTensors(batch), input.images, input.labels]);
  }
  m.dispose();
});

Deno.test("symmetric moco-v2 pairs [v1; v2] with [v2; v1] and enqueues 2N keys per step", async () => {
  const m = build(mocoConfig(1, { symmetric: true, queueSize: 40 }));
  const input = stepInput(0);
  const views = m.stepViews(input);
  const n = 16;
  const [q1, q2] = tf.split(views.query, 2, 0);
  const [k1, k2] = tf.split(views.key, 2, 0);
  assert.deepEqual(await q1.data(), await k2.data());
  assert.deepEqual(await q2.data(), await k1.data());
  assert.notDeepEqual(await q1.data(), await k1.data());
  const batch = m.encodeStep(views);
  assert.deepEqual(batch.keys.shape, [2 * n, 8]);
  m.afterStep(batch, input);
  assert.equal(m.queue.enqueued, 2 * n);
  const { value } = tf.tidy(() => ({ value: m.loss(batch).loss }));
  assert.ok(Number.isFinite((await value.data())[0]));
  tf.dispose([
    value,
    q1,
    q2,
    k1,
    k2,
    views.query,
    views.key,
    ...batchTensors(batch),
    input.images,
    input.labels,
  ]);
  m.dispose();
});

Deno.test("only the query encoder is trainable; the checkpoint holds key encoder and queue", () => {
  const m = build(mocoConfig(1));
  const params = [...m.params().keys()];
  const state = [...m.state().keys()];
  assert.ok(params.length > 0 && params.every((k) => !k.startsWith("key.")));
  for (const k of params) assert.ok(state.includes(k) && state.includes(`key.${k}`), k);
  assert.ok(state.includes("queue.keys"));
  m.dispose();
});

Deno.test("moco-v2 options are validated with the fix in the message", () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ temperature: 0 }, /option "temperature" must be a number > 0, got 0.*--option temperature=/],
    [{ temperature: "0.1" }, /option "temperature" must be a number > 0, got "0.1"/],
    [{ momentum: 1.5 }, /option "momentum" must be a number >= 0 <= 1.*--option momentum=/],
    [{ queueSize: 8 }, /"queueSize" must be an integer >= .*16.*--batch-size/],
    [{ queueSize: 24, symmetric: true }, /"queueSize" .*32 = batch 16 x 2, symmetric/],
    [{ queueSize: 40.5 }, /"queueSize" must be an integer/],
    [{ symmetric: "yes" }, /"symmetric" must be true or false/],
  ];
  for (const [opts, re] of bad) assert.throws(() => build(mocoConfig(1, opts)), re);
  assert.throws(() => build(mocoConfig(1, { queue: 3 })), /no option\(s\) queue.*queueSize/);
});

Deno.test("a moco-v2 run stopped mid-way and resumed ends bit-identical, queue included", async () => {
  const cfg = mocoConfig(2);
  const dirA = await Deno.makeTempDir();
  const a = build(cfg);
  await trainTiny(a, cfg, { data, checkpointDir: dirA });
  const wa = await values(a.state());
  a.dispose();

  const dirB = await Deno.makeTempDir();
  const b1 = build(cfg);
  let steps = 0;
  await assert.rejects(
    trainTiny(b1, cfg, {
      data,
      checkpointDir: dirB,
      shouldStop: () => ++steps === 5, // step 5 of 8: the queue pointer is mid-ring (80 % 24 = 8)
    }),
    TrainingInterruptedError,
  );
  b1.dispose();
  const b2 = build(cfg);
  const summary = await trainTiny(b2, cfg, { data, checkpointDir: dirB });
  assert.ok(summary.resumed);
  const wb = await values(b2.state());
  assert.deepEqual([...wb.keys()], [...wa.keys()]);
  for (const [k, v] of wa) assert.deepEqual(wb.get(k), v, `state differs at ${k}`);
  assert.equal(b2.queue.pointer, (8 * 16) % 24);
  b2.dispose();
  await Deno.remove(dirA, { recursive: true });
  await Deno.remove(dirB, { recursive: true });
});
