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
import { buildMethod } from "../methods/all.ts";
import { type EpochRecord, stepsPerEpoch, trainMethod } from "../train/trainer.ts";
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
import {
  evaluateRepresentation,
  type RepresentationEval,
  type RepresentationEvalOptions,
} from "../eval/protocol.ts";
import type { MethodContext } from "../methods/registry.ts";
import { finetune } from "../eval/finetune.ts";
import { makeKnnMonitor } from "../eval/knn_monitor.ts";

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
   * The same kNN and linear probe on the encoder at initialisation (same seed, no training): the
   * floor that self-supervision has to beat. Absent when `eval.randomInitBaseline` is false.
   */
  randomInitLinearTop1?: number;
  randomInitKnnTop1?: number;
  /** L-BFGS iterations the linear probe took. */
  linearIterations?: number;
  finetuneTop1?: number;
  finetuneTop5?: number;
  finetuneLabels?: number;
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

/** Trains and evaluates `cfg` (see module docs). */
export async function runExperiment(
  cfg: ExperimentConfig,
  opts: RunOptions = {},
): Promise<ExperimentResult> {
  const started = performance.now();
  const log = opts.log ?? ((l: string) => console.error(l));
  // Everything that can refuse the config is checked before the run folder is created or
  // changed, so the corrected command with the same --out is accepted.
  validateExperiment(cfg);
  checkMethodConfig(cfg);
  const requested = cfg; // as given: hashed and written to config.json
  const hash = await configHash(cfg);
  const outDir = opts.outDir ??
    join("runs", `${cfg.method}-${cfg.data.dataset}-s${cfg.seed}-${hash}`);
  const paths = {
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
      return previous;
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

  const backend: BackendInfo = await initBackend({
    backend: opts.backend,
    threads: opts.threads,
    log,
  });
  const dataset = opts.dataset ?? await loadDataset(cfg.data.dataset, {
    dataDir: opts.dataDir,
    trainSize: cfg.data.trainSize,
    testSize: cfg.data.testSize,
    seed: 0,
    onProgress: log,
  });
  const [h, w, c] = dataset.imageShape;
  cfg = withInputChannels(cfg, c); // the model's input channels follow the data
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

  const code = await codeVersion();
  const record: RunRecord = {
    status: "running",
    method: cfg.method,
    configHash: hash,
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
    host: { os: Deno.build.os, arch: Deno.build.arch, cpus: navigator.hardwareConcurrency },
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    timings: {},
  };
  try {
    if (opts.fresh) await Deno.remove(outDir, { recursive: true }).catch(() => {});
    await writeJsonAtomic(paths.config, requested);
    await writeJsonAtomic(paths.run, record);
  } catch (err) {
    method.dispose();
    throw err;
  }
  const finish = async (status: RunRecord["status"], error?: string) => {
    record.status = status;
    record.updatedAt = new Date().toISOString();
    if (error) record.error = error;
    await writeJsonAtomic(paths.run, record);
  };
  const monitor = (cfg.eval.monitorEvery ?? 0) > 0
    ? makeKnnMonitor({
      dataset,
      size: cfg.eval.monitorSize ?? 1000,
      k: cfg.eval.knnK,
      temperature: cfg.eval.knnTemperature,
      stats,
      seed: 0,
    })
    : undefined;
  try {
    const summary = await trainMethod({
      method,
      config: cfg,
      configHash: hash,
      train: dataset.train,
      imageShape: dataset.imageShape,
      checkpointDir: paths.checkpoint,
      shouldStop: opts.shouldStop,
      syncEvery: backend.name === "webgpu" ? 20 : 1,
      log,
      progress: opts.progress,
      onEpoch: async (rec) => {
        const every = cfg.eval.monitorEvery ?? 0;
        if (
          monitor && every > 0 &&
          ((rec.epoch + 1) % every === 0 || rec.epoch + 1 === cfg.optim.epochs)
        ) {
          const knn = await monitor((x) => method.encoder.embed(x, { training: false }));
          rec.metrics.knnMonitorTop1 = Math.round(knn.top1 * 10000) / 100;
        }
        await appendJsonLine(paths.metrics, rec);
      },
      onResume: async (history, progress) => {
        // Make metrics.jsonl match the checkpoint: restore the line of an epoch whose append a
        // kill cut off (or cut short), drop lines of epochs the checkpoint does not hold.
        const lines = await readJsonLines<EpochRecord>(paths.metrics);
        const byEpoch = new Map(lines.map((l) => [l.epoch, l]));
        const repaired = history.map((rec) => byEpoch.get(rec.epoch) ?? rec);
        const last = history.at(-1);
        const every = cfg.eval.monitorEvery ?? 0;
        if (
          last && !byEpoch.has(last.epoch) && monitor && every > 0 && progress.stepInEpoch === 0 &&
          ((last.epoch + 1) % every === 0 || last.epoch + 1 === cfg.optim.epochs)
        ) {
          // The weights are those at the end of that epoch: the monitor value is the lost one.
          const knn = await monitor((x) => method.encoder.embed(x, { training: false }));
          last.metrics.knnMonitorTop1 = Math.round(knn.top1 * 10000) / 100;
        }
        const text = (rs: unknown[]) => rs.map((r) => JSON.stringify(r)).join("\n");
        if (text(repaired) !== text(lines)) {
          await writeJsonLinesAtomic(paths.metrics, repaired);
          log(`${paths.metrics}: brought in line with the checkpoint (${repaired.length} epochs)`);
        }
      },
    });
    record.timings.trainSeconds = summary.trainSeconds;

    const evalStart = performance.now();
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
    const randomInit = cfg.eval.randomInitBaseline === false
      ? undefined
      : await evaluateAtInitialisation(cfg, methodContext, protocol);
    let ft: Awaited<ReturnType<typeof finetune>> | undefined;
    if (cfg.eval.finetuneLabels || cfg.eval.finetuneFraction) {
      const budget = cfg.eval.finetuneFraction
        ? { fraction: cfg.eval.finetuneFraction }
        : { total: cfg.eval.finetuneLabels! };
      const idx = labelBudgetIndices(
        dataset.train.labels,
        dataset.classes.length,
        budget,
        cfg.seed,
      );
      log(`fine-tuning with ${idx.length} labels for ${cfg.eval.finetuneEpochs} epochs`);
      ft = await finetune({
        encoder: cfg.encoder,
        weights: method.state() as Map<string, tf.Tensor>,
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
    const evalSeconds = (performance.now() - evalStart) / 1000;
    record.timings.evalSeconds = evalSeconds;
    const pct = (v: number) => Math.round(v * 10000) / 100;
    const result: ExperimentResult = {
      method: cfg.method,
      dataset: dataset.name,
      datasetDisplayName: dataset.displayName,
      synthetic: dataset.synthetic,
      seed: cfg.seed,
      configHash: hash,
      backend: backend.name,
      epochs: cfg.optim.epochs,
      trainImages: dataset.train.count,
      finalLoss: summary.history.at(-1)?.loss ?? NaN,
      linearTop1: pct(rep.linearTop1),
      linearTop5: pct(rep.linearTop5),
      knnTop1: pct(rep.knnTop1),
      knnTop5: pct(rep.knnTop5),
      ...(randomInit
        ? {
          randomInitLinearTop1: pct(randomInit.linearTop1),
          randomInitKnnTop1: pct(randomInit.knnTop1),
        }
        : {}),
      linearIterations: rep.linearIterations,
      ...(ft
        ? { finetuneTop1: pct(ft.top1), finetuneTop5: pct(ft.top5), finetuneLabels: ft.labels }
        : {}),
      trainSeconds: Math.round(summary.trainSeconds * 10) / 10,
      evalSeconds: Math.round(evalSeconds * 10) / 10,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      outDir,
    };
    await writeJsonAtomic(paths.result, result);
    record.timings.seconds = result.seconds;
    await finish("finished");
    return result;
  } catch (err) {
    const e = err as Error;
    // Best effort: on a full disk this write fails too, and the first error is the one to show.
    await finish(e.name === "TrainingInterruptedError" ? "interrupted" : "failed", e.message)
      .catch(() => {});
    throw err;
  } finally {
    method.dispose();
  }
}

/**
 * kNN and linear probe on the encoder as initialised from `cfg.seed` (a fresh method, no
 * training step; batch norm uses its initial running statistics, as in evaluation mode): the
 * random-init baseline reported beside every trained result.
 */
async function evaluateAtInitialisation(
  cfg: ExperimentConfig,
  ctx: MethodContext,
  protocol: Omit<RepresentationEvalOptions, "encode">,
): Promise<RepresentationEval> {
  const untrained = buildMethod(cfg, ctx);
  try {
    return await evaluateRepresentation({
      ...protocol,
      encode: (x) => untrained.encoder.embed(x, { training: false }),
    });
  } finally {
    untrained.dispose();
  }
}
