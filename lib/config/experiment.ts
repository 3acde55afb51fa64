/**
 * The JSON form of one training run. Everything that changes a result is in
 * here (and so in the run's `config.json` and its cache key); nothing that
 * only changes speed or logging is.
 *
 * @module
 */
import type { EncoderConfig } from "../models/encoder.ts";
import { RESNET_DEPTHS } from "../models/resnet.ts";
import { PROJECTION_HEAD } from "./presets.ts";

/** Optimisation settings (S-MAG section 4.1 defaults). */
export interface OptimConfig {
  /** Images per step. */
  batchSize: number;
  /** Passes over the training set. */
  epochs: number;
  /**
   * Base learning rate of the lr rule `baseLr * batchSize / 256`. Default 1e-3, chosen on 32x32
   * images (README "Defaults chosen from evidence"); S-MAG's value is 5e-4 (the `paper` profile).
   */
  baseLr: number;
  /** Explicit peak learning rate; overrides the rule when set. */
  lr?: number;
  /** Decoupled weight decay of AdamW (0.05 in S-MAG). */
  weightDecay: number;
  /** Linear warm-up length in epochs (10 of 500 in S-MAG; scaled down for short runs). */
  warmupEpochs: number;
  /** Floor of the cosine schedule, as a fraction of the peak lr. */
  minLrRatio: number;
}

/** Evaluation protocol after training. */
export interface EvalConfig {
  /** kNN neighbours (200 in the MoCo CIFAR monitor). */
  knnK: number;
  /** kNN temperature (0.1). */
  knnTemperature: number;
  /**
   * Inverse L2 strength of the linear probe (scikit-learn's `C`): multinomial logistic regression
   * on standardised features minimising mean cross-entropy + ||W||^2 / (2 C n), solved by L-BFGS.
   */
  linearC: number;
  /** L-BFGS iteration cap of the linear probe (it stops earlier once the gradient is ~0). */
  linearMaxIter: number;
  /**
   * Also evaluate the encoder at initialisation (same seed, no training) with the same kNN and
   * probe, reported as `randomInit*` beside the trained numbers (default true).
   */
  randomInitBaseline?: boolean;
  /** Train images used to fit kNN/linear probe (all when unset). */
  trainSize?: number;
  /** Labelled images for fine-tuning (label budget, balanced per class); e.g. 4000 for CIFAR-10. */
  finetuneLabels?: number;
  /** Label budget as a fraction of each class instead (0.01 = 1%, 0.1 = 10%). */
  finetuneFraction?: number;
  /** Fine-tuning epochs. */
  finetuneEpochs: number;
  /** Epochs between kNN monitor evaluations during training (unset or 0: off). */
  monitorEvery?: number;
  /** Images per split used by the kNN monitor (default 1000). */
  monitorSize?: number;
}

/** Settings of the augmentation recipe shared by the contrastive methods. */
export interface ViewsConfig {
  /**
   * Area range of the random resized crop, as fractions of the image. Default [0.2, 1] (chosen on
   * 32x32 images, README "Defaults chosen from evidence"); SimCLR's is [0.08, 1].
   */
  cropScale: [number, number];
}

/** One training run. */
export interface ExperimentConfig {
  /** Method registry name (`deno task train --list-methods`). */
  method: string;
  /** Method-specific options (e.g. `{ temperature: 0.5 }`); each method documents its own. */
  methodOptions: Record<string, unknown>;
  /** Seed of initialisation, data order, views and masks. */
  seed: number;
  /** Dataset registry name and optional subset sizes. */
  data: { dataset: string; trainSize?: number; testSize?: number };
  encoder: EncoderConfig;
  /** View recipe settings (absent in configs written before it existed: crop scale [0.08, 1]). */
  views?: ViewsConfig;
  optim: OptimConfig;
  eval: EvalConfig;
}

/** Defaults for a CPU-sized run: ResNet-10 of width 32 (`resnet10`, 32 channels). */
export function defaultExperiment(): ExperimentConfig {
  return {
    method: "simclr",
    methodOptions: {},
    seed: 0,
    data: { dataset: "synthetic" },
    encoder: {
      backbone: {
        type: "resnet",
        blocks: RESNET_DEPTHS.resnet10,
        width: 32,
        zeroInitResidual: false,
      },
      neck: { type: "gap" },
      head: { ...PROJECTION_HEAD },
    },
    views: { cropScale: [0.2, 1] },
    optim: {
      batchSize: 128,
      epochs: 10,
      baseLr: 1e-3,
      weightDecay: 0.05,
      warmupEpochs: 1,
      minLrRatio: 0,
    },
    eval: {
      knnK: 200,
      knnTemperature: 0.1,
      linearC: 1,
      linearMaxIter: 1000,
      randomInitBaseline: true,
      finetuneEpochs: 10,
    },
  };
}

/** Peak learning rate: explicit `lr`, else the rule `baseLr * batchSize / 256`. */
export function peakLr(optim: OptimConfig): number {
  return optim.lr ?? optim.baseLr * optim.batchSize / 256;
}

/** Throws a message naming the field and the fix when a config cannot run. */
export function validateExperiment(cfg: ExperimentConfig): void {
  const positiveInt = (v: number | undefined, field: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) {
      throw new Error(`config field ${field} must be a positive integer, got ${v}`);
    }
  };
  positiveInt(cfg.optim.batchSize, "optim.batchSize (--batch-size)");
  positiveInt(cfg.optim.epochs, "optim.epochs (--epochs)");
  positiveInt(cfg.data.trainSize, "data.trainSize (--train-size)");
  positiveInt(cfg.data.testSize, "data.testSize (--test-size)");
  positiveInt(cfg.eval.finetuneLabels, "eval.finetuneLabels (--finetune-labels)");
  positiveInt(cfg.eval.monitorSize, "eval.monitorSize (--monitor-size)");
  if (
    cfg.eval.monitorEvery !== undefined &&
    !(Number.isInteger(cfg.eval.monitorEvery) && cfg.eval.monitorEvery >= 0)
  ) {
    throw new Error(
      `config field eval.monitorEvery (--monitor-every) must be an integer >= 0, got ${cfg.eval.monitorEvery}`,
    );
  }
  const frac = cfg.eval.finetuneFraction;
  if (frac !== undefined && !(frac > 0 && frac <= 1)) {
    throw new Error(`eval.finetuneFraction (--finetune-labels N%) must be in (0, 1], got ${frac}`);
  }
  if (frac !== undefined && cfg.eval.finetuneLabels !== undefined) {
    throw new Error("give the fine-tuning label budget as a count or as a fraction, not both");
  }
  if (cfg.optim.batchSize < 2) {
    throw new Error("optim.batchSize (--batch-size) must be at least 2 for contrastive losses");
  }
  if (cfg.data.trainSize !== undefined && cfg.optim.batchSize > cfg.data.trainSize) {
    throw new Error(
      `optim.batchSize (--batch-size) ${cfg.optim.batchSize} is larger than data.trainSize ` +
        `(--train-size) ${cfg.data.trainSize}: not one full batch per epoch; lower --batch-size ` +
        `to at most ${cfg.data.trainSize} or raise --train-size`,
    );
  }
  if (typeof cfg.method !== "string" || cfg.method === "") {
    throw new Error(
      `config field method must be a method name, got ${JSON.stringify(cfg.method)}; ` +
        "deno task train --list-methods shows them",
    );
  }
  if (
    cfg.methodOptions === null || typeof cfg.methodOptions !== "object" ||
    Array.isArray(cfg.methodOptions)
  ) {
    throw new Error(
      `config field methodOptions must be an object of option values, got ` +
        `${JSON.stringify(cfg.methodOptions)}; e.g. {"temperature": 0.5}`,
    );
  }
  if (!Number.isSafeInteger(cfg.seed)) {
    throw new Error(`config field seed (--seed) must be an integer, got ${cfg.seed}`);
  }
  for (
    const [field, v] of [["optim.baseLr", cfg.optim.baseLr], [
      "optim.weightDecay",
      cfg.optim.weightDecay,
    ]] as const
  ) {
    if (!Number.isFinite(v) || v < 0) {
      throw new Error(`config field ${field} must be a finite number >= 0, got ${v}`);
    }
  }
  if (cfg.optim.lr !== undefined && !(cfg.optim.lr > 0)) {
    throw new Error(`config field optim.lr (--lr) must be > 0, got ${cfg.optim.lr}`);
  }
  if (cfg.optim.warmupEpochs < 0 || cfg.optim.warmupEpochs > cfg.optim.epochs) {
    throw new Error(
      `optim.warmupEpochs (--warmup-epochs) must be between 0 and epochs (${cfg.optim.epochs}), ` +
        `got ${cfg.optim.warmupEpochs}`,
    );
  }
}

/** Canonical JSON (sorted keys) of a config: equal configs give equal strings. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Short stable hash of a config (hex of SHA-256 over its canonical JSON), for run keys. */
export async function configHash(cfg: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(cfg));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}
