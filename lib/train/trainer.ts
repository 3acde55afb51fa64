/**
 * The training loop shared by every method: seeded data order, views and
 * masks per step, AdamW with warm-up + cosine, atomic checkpoints that a
 * killed run resumes from, a hard stop on a non-finite loss, and progress
 * with an ETA.
 *
 * Losses are accumulated on the device and read back asynchronously every
 * `syncEvery` steps (never with a synchronous read), so the loop suits GPU
 * backends too.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import type { ImageSplit } from "../data/dataset.ts";
import { toFloatBatch } from "../augment/float_batch.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import { peakLr } from "../config/experiment.ts";
import { valueAndGrads } from "../nn/params.ts";
import { AdamW } from "../optim/adamw.ts";
import { warmupCosine } from "../optim/schedule.ts";
import { loadResumableCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { batchTensors, type Method, type StepInput } from "../methods/method.ts";
import type { PhaseTimer } from "./phase_timer.ts";
import { ProgressReporter } from "./progress.ts";
import { explainWriteError } from "./run_record.ts";
import { epochRng, stepRng } from "./step_rng.ts";
import { shouldUseViewWorker, ViewWorker } from "../augment/view_worker.ts";
import { defaultComputeEngine } from "../backend/host_engine.ts";

/** One line of `metrics.jsonl`: the mean loss and speed of one epoch. */
export interface EpochRecord {
  epoch: number;
  /** Global optimizer steps done at the end of this epoch. */
  step: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** Learning rate at the last step of the epoch. */
  lr: number;
  /** Training images per second in this epoch. */
  imagesPerSecond: number;
  /** Wall time of the epoch. */
  seconds: number;
  /** Means of the method's extra metrics over the epoch. */
  metrics: Record<string, number>;
}

/** Where training stands; stored in every checkpoint. */
export interface TrainProgress {
  epoch: number;
  /** Steps already done inside `epoch`. */
  stepInEpoch: number;
  globalStep: number;
  /** Training seconds spent so far, across resumptions. */
  trainSeconds: number;
  history: EpochRecord[];
  /** Hash of the config that wrote the checkpoint. */
  configHash: string;
}

/** Raised when the loss becomes NaN or infinite; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly value: number) {
    super(
      `training loss became ${value} at step ${step}; the run stopped and the last good ` +
        `checkpoint was kept. Lower the learning rate (--lr) or check the input data, then ` +
        `start again with --fresh (or another --out)`,
    );
    this.name = "NonFiniteLossError";
  }
}

/**
 * Raised when a stop was requested (SIGINT/SIGTERM); a checkpoint was written
 * first, unless the stop came before this process trained a step (`saved` false).
 */
export class TrainingInterruptedError extends Error {
  constructor(readonly step: number, readonly saved = true) {
    super(
      saved
        ? `training interrupted at step ${step}; checkpoint saved, rerun the same command to resume`
        : `training interrupted before its next step (${step}); nothing new to save, rerun the ` +
          `same command to continue`,
    );
    this.name = "TrainingInterruptedError";
  }
}

/** Inputs of {@link trainMethod}. */
export interface TrainOptions {
  method: Method;
  config: ExperimentConfig;
  /** Hash of `config` (checkpoints written under another config are refused). */
  configHash: string;
  train: ImageSplit;
  imageShape: [number, number, number];
  /** Directory of the run's checkpoint (created when missing). */
  checkpointDir: string;
  /** Resume from a checkpoint in `checkpointDir` when there is one (default true). */
  resume?: boolean;
  /** Seconds between mid-epoch checkpoints (default 300); one is always written per epoch. */
  checkpointEverySeconds?: number;
  /** Steps between asynchronous loss reads (default 1; raise it on GPU backends). */
  syncEvery?: number;
  /** Returns true when the run should stop at the next step boundary (after checkpointing). */
  shouldStop?: () => boolean;
  /**
   * Called after every epoch, once its checkpoint is written (e.g. to append
   * to metrics.jsonl). A process killed after the checkpoint and before this
   * call has finished skips it for that epoch: {@link TrainOptions.onResume}
   * lets the caller repair its records.
   */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /**
   * Called once after resuming from a checkpoint, before any step, with the
   * epochs the checkpoint holds (the model holds the checkpoint's weights,
   * i.e. those at the end of the last record when no step of the next epoch
   * was done). Use it to make per-epoch records match the checkpoint.
   */
  onResume?: (history: EpochRecord[], progress: TrainProgress) => void | Promise<void>;
  /** Log sink for messages (default: stderr). */
  log?: (line: string) => void;
  /** Progress sink (default: stderr, in place on a TTY). */
  progress?: (line: string, final: boolean) => void;
  /**
   * When given, the wall time of each phase of every step is added to it: `batch` (images to a
   * float tensor), `views` (the method's views and masks), `forward`, `backward`, `optimizer`,
   * `after-step` (e.g. a momentum encoder's update), `read-back` (loss read and progress),
   * `checkpoint`; see lib/train/phase_timer.ts for what the times mean on each backend.
   */
  phases?: PhaseTimer;
  /**
   * CPU threads the backend computes on (`BackendInfo.threads`; default 1). With 2 or more and
   * the views on the host (the CPU backends), each step's second view is built on a view worker
   * thread while the first is built here (lib/augment/view_worker.ts; same bits), unless
   * `KIT_VIEW_WORKER=0`.
   */
  computeThreads?: number;
}

/** Outcome of a finished training. */
export interface TrainSummary {
  history: EpochRecord[];
  globalStep: number;
  trainSeconds: number;
  /** True when the run continued from a checkpoint. */
  resumed: boolean;
}

/** Batches per epoch (the last incomplete batch is dropped, as contrastive losses need full batches). */
export function stepsPerEpoch(trainCount: number, batchSize: number): number {
  const steps = Math.floor(trainCount / batchSize);
  if (steps < 1) {
    throw new Error(
      `the training split has ${trainCount} images, fewer than one batch of ${batchSize}; ` +
        `lower --batch-size or raise --train-size`,
    );
  }
  return steps;
}

/** What the stages of one training share: the fixed plan and the mutable progress. */
interface TrainRun {
  opts: TrainOptions;
  method: Method;
  params: Map<string, tf.Variable>;
  optimizer: AdamW;
  schedule: (step: number) => number;
  perEpoch: number;
  totalSteps: number;
  syncEvery: number;
  checkpointEveryMs: number;
  log: (line: string) => void;
  reporter: ProgressReporter;
  progress: TrainProgress;
  /** Writes a checkpoint of the method, the optimizer and `progress`. */
  save: () => Promise<void>;
  /** When the last checkpoint was written (performance.now()). */
  lastCheckpoint: number;
  /** A stop seen after the last step of an epoch is acted on after that epoch's checkpoint. */
  stopSeen: boolean;
  lastYield: number;
  /**
   * Builds each step's second view on another thread (see {@link TrainOptions.computeThreads});
   * opened last by `startRun`, only when steps are left, and closed by `trainMethod`.
   */
  readonly viewWorker?: ViewWorker;
  /** True when the run continued from a checkpoint. */
  resumed: boolean;
  /** When this invocation started training, and the training seconds of earlier ones. */
  clock: { start: number; before: number };
}

/** Runs (or resumes) the training of `method`; see {@link TrainOptions}. */
export async function trainMethod(opts: TrainOptions): Promise<TrainSummary> {
  const run = await startRun(opts);
  try {
    return await trainEpochs(run);
  } finally {
    run.viewWorker?.close();
  }
}

/** The epochs left of `run`, each ended by its checkpoint; then the summary. */
async function trainEpochs(run: TrainRun): Promise<TrainSummary> {
  const { opts, progress } = run;
  const { epochs } = opts.config.optim;
  // A stop asked for while the data loaded: end before the first step.
  if (opts.shouldStop) await yieldToEventLoop();
  if (opts.shouldStop?.() && progress.epoch < epochs) {
    throw new TrainingInterruptedError(progress.globalStep, false);
  }
  while (progress.epoch < epochs) {
    const record = await trainEpoch(run);
    progress.history.push(record);
    progress.epoch = record.epoch + 1;
    progress.stepInEpoch = 0;
    await run.save();
    run.lastCheckpoint = performance.now();
    await opts.onEpoch?.(record);
    // Also after the last epoch: a stop request means "stop now", not "evaluate first";
    // the rerun finds the training done and goes straight to the evaluation.
    if (opts.shouldStop) await yieldToEventLoop();
    if (run.stopSeen || opts.shouldStop?.()) {
      throw new TrainingInterruptedError(progress.globalStep);
    }
  }
  progress.trainSeconds = elapsedTrainSeconds(run);
  run.optimizer.dispose(); // the moments live in the checkpoint now; free them for evaluation
  return {
    history: progress.history,
    globalStep: progress.globalStep,
    trainSeconds: progress.trainSeconds,
    resumed: run.resumed,
  };
}

/** Training seconds across resumptions, up to now. */
function elapsedTrainSeconds(run: TrainRun): number {
  return run.clock.before + (performance.now() - run.clock.start) / 1000;
}

/** Stage 1: schedule, optimizer, resume from a checkpoint, checkpoint writer, progress. */
async function startRun(opts: TrainOptions): Promise<TrainRun> {
  const { method, config } = opts;
  const log = opts.log ?? ((l: string) => console.error(l));
  const { batchSize, epochs } = config.optim;
  const perEpoch = stepsPerEpoch(opts.train.count, batchSize);
  const totalSteps = perEpoch * epochs;
  const peak = peakLr(config.optim);
  const warmupSteps = Math.round(config.optim.warmupEpochs * perEpoch);
  const schedule = warmupCosine({
    baseLr: peak,
    warmupSteps: Math.min(warmupSteps, totalSteps - 1),
    totalSteps,
    minLr: peak * config.optim.minLrRatio,
  });
  const optimizer = new AdamW({ lr: peak, weightDecay: config.optim.weightDecay });
  const resumed = await resumeFromCheckpoint(opts, optimizer, totalSteps, log);
  const progress: TrainProgress = resumed ?? {
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    trainSeconds: 0,
    history: [],
    configHash: opts.configHash,
  };
  const run: TrainRun = {
    opts,
    method,
    params: method.params(),
    optimizer,
    schedule,
    perEpoch,
    totalSteps,
    syncEvery: Math.max(1, opts.syncEvery ?? 1),
    checkpointEveryMs: (opts.checkpointEverySeconds ?? 300) * 1000,
    log,
    reporter: new ProgressReporter({
      total: totalSteps,
      label: `[${method.name}]`,
      doneAtStart: progress.globalStep,
      write: opts.progress,
    }),
    progress,
    save: () => Promise.resolve(),
    lastCheckpoint: 0,
    stopSeen: false,
    lastYield: -Infinity,
    resumed: resumed !== undefined,
    clock: { start: performance.now(), before: progress.trainSeconds },
    viewWorker: progress.globalStep < totalSteps &&
        shouldUseViewWorker(defaultComputeEngine(), opts.computeThreads ?? 1)
      ? ViewWorker.open()
      : undefined,
  };
  run.save = () =>
    opts.phases
      ? opts.phases.timeAsync("checkpoint", () => saveRunCheckpoint(run))
      : saveRunCheckpoint(run);
  run.lastCheckpoint = performance.now();
  log(
    `training ${method.name}: ${totalSteps - progress.globalStep} of ${totalSteps} steps left ` +
      `(${perEpoch} per epoch, batch ${batchSize})`,
  );
  return run;
}

/**
 * The progress of the checkpoint in `opts.checkpointDir` with the method's and
 * the optimizer's state restored from it, or undefined when there is none (or
 * `opts.resume` is false). A checkpoint of another config is refused.
 */
async function resumeFromCheckpoint(
  opts: TrainOptions,
  optimizer: AdamW,
  totalSteps: number,
  log: (line: string) => void,
): Promise<TrainProgress | undefined> {
  if (!(opts.resume ?? true)) return undefined;
  const ckpt = await loadResumableCheckpoint(opts.checkpointDir, log);
  if (!ckpt) return undefined;
  const meta = ckpt.meta as unknown as TrainProgress;
  if (meta.configHash !== opts.configHash) {
    tf.dispose([...ckpt.tensors.values()]);
    throw new Error(
      `${opts.checkpointDir} holds a checkpoint of a different configuration ` +
        `(hash ${meta.configHash}, this run ${opts.configHash}); use another --out directory, ` +
        `or --fresh to overwrite it`,
    );
  }
  restoreState(opts.method, optimizer, ckpt.tensors);
  tf.dispose([...ckpt.tensors.values()]);
  log(
    `resumed from ${opts.checkpointDir}${
      ckpt.tag === "previous" ? " (previous checkpoint)" : ""
    } ` +
      `at epoch ${meta.epoch}, step ${meta.globalStep}/${totalSteps}`,
  );
  await opts.onResume?.(meta.history, meta);
  return meta;
}

/** Writes the checkpoint: `model/<name>` and `optim/<name>` tensors, the progress as meta. */
async function saveRunCheckpoint(run: TrainRun): Promise<void> {
  const { progress, method, optimizer, opts } = run;
  progress.trainSeconds = elapsedTrainSeconds(run);
  const tensors = new Map<string, tf.Tensor>(
    [...method.state()].map(([k, v]) => [`model/${k}`, v]),
  );
  const optimState = optimizer.state(); // copies, owned here
  for (const [k, v] of optimState) tensors.set(`optim/${k}`, v);
  try {
    await saveCheckpoint(opts.checkpointDir, {
      tensors,
      meta: progress as unknown as Record<string, unknown>,
    });
  } catch (err) {
    throw explainWriteError(err, opts.checkpointDir, "a checkpoint to");
  } finally {
    tf.dispose([...optimState.values()]);
  }
}

/**
 * Losses and metrics summed on the device and read back asynchronously only
 * when {@link drain}ed (every `syncEvery` steps), so the loop never blocks on a
 * synchronous read.
 */
class LossAccumulator {
  lossSum = 0;
  lossCount = 0;
  readonly metricSums: Record<string, number> = {};
  #pending: { loss: tf.Scalar; metrics: Record<string, tf.Scalar>; count: number } | null = null;

  /** Steps added since the last drain. */
  get pendingCount(): number {
    return this.#pending?.count ?? 0;
  }

  /** Adds one step's loss and metrics (takes ownership of the tensors). */
  add(value: tf.Scalar, stepMetrics: Record<string, tf.Scalar>): void {
    const p = this.#pending;
    if (!p) {
      this.#pending = { loss: value, metrics: stepMetrics, count: 1 };
      return;
    }
    const sum = tf.add(p.loss, value) as tf.Scalar;
    p.loss.dispose();
    value.dispose();
    p.loss = sum;
    for (const [k, t] of Object.entries(stepMetrics)) {
      const prev = p.metrics[k];
      p.metrics[k] = prev ? tf.add(prev, t) as tf.Scalar : t;
      if (prev) {
        prev.dispose();
        t.dispose();
      }
    }
    p.count++;
  }

  /** Reads the pending sums back; throws {@link NonFiniteLossError} (at `lastStep`) on NaN/inf. */
  async drain(lastStep: number): Promise<void> {
    if (!this.#pending) return;
    const { loss, metrics, count } = this.#pending;
    this.#pending = null;
    const total = (await loss.data())[0];
    loss.dispose();
    if (!Number.isFinite(total)) throw new NonFiniteLossError(lastStep, total);
    this.lossSum += total;
    this.lossCount += count;
    for (const [k, t] of Object.entries(metrics)) {
      this.metricSums[k] = (this.metricSums[k] ?? 0) + (await t.data())[0];
      t.dispose();
    }
  }

  /** Mean loss so far. */
  get meanLoss(): number {
    return this.lossSum / Math.max(this.lossCount, 1);
  }
}

/**
 * One optimizer step: prepare the batch (outside the tape), loss and gradients,
 * AdamW, the method's after-step update. Returns the loss and metric scalars
 * (owned by the caller); frees everything else of the step.
 */
function trainStep(
  run: TrainRun,
  input: StepInput,
  lr: number,
): { value: tf.Scalar; metrics: Record<string, tf.Scalar> } {
  const { method, params, optimizer } = run;
  const phases = run.opts.phases;
  const t0 = performance.now();
  const batch = method.prepare(input);
  const t1 = performance.now();
  let forwardEnd = t1;
  let metrics: Record<string, tf.Scalar> = {};
  const { value, grads } = valueAndGrads(() => {
    const out = method.loss(batch, input);
    metrics = Object.fromEntries(
      Object.entries(out.metrics ?? {}).map(([k, t]) => [k, tf.keep(tf.clone(t))]), // a metric may be the loss tensor itself
    );
    forwardEnd = performance.now();
    return out.loss;
  }, params);
  const t2 = performance.now();
  optimizer.step(grads, params, lr);
  const t3 = performance.now();
  method.afterStep?.(batch, input);
  tf.dispose([...grads.values(), ...batchTensors(batch)]);
  if (phases) {
    phases.add("views", t1 - t0);
    phases.add("forward", forwardEnd - t1);
    phases.add("backward", t2 - forwardEnd);
    phases.add("optimizer", t3 - t2);
    phases.add("after-step", performance.now() - t3);
  }
  return { value, metrics };
}

/**
 * Stage 2: the remaining steps of the current epoch (from `progress.stepInEpoch`),
 * with mid-epoch checkpoints when due or when a stop is asked for. Returns the
 * epoch's record; the caller stores it and writes the end-of-epoch checkpoint.
 */
async function trainEpoch(run: TrainRun): Promise<EpochRecord> {
  const { opts, progress, perEpoch, reporter } = run;
  const { train, imageShape, config } = opts;
  const { batchSize, epochs } = config.optim;
  const epoch = progress.epoch;
  const order = epochRng(config.seed, epoch).permutation(train.count);
  const epochStart = performance.now();
  const acc = new LossAccumulator();
  let lr = run.schedule(progress.globalStep);
  const stepsThisRun = perEpoch - progress.stepInEpoch;

  for (let s = progress.stepInEpoch; s < perEpoch; s++) {
    const idx = order.subarray(s * batchSize, (s + 1) * batchSize);
    lr = run.schedule(progress.globalStep);
    const batchStart = performance.now();
    const images = toFloatBatch(train, idx, imageShape);
    const labels = tf.tensor1d(Int32Array.from(idx, (i) => train.labels[i]), "int32");
    opts.phases?.add("batch", performance.now() - batchStart);
    const input = {
      images,
      labels,
      rng: stepRng(config.seed, epoch, s),
      step: progress.globalStep,
      epoch,
      viewWorker: run.viewWorker,
    };
    const { value, metrics } = trainStep(run, input, lr);
    tf.dispose([images, labels]);
    acc.add(value, metrics);
    progress.globalStep++;
    progress.stepInEpoch = s + 1;
    // Let signal listeners run, so a stop request is seen after the step in flight. A yield
    // costs ~1-2 ms: with fast (GPU) steps it happens at most every 100 ms.
    if (opts.shouldStop && performance.now() - run.lastYield >= 100) {
      await yieldToEventLoop();
      run.lastYield = performance.now();
    }
    const stopping = opts.shouldStop?.() ?? false;
    run.stopSeen ||= stopping;
    const checkpointDue = performance.now() - run.lastCheckpoint > run.checkpointEveryMs;
    if (acc.pendingCount >= run.syncEvery || s === perEpoch - 1 || stopping || checkpointDue) {
      const readStart = performance.now();
      await acc.drain(progress.globalStep - 1);
      const seen = s + 1 - (perEpoch - stepsThisRun);
      const ips = (seen * batchSize) / ((performance.now() - epochStart) / 1000);
      reporter.update(
        progress.globalStep,
        `epoch ${epoch + 1}/${epochs} loss ${acc.meanLoss.toFixed(4)} ` +
          `lr ${lr.toExponential(2)} ${ips.toFixed(0)} img/s`,
        s === perEpoch - 1,
      );
      opts.phases?.add("read-back", performance.now() - readStart);
    }
    if ((stopping || checkpointDue) && s < perEpoch - 1) {
      await run.save();
      run.lastCheckpoint = performance.now();
      if (stopping) throw new TrainingInterruptedError(progress.globalStep);
    }
  }
  await acc.drain(progress.globalStep - 1);
  const seconds = (performance.now() - epochStart) / 1000;
  return {
    epoch,
    step: progress.globalStep,
    loss: acc.meanLoss,
    lr,
    imagesPerSecond: (stepsThisRun * batchSize) / seconds,
    seconds,
    metrics: Object.fromEntries(
      Object.entries(acc.metricSums).map(([k, v]) => [k, v / Math.max(acc.lossCount, 1)]),
    ),
  };
}

/**
 * Resolves after one turn of the event loop (a zero-delay timer), so that
 * pending signal listeners run; awaiting a resolved promise would not let them.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function restoreState(method: Method, optimizer: AdamW, tensors: Map<string, tf.Tensor>): void {
  const model = new Map<string, tf.Tensor>();
  const optim = new Map<string, tf.Tensor>();
  for (const [k, v] of tensors) {
    if (k.startsWith("model/")) model.set(k.slice(6), v);
    else if (k.startsWith("optim/")) optim.set(k.slice(6), v);
  }
  for (const [name, variable] of method.state()) {
    const t = model.get(name);
    if (!t) {
      throw new Error(
        `checkpoint lacks "${name}": it was written by a different model; use another --out or --fresh`,
      );
    }
    variable.assign(t);
  }
  optimizer.loadState(optim);
}
