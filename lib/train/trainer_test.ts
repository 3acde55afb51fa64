import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { initBackend } from "../backend/select.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { Method, StepInput, StepLoss } from "../methods/method.ts";
import { buildTiny, tinyConfig, trainTiny } from "../testing/method_fixture.ts";
import { NonFiniteLossError, TrainingInterruptedError } from "./trainer.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { PhaseTimer } from "./phase_timer.ts";

await initBackend({ backend: "wasm", threads: 1 });

/** SimCLR on a one-stage width-4 ResNet over the fixture's 64 synthetic images. */
function simclrConfig(epochs: number): ExperimentConfig {
  return tinyConfig("simclr", {}, epochs, {
    backbone: { type: "resnet", blocks: [1], width: 4 },
  });
}

async function snapshot(m: Method): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of m.state()) out.set(k, (await v.data()) as Float32Array);
  return out;
}

Deno.test("SimCLR training loss is finite and decreases on synthetic data", async () => {
  const cfg = simclrConfig(6);
  const m = buildTiny(cfg);
  const summary = await trainTiny(m, cfg);
  const tensorsAfterEpoch = summary.tensorsAfterEpoch;
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
});

Deno.test("a run stopped mid-way and resumed ends with exactly the weights of an uninterrupted run", async () => {
  const cfg = simclrConfig(2);
  const dirA = await Deno.makeTempDir();
  const a = buildTiny(cfg);
  await trainTiny(a, cfg, { checkpointDir: dirA });
  const wa = await snapshot(a);
  a.dispose();

  const dirB = await Deno.makeTempDir();
  const b1 = buildTiny(cfg);
  let steps = 0;
  await assert.rejects(
    trainTiny(b1, cfg, {
      checkpointDir: dirB,
      // Polled before training, after each step and at each epoch end: call 7 follows step 5,
      // mid-way through epoch 2 (4 steps per epoch).
      shouldStop: () => ++steps === 7,
    }),
    TrainingInterruptedError,
  );
  const stopped = (await loadCheckpoint(dirB))!;
  tf.dispose([...stopped.tensors.values()]);
  assert.equal(stopped.meta.globalStep, 5, "not stopped mid-epoch");
  b1.dispose();
  const b2 = buildTiny(cfg); // a fresh process would rebuild from the seed, then load the checkpoint
  const summary = await trainTiny(b2, cfg, { checkpointDir: dirB });
  assert.ok(summary.resumed);
  assert.equal(summary.globalStep, 8);
  const wb = await snapshot(b2);
  for (const [k, v] of wa) assert.deepEqual(wb.get(k), v, `weights differ at ${k}`);
  b2.dispose();
  await Deno.remove(dirA, { recursive: true });
  await Deno.remove(dirB, { recursive: true });
});

Deno.test("training with a view worker (2 compute threads) ends with the same weights as without", async () => {
  const cfg = simclrConfig(2);
  const weights: Map<string, Float32Array>[] = [];
  for (const computeThreads of [1, 2]) {
    const m = buildTiny(cfg);
    await trainTiny(m, cfg, { computeThreads });
    weights.push(await snapshot(m));
    m.dispose();
  }
  for (const [k, v] of weights[0]) assert.deepEqual(weights[1].get(k), v, `weights differ at ${k}`);
});

Deno.test("a checkpoint from another config is refused with the fix in the message", async () => {
  const cfg = simclrConfig(1);
  const dir = await Deno.makeTempDir();
  const m = buildTiny(cfg);
  await trainTiny(m, cfg, { checkpointDir: dir, configHash: "one" });
  await assert.rejects(
    trainTiny(m, cfg, { checkpointDir: dir, configHash: "two" }),
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
  loss(inputs: object, input: StepInput): StepLoss {
    const { loss } = this.#inner.loss(inputs, input);
    return { loss: input.step === this.badStep ? tf.mul(loss, NaN) as tf.Scalar : loss };
  }
  dispose() {
    this.#inner.dispose();
  }
}

Deno.test("a NaN loss stops the run with a clear error and keeps the last good checkpoint", async () => {
  const cfg = simclrConfig(3);
  const dir = await Deno.makeTempDir();
  const m = new NanAt(buildTiny(cfg), 5); // epoch 1 (steps 0-3) completes, step 5 is bad
  const err = await trainTiny(m, cfg, { checkpointDir: dir }).catch((e) => e);
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
  override loss(inputs: object, input: StepInput): StepLoss {
    const { loss } = super.loss(inputs, input);
    return { loss, metrics: { same: loss } };
  }
}

Deno.test("a metric that is the loss tensor itself is logged, not disposed twice", async () => {
  const cfg = simclrConfig(2);
  const m = new LossAsMetric(buildTiny(cfg), -1);
  const summary = await trainTiny(m, cfg);
  for (const r of summary.history) assert.ok(Math.abs(r.metrics.same - r.loss) < 1e-5);
  m.dispose();
});

Deno.test("training a method and disposing it leaves no tensor behind (optimizer state included)", async () => {
  const before = tf.memory().numTensors;
  const cfg = simclrConfig(1);
  const m = buildTiny(cfg);
  await trainTiny(m, cfg);
  m.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a stop asked for before the first step ends training without a step or a checkpoint", async () => {
  const cfg = simclrConfig(1);
  const dir = await Deno.makeTempDir();
  const m = buildTiny(cfg);
  await assert.rejects(
    trainTiny(m, cfg, { checkpointDir: dir, shouldStop: () => true }),
    (e: Error) =>
      e instanceof TrainingInterruptedError && !e.saved && /before its next step/.test(e.message),
  );
  assert.equal(await loadCheckpoint(dir), null);
  m.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a phase timer passed to the trainer gets every phase of every step", async () => {
  const cfg = simclrConfig(2);
  const m = buildTiny(cfg);
  const phases = new PhaseTimer();
  const t0 = performance.now();
  const summary = await trainTiny(m, cfg, { phases });
  const rows = phases.rows(performance.now() - t0);
  const byPhase = new Map(rows.map((r) => [r.phase, r]));
  for (const p of ["batch", "views", "forward", "backward", "optimizer", "after-step"]) {
    assert.equal(byPhase.get(p)?.calls, summary.globalStep, `${p} once per step`);
    assert.ok(byPhase.get(p)!.ms >= 0);
  }
  assert.ok(byPhase.get("forward")!.ms > 0 && byPhase.get("backward")!.ms > 0);
  assert.equal(byPhase.get("checkpoint")?.calls, 2, "one checkpoint per epoch");
  assert.ok(byPhase.get("read-back")!.calls >= 2);
  m.dispose();
});
