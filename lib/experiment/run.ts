/**
 * One experiment end to end: backend, data, method, training (resumable),
 * evaluation (kNN, linear probe, optional fine-tuning) and the run record.
 * The command line (`deno task train`), the notebooks and the ablation
 * runner all call {@link runExperiment}.
 *
 * A run directory holds `config.json`, `run.json`, `metrics.jsonl`,
 * `checkpoint/` and, once finished, `result.json`. Calling
 * `runExperiment` again with the same config returns the stored result, or
 * resumes the training from its checkpoint.
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "../tfjs.ts";
import { type BackendInfo, type BackendRequest, initBackend } from "../backend/select.ts";
import { channelStats } from "../data/channel_stats.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { loadDataset } from "../data/registry.ts";
import { labelBudgetIndices, subsetSplit } from "../data/splits.ts";
import { configHash, type ExperimentConfig, validateExperiment } from "../config/experiment.ts";
import { buildMethod, withDefaultOptions } from "../methods/all.ts";
import {
  type EpochRecord,
  stepsPerEpoch,
  trainMethod,
  type TrainSummary,
} from "../train/trainer.ts";
import type { Method } from "../methods/method.ts";
import type { ChannelStats } from "../augment/normalize.ts";
import {
  checkEvalSizes,
  checkMethodConfig,
  checkTokenMasks,
  checkWritable,
  withInputChannels,
} from "./preflight.ts";
import {
  appendJsonLine,
  codeVersion,
  readJsonIfExists,
  readJsonLines,
  type RunRecord,
  writeJsonAtomic,
  writeJsonLinesAtomic,
} from "../train/run_record.ts";
import { evaluateRepresentation, type RepresentationEval } from "../eval/protocol.ts";
import type { MethodContext } from "../methods/registry.ts";
import { finetune } from "../eval/finetune.ts";
import { makeKnnMonitor } from "../eval/knn_monitor.ts";
import { cpuModel } from "../backend/cpu_model.ts";

/** The result line of a run (also `result.json`). Accuracies are percentages. */
export interface ExperimentResult {
  method: string;
  dataset: string;
  datasetDisplayName: string;
  synthetic: boolean;
  seed: number;
  configHash: string;
  backend: string;
  epochs: number;
  trainImages: number;
  finalLoss: number;
  linearTop1: number;
  linearTop5: number;
  knnTop1: number;
  knnTop5: number;
  /**
   * Collapse diagnostics of the test features (lib/eval/feature_spread.ts): normalised std
   * (about 1 spread out, 0 collapsed) and effective rank (RankMe, in [1, feature dim]). Absent
   * in results written before 2026-12-03 evening.
   */
  featureStd?: number;
  featureRank?: number;
  /**
   * The same kNN and linear probe on the encoder at initialisation (same seed, no training): the
   * floor that self-supervision has to beat. Absent when `eval.randomInitBaseline` is false.
   */
  randomInitLinearTop1?: number;
  randomInitKnnTop1?: number;
  /** The collapse diagnostics of the encoder at initialisation. */
  randomInitFeatureStd?: number;
  randomInitFeatureRank?: number;
  /** L-BFGS iterations the linear probe took. */
  linearIterations?: number;
  finetuneTop1?: number;
  finetuneTop5?: number;
  finetuneLabels?: number;
  /**
   * The same fine-tuning started from the encoder at initialisation (same seed, no
   * pre-training: supervised from scratch on the same labels); present with `finetuneTop1`
   * unless `eval.randomInitBaseline` is false.
   */
  randomInitFinetuneTop1?: number;
  /**
   * Methods with mask-aware necks (smag): mean over the epochs of the percentage of the masked
   * views' feature cells the neck saw as visible (`visibleCells` in `metrics.jsonl`).
   */
  visibleCellPct?: number;
  /** Mean over the epochs of the percentage of masked views with no visible cell (`noVisibleCell`). */
  noVisibleCellPct?: number;
  /** Training wall time across resumptions. */
  trainSeconds: number;
  evalSeconds: number;
  /** Wall time of this invocation. */
  seconds: number;
  outDir: string;
}

/** Options of {@link runExperiment} that do not change the result. */
export interface RunOptions {
  /** Run directory (default `runs/<method>-<dataset>-s<seed>-<hash>`). */
  outDir?: string;
  /** Backend name or "auto" (default env KIT_BACKEND, else auto). */
  backend?: BackendRequest;
  threads?: number;
  /** Folder with local dataset archives (default env KIT_DATA_DIR). */
  dataDir?: string;
  /** Start over even if the directory holds a checkpoint or a result. */
  fresh?: boolean;
  /** Polled between steps; true stops after a checkpoint. */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
  progress?: (line: string, final: boolean) => void;
  /** A dataset already in memory (skips loading `cfg.data.dataset`). */
  dataset?: ImageDataset;
}

/** The files of a run directory. */
interface RunPaths {
  config: string;
  run: string;
  metrics: string;
  result: string;
  checkpoint: string;
}

/** A run whose config was accepted: its hash, folder and files. */
interface OpenedRun {
  /** The config as given: hashed and written to `config.json`. */
  requested: ExperimentConfig;
  hash: string;
  outDir: string;
  paths: RunPaths;
}

/** The data and model of a run, ready to train. */
interface PreparedRun {
  /** The config the model is built from (input channels follow the data). */
  cfg: ExperimentConfig;
  backend: BackendInfo;
  dataset: ImageDataset;
  stats: ChannelStats;
  methodContext: MethodContext;
  method: Method;
}

/**
 * Trains and evaluates `cfg` (see module docs), in stages: {@link openRun}
 * (checks, hash, cached result), {@link prepareRun} (backend, data, method),
 * {@link startRecord} (`config.json`, `run.json`), {@link trainStage}
 * (checkpoints, `metrics.jsonl`), {@link evaluateStage} (kNN, probe, random
 * init, fine-tuning) and {@link recordResult} (`result.json`).
 */
export async function runExperiment(
  cfg: ExperimentConfig,
  opts: RunOptions = {},
): Promise<ExperimentResult> {
  const started = performance.now();
  const log = opts.log ?? ((l: string) => console.error(l));
  validateExperiment(cfg);
  // Every method option written out, so the run's hash and config.json cover the defaults.
  cfg = withDefaultOptions(cfg);
  const opened = await openRun(cfg, opts, log);
  if ("result" in opened) return opened.result;
  const prepared = await prepareRun(cfg, opts, log);
  const { method } = prepared;
  const record = newRunRecord(opened, prepared, await codeVersion());
  try {
    await startRecord(opened, record, opts.fresh ?? false);
  } catch (err) {
    method.dispose();
    throw err;
  }
  try {
    const summary = await trainStage(opened, prepared, opts, log);
    record.timings.trainSeconds = summary.trainSeconds;
    const evalStart = performance.now();
    const evaluation = await evaluateStage(prepared, log);
    const evalSeconds = (performance.now() - evalStart) / 1000;
    record.timings.evalSeconds = evalSeconds;
    const result = experimentResult(opened, prepared, summary, evaluation, {
      evalSeconds,
      started,
    });
    await recordResult(opened.paths, record, result);
    return result;
  } catch (err) {
    const e = err as Error;
    // Best effort: on a full disk this write fails too, and the first error is the one to show.
    await finishRecord(
      opened.paths,
      record,
      e.name === "TrainingInterruptedError" ? "interrupted" : "failed",
      e.message,
    ).catch(() => {});
    throw err;
  } finally {
    method.dispose();
  }
}

/**
 * Stage 1: everything that can refuse the config is checked before the run
 * folder is created or changed (so the corrected command with the same --out
 * is accepted); returns the stored result when the folder finished this config.
 */
async function openRun(
  cfg: ExperimentConfig,
  opts: RunOptions,
  log: (line: string) => void,
): Promise<OpenedRun | { result: ExperimentResult }> {
  checkMethodConfig(cfg); // validateExperiment(cfg) ran in runExperiment, before the defaults
  const hash = await configHash(cfg);
  const outDir = opts.outDir ??
    join("runs", `${cfg.method}-${cfg.data.dataset}-s${cfg.seed}-${hash}`);
  const paths: RunPaths = {
    config: join(outDir, "config.json"),
    run: join(outDir, "run.json"),
    metrics: join(outDir, "metrics.jsonl"),
    result: join(outDir, "result.json"),
    checkpoint: join(outDir, "checkpoint"),
  };
  if (!opts.fresh) {
    const previous = await readJsonIfExists<ExperimentResult>(paths.result);
    if (previous && previous.configHash === hash) {
      log(
        `${outDir}: finished earlier with this config; returning the stored result (--fresh reruns it)`,
      );
      return { result: previous };
    }
    const storedConfig = await readJsonIfExists<ExperimentConfig>(paths.config);
    if (storedConfig && (await configHash(storedConfig)) !== hash) {
      throw new Error(
        `${outDir} belongs to a run with a different configuration; choose another --out, ` +
          `or pass --fresh to overwrite it`,
      );
    }
  }
  await checkWritable(outDir);
  return { requested: cfg, hash, outDir, paths };
}

/** Stage 2: backend, dataset, channel statistics, data-dependent checks, the method. */
async function prepareRun(
  requested: ExperimentConfig,
  opts: RunOptions,
  log: (line: string) => void,
): Promise<PreparedRun> {
  const backend: BackendInfo = await initBackend({
    backend: opts.backend,
    threads: opts.threads,
    log,
  });
  const dataset = opts.dataset ?? await loadDataset(requested.data.dataset, {
    dataDir: opts.dataDir,
    trainSize: requested.data.trainSize,
    testSize: requested.data.testSize,
    seed: 0,
    onProgress: log,
  });
  const [h, w, c] = dataset.imageShape;
  const cfg = withInputChannels(requested, c); // the model's input channels follow the data
  stepsPerEpoch(dataset.train.count, cfg.optim.batchSize); // throws naming --batch-size
  const stats = channelStats(dataset.train, c);
  log(
    `${dataset.displayName}${
      dataset.synthetic ? " [SYNTHETIC]" : ""
    }: ${dataset.train.count} train / ` +
      `${dataset.test.count} test images of ${h}x${w}x${c}; backend ${backend.name}`,
  );
  if (c === 1) {
    log(
      "1-channel images: the model takes 1 input channel and the view recipe jitters " +
        "brightness and contrast only (no saturation, hue or grayscale step)",
    );
  }
  checkTokenMasks(cfg, dataset.imageShape, log);
  checkEvalSizes(cfg, dataset, log);
  const methodContext = {
    imageShape: dataset.imageShape,
    stats,
    numClasses: dataset.classes.length,
  };
  // Builds the model: option values and mask feasibility are checked here, before any write.
  const method = buildMethod(cfg, methodContext);
  return { cfg, backend, dataset, stats, methodContext, method };
}

/** The `run.json` record of a run that starts now. */
function newRunRecord(
  opened: OpenedRun,
  prepared: PreparedRun,
  code: RunRecord["code"],
): RunRecord {
  const { cfg, backend, dataset } = prepared;
  return {
    status: "running",
    method: cfg.method,
    configHash: opened.hash,
    backend: { ...backend },
    dataset: {
      name: dataset.name,
      displayName: dataset.displayName,
      synthetic: dataset.synthetic,
      source: dataset.source,
      train: dataset.train.count,
      test: dataset.test.count,
      imageShape: dataset.imageShape,
    },
    code,
    host: {
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency,
      cpu: cpuModel(),
    },
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    timings: {},
  };
}

/** Stage 3: the first writes: `config.json` (as requested) and `run.json` (`--fresh`: wipe first). */
async function startRecord(opened: OpenedRun, record: RunRecord, fresh: boolean): Promise<void> {
  if (fresh) await Deno.remove(opened.outDir, { recursive: true }).catch(() => {});
  await writeJsonAtomic(opened.paths.config, opened.requested);
  await writeJsonAtomic(opened.paths.run, record);
}

/** Updates `run.json` with the final status (and the error, if any). */
async function finishRecord(
  paths: RunPaths,
  record: RunRecord,
  status: RunRecord["status"],
  error?: string,
): Promise<void> {
  record.status = status;
  record.updatedAt = new Date().toISOString();
  if (error) record.error = error;
  await writeJsonAtomic(paths.run, record);
}

/**
 * Stage 4: training (resumable). Checkpoints go to `checkpoint/` (written by
 * the trainer every epoch, every 5 minutes and on a stop); each epoch's line,
 * with the kNN monitor when due, is appended to `metrics.jsonl` here.
 */
async function trainStage(
  opened: OpenedRun,
  prepared: PreparedRun,
  opts: RunOptions,
  log: (line: string) => void,
): Promise<TrainSummary> {
  const { cfg, backend, dataset, stats, method } = prepared;
  const { paths } = opened;
  const every = cfg.eval.monitorEvery ?? 0;
  const monitor = every > 0
    ? makeKnnMonitor({
      dataset,
      size: cfg.eval.monitorSize ?? 1000,
      k: cfg.eval.knnK,
      temperature: cfg.eval.knnTemperature,
      stats,
      seed: 0,
    })
    : undefined;
  const monitorDue = (epoch: number) =>
    monitor !== undefined && ((epoch + 1) % every === 0 || epoch + 1 === cfg.optim.epochs);
  const monitorTop1 = async () => {
    const knn = await monitor!((x) => method.encoder.embed(x, { training: false }));
    return Math.round(knn.top1 * 10000) / 100;
  };
  return await trainMethod({
    method,
    config: cfg,
    configHash: opened.hash,
    train: dataset.train,
    imageShape: dataset.imageShape,
    checkpointDir: paths.checkpoint,
    shouldStop: opts.shouldStop,
    syncEvery: backend.name === "webgpu" ? 20 : 1,
    computeThreads: backend.threads,
    log,
    progress: opts.progress,
    onEpoch: async (rec) => {
      if (monitorDue(rec.epoch)) rec.metrics.knnMonitorTop1 = await monitorTop1();
      await appendJsonLine(paths.metrics, rec);
    },
    onResume: async (history, progress) => {
      // Make metrics.jsonl match the checkpoint: restore the line of an epoch whose append a
      // kill cut off (or cut short), drop lines of epochs the checkpoint does not hold.
      const lines = await readJsonLines<EpochRecord>(paths.metrics);
      const byEpoch = new Map(lines.map((l) => [l.epoch, l]));
      const repaired = history.map((rec) => byEpoch.get(rec.epoch) ?? rec);
      const last = history.at(-1);
      if (
        last && !byEpoch.has(last.epoch) && progress.stepInEpoch === 0 && monitorDue(last.epoch)
      ) {
        // The weights are those at the end of that epoch: the monitor value is the lost one.
        last.metrics.knnMonitorTop1 = await monitorTop1();
      }
      const text = (rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join("\n");
      if (text(repaired) !== text(lines)) {
        await writeJsonLinesAtomic(paths.metrics, repaired);
        log(`${paths.metrics}: brought in line with the checkpoint (${repaired.length} epochs)`);
      }
    },
  });
}

/** What {@link evaluateStage} measures. */
interface Evaluation {
  rep: RepresentationEval;
  randomInit?: RepresentationEval;
  finetune?: Awaited<ReturnType<typeof finetune>>;
  /** The same fine-tuning from the encoder at initialisation (supervised from scratch). */
  randomInitFinetune?: Awaited<ReturnType<typeof finetune>>;
}

/**
 * Stage 5: kNN and linear probe on the trained encoder, the same on the
 * encoder at initialisation (unless switched off), optional fine-tuning (of the trained
 * encoder and, unless the baseline is switched off, of the encoder at initialisation).
 */
async function evaluateStage(
  prepared: PreparedRun,
  log: (line: string) => void,
): Promise<Evaluation> {
  const { cfg, dataset, stats, method, methodContext } = prepared;
  log(
    `evaluating: kNN (k=${cfg.eval.knnK}) and linear probe (L-BFGS, C=${cfg.eval.linearC})` +
      (cfg.eval.randomInitBaseline === false ? "" : ", trained and at random initialisation"),
  );
  const evalTrain = cfg.eval.trainSize && cfg.eval.trainSize < dataset.train.count
    ? subsetSplit(
      dataset.train,
      labelBudgetIndices(dataset.train.labels, dataset.classes.length, {
        total: cfg.eval.trainSize - (cfg.eval.trainSize % dataset.classes.length),
      }, cfg.seed),
    )
    : dataset.train;
  const protocol = {
    train: evalTrain,
    test: dataset.test,
    imageShape: dataset.imageShape,
    numClasses: dataset.classes.length,
    stats,
    knnK: cfg.eval.knnK,
    knnTemperature: cfg.eval.knnTemperature,
    linearC: cfg.eval.linearC,
    linearMaxIter: cfg.eval.linearMaxIter,
  };
  const rep = await evaluateRepresentation({
    ...protocol,
    encode: (x) => method.encoder.embed(x, { training: false }),
  });
  if (!rep.linearConverged) {
    log(
      `linear probe: L-BFGS stopped at its cap of ${cfg.eval.linearMaxIter} iterations before ` +
        `converging; raise --linear-max-iter for an exact optimum`,
    );
  }
  // The encoder as initialised from `cfg.seed` (a fresh method, no training step; batch norm uses
  // its initial running statistics, as in evaluation mode): the random-init baseline of the probe
  // and kNN and, when the run fine-tunes, of fine-tuning, reported beside every trained result.
  const untrained = cfg.eval.randomInitBaseline === false
    ? undefined
    : buildMethod(cfg, methodContext);
  try {
    const randomInit = untrained &&
      await evaluateRepresentation({
        ...protocol,
        encode: (x) => untrained.encoder.embed(x, { training: false }),
      });
    const ft = await finetuneStage(prepared, method.state() as Map<string, tf.Tensor>, log);
    let randomInitFinetune: Evaluation["randomInitFinetune"];
    if (ft && untrained) {
      log("fine-tuning the encoder at initialisation (the supervised-from-scratch baseline)");
      randomInitFinetune = await finetuneStage(
        prepared,
        untrained.state() as Map<string, tf.Tensor>,
        log,
      );
    }
    return { rep, randomInit, finetune: ft, randomInitFinetune };
  } finally {
    untrained?.dispose();
  }
}

/**
 * Fine-tuning of the encoder with weights `weights` (the trained ones, or those at
 * initialisation for the baseline) with the configured label budget, when there is one.
 */
async function finetuneStage(
  prepared: PreparedRun,
  weights: Map<string, tf.Tensor>,
  log: (line: string) => void,
): Promise<Awaited<ReturnType<typeof finetune>> | undefined> {
  const { cfg, dataset, stats } = prepared;
  if (!cfg.eval.finetuneLabels && !cfg.eval.finetuneFraction) return undefined;
  const budget = cfg.eval.finetuneFraction
    ? { fraction: cfg.eval.finetuneFraction }
    : { total: cfg.eval.finetuneLabels! };
  const idx = labelBudgetIndices(dataset.train.labels, dataset.classes.length, budget, cfg.seed);
  log(`fine-tuning with ${idx.length} labels for ${cfg.eval.finetuneEpochs} epochs`);
  return await finetune({
    encoder: cfg.encoder,
    weights,
    train: subsetSplit(dataset.train, idx),
    test: dataset.test,
    imageShape: dataset.imageShape,
    numClasses: dataset.classes.length,
    stats,
    epochs: cfg.eval.finetuneEpochs,
    batchSize: Math.min(cfg.optim.batchSize, idx.length),
    seed: cfg.seed,
    log,
  });
}

/** The result line of a finished run (accuracies as percentages, 2 decimals). */
function experimentResult(
  opened: OpenedRun,
  prepared: PreparedRun,
  summary: TrainSummary,
  evaluation: Evaluation,
  timing: { evalSeconds: number; started: number },
): ExperimentResult {
  const { cfg, backend, dataset } = prepared;
  const { rep, randomInit, finetune: ft, randomInitFinetune: ft0 } = evaluation;
  const pct = (v: number) => Math.round(v * 10000) / 100;
  const round3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    method: cfg.method,
    dataset: dataset.name,
    datasetDisplayName: dataset.displayName,
    synthetic: dataset.synthetic,
    seed: cfg.seed,
    configHash: opened.hash,
    backend: backend.name,
    epochs: cfg.optim.epochs,
    trainImages: dataset.train.count,
    finalLoss: summary.history.at(-1)?.loss ?? NaN,
    linearTop1: pct(rep.linearTop1),
    linearTop5: pct(rep.linearTop5),
    knnTop1: pct(rep.knnTop1),
    knnTop5: pct(rep.knnTop5),
    featureStd: round3(rep.featureStd),
    featureRank: round3(rep.featureRank),
    ...(randomInit
      ? {
        randomInitLinearTop1: pct(randomInit.linearTop1),
        randomInitKnnTop1: pct(randomInit.knnTop1),
        randomInitFeatureStd: round3(randomInit.featureStd),
        randomInitFeatureRank: round3(randomInit.featureRank),
      }
      : {}),
    linearIterations: rep.linearIterations,
    ...(ft
      ? { finetuneTop1: pct(ft.top1), finetuneTop5: pct(ft.top5), finetuneLabels: ft.labels }
      : {}),
    ...(ft0 ? { randomInitFinetuneTop1: pct(ft0.top1) } : {}),
    ...epochMeanPct(summary.history, {
      visibleCells: "visibleCellPct",
      noVisibleCell: "noVisibleCellPct",
    }),
    trainSeconds: Math.round(summary.trainSeconds * 10) / 10,
    evalSeconds: Math.round(timing.evalSeconds * 10) / 10,
    seconds: Math.round((performance.now() - timing.started) / 100) / 10,
    outDir: opened.outDir,
  };
}

/**
 * For each `metric -> field`, the mean over the epochs that logged `metric` (a fraction), as a
 * percentage rounded to 0.01; fields whose metric no epoch logged are left out.
 */
export function epochMeanPct(
  history: readonly { metrics: Record<string, number> }[],
  fields: Record<string, string>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [metric, field] of Object.entries(fields)) {
    const values = history.map((r) => r.metrics[metric]).filter((v) =>
      typeof v === "number" && Number.isFinite(v)
    );
    if (values.length === 0) continue;
    out[field] = Math.round(values.reduce((a, b) => a + b, 0) / values.length * 10000) / 100;
  }
  return out;
}

/** Stage 6: `result.json`, then `run.json` marked finished. */
async function recordResult(
  paths: RunPaths,
  record: RunRecord,
  result: ExperimentResult,
): Promise<void> {
  await writeJsonAtomic(paths.result, result);
  record.timings.seconds = result.seconds;
  await finishRecord(paths, record, "finished");
}
