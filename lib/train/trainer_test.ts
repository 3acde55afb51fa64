import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { initBackend } from "../backend/select.ts";
import { generateSynthetic } from "../data/synthetic.ts";
import { channelStats } from "../data/channel_stats.ts";
import { defaultExperiment, type ExperimentConfig } from "../config/experiment.ts";
import { buildMethod } from "../methods/all.ts";
import type { Method, StepInput, StepLoss } from "../methods/method.ts";
import { NonFiniteLossError, TrainingInterruptedError, trainMethod } from "./trainer.ts";
import { loadCheckpoint } from "./checkpoint.ts";

await initBackend({ backend: "wasm", threads: 1 });
const data = generateSynthetic({ trainSize: 64, testSize: 16, seed: 3 });

function tinyConfig(epochs: number): ExperimentConfig {
  const cfg = defaultExperiment();
  cfg.encoder = {
    backbone: { type: "resnet", blocks: [1], width: 4 },
    neck: { type: "gap" },
    head: { type: "projection", hidden: 16, out: 8 },
  };
  cfg.optim = { ...cfg.optim, batchSize: 16, epochs, warmupEpochs: 0, lr: 3e-3 };
  cfg.seed = 11;
  return cfg;
}

function build(cfg: ExperimentConfig): Method {
  return buildMethod(cfg, {
    imageShape: data.imageShape,
    stats: channelStats(data.train, 3),
    numClasses: 10,
  });
}

async function snapshot(m: Method): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of m.state()) out.set(k, (await v.data()) as Float32Array);
  return out;
}

const quiet = { log: () => {}, progress: () => {} };

Deno.test("SimCLR training loss is finite and decreases on synthetic data", async () => {
  const dir = await Deno.makeTempDir();
  const cfg = tinyConfig(6);
  const m = build(cfg);
  const tensorsAfterEpoch: number[] = [];
  const summary = await trainMethod({
    method: m,
    config: cfg,
    configHash: "h",
    train: data.train,
    imageShape: data.imageShape,
    checkpointDir: dir,
    onEpoch: () => {
      tensorsAfterEpoch.push(tf.memory().numTensors);
    },
    ...quiet,
  });
  assert.equal(summary.history.length, 6);
  for (const r of summary.history) assert.ok(Number.isFinite(r.loss));
  const first = summary.history[0].loss;
  const last = summary.history.at(-1)!.loss;
  assert.ok(last < first, `loss did not decrease: ${first} -> ${last}`);
  // Optimizer state is allocated in the first steps; after that the count must stay flat.
  assert.deepEqual(
    tensorsAfterEpoch.slice(1),
    tensorsAfterEpoch.slice(0, -1),
    "training leaked tensors",
  );
  m.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a run stopped mid-way and resumed ends with exactly the weights of an uninterrupted run", async () => {
  const cfg = tinyConfig(2);
  const dirA = await Deno.makeTempDir();
  const a = build(cfg);
  await trainMethod({
    method: a,
    config: cfg,
    configHash: "h",
    train: data.train,
    imageShape: data.imageShape,
    checkpointDir: dirA,
    ...quiet,
  });
  const wa = await snapshot(a);
  a.dispose();

  const dirB = await Deno.makeTempDir();
  const b1 = build(cfg);
  let steps = 0;
  await assert.rejects(
    trainMethod({
      method: b1,
      config: cfg,
      configHash: "h",
      train: data.train,
      imageShape: data.imageShape,
      checkpointDir: dirB,
      shouldStop: () => ++steps === 6, // mid-way through epoch 2 (4 steps per epoch)
      ...quiet,
    }),
    TrainingInterruptedError,
  );
  b1.dispose();
  const b2 = build(cfg); // a fresh process would rebuild from the seed, then load the checkpoint
  const summary = await trainMethod({
    method: b2,
    config: cfg,
    configHash: "h",
    train: data.train,
    imageShape: data.imageShape,
    checkpointDir: dirB,
    ...quiet,
  });
  assert.ok(summary.resumed);
  assert.equal(summary.globalStep, 8);
  const wb = await snapshot(b2);
  for (const [k, v] of wa) assert.deepEqual(wb.get(k), v, `weights differ at ${k}`);
  b2.dispose();
  await Deno.remove(dirA, { recursive: true });
  await Deno.remove(dirB, { recursive: true });
});

Deno.test("a checkpoint from another config is refused with the fix in the message", async () => {
  const cfg = tinyConfig(1);
  const dir = await Deno.makeTempDir();
  const m = build(cfg);
  await trainMethod({
    method: m,
    config: cfg,
    configHash: "one",
    train: data.train,
    imageShape: data.imageShape,
    checkpointDir: dir,
    ...quiet,
  });
  await assert.rejects(
    trainMethod({
      method: m,
      config: cfg,
      configHash: "two",
      train: data.train,
      imageShape: data.imageShape,
      checkpointDir: dir,
      ...quiet,
    }),
    /different configuration.*--out.*--fresh/,
  );
  m.dispose();
  await Deno.remove(dir, { recursive: true });
});

/** A method whose loss turns NaN at a chosen step, to test the stop. */
class NanAt implements Method {
  readonly name = "nan-at";
  readonly #inner: Method;
  constructor(inner: Method, readonly badStep: number) {
    this.#inner = inner;
  }
  get encoder() {
    return this.#inner.encoder;
  }
  params() {
    return this.#inner.params();
  }
  state() {
    return this.#inner.state();
  }
  prepare(input: StepInput) {
    return this.#inner.prepare(input);
  }
  loss(inputs: tf.Tensor[], input: StepInput): StepLoss {
    const { loss } = this.#inner.loss(inputs, input);
    return { loss: input.step === this.badStep ? tf.mul(loss, NaN) as tf.Scalar : loss };
  }
  dispose() {
    this.#inner.dispose();
  }
}

Deno.test("a NaN loss stops the run with a clear error and keeps the last good checkpoint", async () => {
  const cfg = tinyConfig(3);
  const dir = await Deno.makeTempDir();
  const m = new NanAt(build(cfg), 5); // epoch 1 (steps 0-3) completes, step 5 is bad
  const err = await trainMethod({
    method: m,
    config: cfg,
    configHash: "h",
    train: data.train,
    imageShape: data.imageShape,
    checkpointDir: dir,
    ...quiet,
  }).catch((e) => e);
  assert.ok(err instanceof NonFiniteLossError, String(err));
  assert.match(err.message, /NaN at step 5.*last good checkpoint.*--lr/);
  const ckpt = await loadCheckpoint(dir);
  assert.ok(ckpt);
  assert.equal((ckpt.meta as { globalStep: number }).globalStep, 4);
  for (const [k, t] of ckpt.tensors) {
    const v = await t.data();
    assert.ok(Array.from(v).every(Number.isFinite), `checkpoint tensor ${k} is not finite`);
  }
  tf.dispose([...ckpt.tensors.values()]);
  m.dispose();
  await Deno.remove(dir, { recursive: true });
});

/** A method that also logs its loss tensor itself as a metric. */
class LossAsMetric extends NanAt {
  override loss(inputs: tf.Tensor[], input: StepInput): StepLoss {
    const { loss } = super.loss(inputs, input);
    return { loss, metrics: { same: loss } };
  }
}

Deno.test("a metric that is the loss tensor itself is logged, not disposed twice", async () => {
  const cfg = tinyConfig(2);
  const dir = await Deno.makeTempDir();
  const m = new LossAsMetric(build(cfg), -1);
  const summary = await trainMethod({
    method: m,
    config: cfg,
    configHash: "h",
    train: data.train,
    imageShape: data.imageShape,
    checkpointDir: dir,
    ...quiet,
  });
  for (const r of summary.history) assert.ok(Math.abs(r.metrics.same - r.loss) < 1e-5);
  m.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("training a method and disposing it leaves no tensor behind (optimizer state included)", async () => {
  const before = tf.memory().numTensors;
  const dir = await Deno.makeTempDir();
  const cfg = tinyConfig(1);
  const m = build(cfg);
  await trainMethod({
    method: m,
    config: cfg,
    configHash: "h",
    train: data.train,
    imageShape: data.imageShape,
    checkpointDir: dir,
    ...quiet,
  });
  m.dispose();
  await Deno.remove(dir, { recursive: true });
  assert.equal(tf.memory().numTensors, before);
});
