/**
 * The standard compute profiles of ablations:
 *
 * | profile | data                                  | network                 | schedule                    | use                      |
 * | ------- | ------------------------------------- | ----------------------- | --------------------------- | ------------------------ |
 * | `tiny`  | synthetic, 64 train / 40 test         | ResNet [1] of width 4   | 1 epoch, batch 16           | tests (about 1 s a run)  |
 * | `quick` | cifar10-jpeg, 5,000 train / 1,000 test | ResNet-10 of width 16   | 3 epochs, batch 128         | a smoke test on a CPU (minutes a run; encoders barely trained) |
 * | `10k-5ep` | cifar10-jpeg, 10,000 train / 10,000 test | ResNet-10 of width 16 | 5 epochs, batch 256, 1 warm-up | a pilot: does a method learn at all before its full ablation (about 4-7 min a run) |
 * | `10k-15ep` | cifar10-jpeg, 10,000 train / 10,000 test | ResNet-10 of width 16 | 15 epochs, batch 256, 1 warm-up | the ablations' evidence on a CPU (about 10-40 min a run) |
 * | `paper` | cifar10-jpeg, full                    | ResNet-18 of width 64   | 500 epochs (SVHN 300), batch 1024, 10 warm-up | a GPU (S-MAG section 4.1) |
 *
 * Every profile takes the `--dataset` override as its second argument and
 * keeps the arms' own settings (method, method options, necks) untouched:
 * profiles only set sizes and budgets.
 *
 * @module
 */
import type { ExperimentConfig } from "../config/experiment.ts";
import { RESNET_DEPTHS } from "../models/resnet.ts";

/** Signature of a profile (same as `Profile` of spec.ts, repeated to avoid an import cycle). */
type ProfileFn = (cfg: ExperimentConfig, dataset?: string) => ExperimentConfig;

function withBackbone(cfg: ExperimentConfig, blocks: number[], width: number): ExperimentConfig {
  cfg.encoder = { ...cfg.encoder, backbone: { ...cfg.encoder.backbone, blocks, width } };
  return cfg;
}

/** `tiny`: synthetic data, 64 images, width-4 one-stage ResNet, 1 epoch (seconds; for tests). */
export const tinyProfile: ProfileFn = (input, dataset) => {
  const cfg = withBackbone(structuredClone(input), [1], 4);
  cfg.data = { dataset: dataset ?? "synthetic", trainSize: 64, testSize: 40 };
  cfg.encoder.head = { type: "projection", hidden: 16, out: 8 };
  cfg.optim = { ...cfg.optim, batchSize: 16, epochs: 1, warmupEpochs: 0 };
  cfg.eval = { ...cfg.eval, knnK: 20, linearMaxIter: 100, trainSize: undefined };
  cfg.eval.finetuneLabels = undefined;
  return cfg;
};

/**
 * `tiny` with a three-stage backbone (ResNet [1, 1, 1], width 4): the feature
 * map of a 32x32 input is 8x8 (64 tokens) instead of 32x32 (1,024), so
 * attention and GRU necks, and masks reduced to feature cells, run at the
 * token counts they see in the larger profiles. Half the data of `tiny` (32
 * train / 20 test, 2 steps of 16): S-MAG's SimCLR views cost most of a tiny run.
 */
export const tinyStridedProfile: ProfileFn = (input, dataset) => {
  const cfg = withBackbone(tinyProfile(input, dataset), RESNET_DEPTHS.resnet8, 4);
  cfg.data = { ...cfg.data, trainSize: 32, testSize: 20 };
  return cfg;
};

/**
 * `profile` with the kNN monitor on 1,000 images per split every `every` epochs (its
 * `knnMonitorTop1` per monitored epoch in each run's `metrics.jsonl`).
 */
export function withKnnMonitor(profile: ProfileFn, every: number): ProfileFn {
  return (cfg, dataset) => {
    const out = profile(cfg, dataset);
    out.eval = { ...out.eval, monitorEvery: every, monitorSize: 1000 };
    return out;
  };
}

/**
 * `profile` with fine-tuning on `labels` class-balanced labels after pre-training
 * (`eval.finetuneLabels`; `finetuneTop1`, and `randomInitFinetuneTop1` for the same fine-tuning
 * from the untrained encoder).
 */
export function withFinetuneLabels(profile: ProfileFn, labels: number): ProfileFn {
  return (cfg, dataset) => {
    const out = profile(cfg, dataset);
    out.eval = { ...out.eval, finetuneLabels: labels, finetuneFraction: undefined };
    return out;
  };
}

/** Sizes of a CPU profile on a CIFAR-10 subset with ResNet-10 of width 16. */
interface CpuSubsetSizes {
  trainSize: number;
  testSize: number;
  batchSize: number;
  epochs: number;
  /** Output width of the projection head (hidden 256). */
  headOut: number;
}

/** A CPU profile: CIFAR-10 (JPEG copy) subset, ResNet-10 width 16, 1 warm-up epoch, kNN k 200. */
function cpuSubsetProfile(sizes: CpuSubsetSizes): ProfileFn {
  return (input, dataset) => {
    const cfg = withBackbone(structuredClone(input), RESNET_DEPTHS.resnet10, 16);
    cfg.data = {
      dataset: dataset ?? "cifar10-jpeg",
      trainSize: sizes.trainSize,
      testSize: sizes.testSize,
    };
    cfg.encoder.head = { type: "projection", hidden: 256, out: sizes.headOut };
    cfg.optim = { ...cfg.optim, batchSize: sizes.batchSize, epochs: sizes.epochs, warmupEpochs: 1 };
    cfg.eval = { ...cfg.eval, knnK: 200, trainSize: undefined };
    cfg.eval.finetuneLabels = undefined;
    return cfg;
  };
}

/** `quick`: CIFAR-10 (JPEG copy) subset of 5,000 / 1,000, ResNet-10 width 16, 3 epochs (CPU). */
export const quickProfile: ProfileFn = cpuSubsetProfile({
  trainSize: 5000,
  testSize: 1000,
  batchSize: 128,
  epochs: 3,
  headOut: 128,
});

/**
 * `10k-15ep`: the scale of `deno task parity` (CIFAR-10 JPEG copy, 10,000
 * train / 10,000 test, ResNet-10 of width 16, projection 256-256, batch 256,
 * 1 warm-up epoch, base lr 1e-3) at 15 epochs: the evidence profile of the
 * ablations on a CPU (issue 11). Why 15: SimCLR (tau 0.2) reaches 43.8 %
 * linear top-1 at 5 epochs and 48.9 % at 20 (results/parity); the first
 * ablation run at 10 epochs, S-MAG without mask (tau 0.5, GAM neck), reached
 * 44.9 %, under the 45 % that baseline arms must reach. The 10,000 test
 * images keep the evaluation's own sampling noise near 0.5 point. Cost and
 * seeds per ablation: `deno task ablation-budget` (README, "Ablation budget").
 */
export const tenKFifteenEpochProfile: ProfileFn = cpuSubsetProfile({
  trainSize: 10000,
  testSize: 10000,
  batchSize: 256,
  epochs: 15,
  headOut: 256,
});

/**
 * `10k-5ep`: {@link tenKFifteenEpochProfile} for 5 epochs, a pilot that shows in a third of
 * the time whether a method's encoder learns at all at this scale (SimCLR reaches 43.8 %
 * linear at 5 epochs here) before its ablation spends 15-epoch runs on it: the first
 * diagnosis of KDC-MAE's collapse (`kdc-loss-weights`) ran on it.
 */
export const tenKFiveEpochProfile: ProfileFn = cpuSubsetProfile({
  trainSize: 10000,
  testSize: 10000,
  batchSize: 256,
  epochs: 5,
  headOut: 256,
});

/** Options of {@link paperProfile}. */
export interface PaperProfileOptions {
  /** Images per step (S-MAG 1024; SimCLR CIFAR-10 512). */
  batchSize?: number;
  /** Epochs on CIFAR-10 / other datasets (S-MAG 500). */
  epochs?: number;
  /** Epochs on SVHN (S-MAG 300). */
  svhnEpochs?: number;
}

/**
 * `paper`: S-MAG section 4.1: full dataset, ResNet-18 of width 64, projection
 * 2-layer MLP to 256, AdamW lr 5e-4 x batch/256, weight decay 0.05, 10 warm-up
 * epochs then cosine, 500 epochs (SVHN 300), batch 1024; kNN k 200 and a
 * converged L-BFGS linear probe. Meant for a GPU.
 */
export function paperProfile(opts: PaperProfileOptions = {}): ProfileFn {
  return (input, dataset) => {
    const cfg = withBackbone(structuredClone(input), RESNET_DEPTHS.resnet18, 64);
    const name = dataset ?? "cifar10-jpeg";
    cfg.data = { dataset: name };
    cfg.encoder.head = { type: "projection", hidden: 2048, out: 256 };
    const epochs = name.startsWith("svhn") ? opts.svhnEpochs ?? 300 : opts.epochs ?? 500;
    cfg.optim = {
      ...cfg.optim,
      batchSize: opts.batchSize ?? 1024,
      epochs,
      baseLr: 5e-4,
      lr: undefined,
      weightDecay: 0.05,
      warmupEpochs: Math.min(10, epochs),
      minLrRatio: 0,
    };
    cfg.eval = { ...cfg.eval, knnK: 200, knnTemperature: 0.1 };
    return cfg;
  };
}

/** The defaults every ablation gets unless it overrides a profile. */
export const STANDARD_PROFILES: Record<
  "tiny" | "quick" | "10k-5ep" | "10k-15ep" | "paper",
  ProfileFn
> = {
  tiny: tinyProfile,
  quick: quickProfile,
  "10k-5ep": tenKFiveEpochProfile,
  "10k-15ep": tenKFifteenEpochProfile,
  paper: paperProfile(),
};

/**
 * The standard profiles with `tiny` on the three-stage backbone ({@link tinyStridedProfile}), so
 * that necks and masks reduced to feature cells see 8x8 cells there too.
 */
export const STRIDED_PROFILES: typeof STANDARD_PROFILES = {
  ...STANDARD_PROFILES,
  tiny: tinyStridedProfile,
};

/** Every profile of `profiles` wrapped by `wrap` (which is told the profile's name). */
export function mapProfiles<K extends string>(
  profiles: Record<K, ProfileFn>,
  wrap: (profile: ProfileFn, name: K) => ProfileFn,
): Record<K, ProfileFn> {
  const out = {} as Record<K, ProfileFn>;
  for (const name of Object.keys(profiles) as K[]) out[name] = wrap(profiles[name], name);
  return out;
}

/**
 * Labels of the kit's fine-tuning protocol: 4,000 class-balanced CIFAR-10 labels (S-MAG Table 1's
 * "CIFAR-10 (4K)" column), 20 on `tiny` (two per class of its 32 images).
 */
export const FINETUNE_LABELS = { tiny: 20, other: 4000 } as const;

/** `profiles`, each fine-tuning after pre-training with {@link FINETUNE_LABELS}. */
export function withFinetuning<K extends string>(
  profiles: Record<K, ProfileFn>,
): Record<K, ProfileFn> {
  return mapProfiles(
    profiles,
    (profile, name) =>
      withFinetuneLabels(profile, name === "tiny" ? FINETUNE_LABELS.tiny : FINETUNE_LABELS.other),
  );
}

/** `profiles`, each with the kNN monitor every epoch (every 10 on `paper`; {@link withKnnMonitor}). */
export function withEpochKnnMonitor<K extends string>(
  profiles: Record<K, ProfileFn>,
): Record<K, ProfileFn> {
  return mapProfiles(
    profiles,
    (profile, name) => withKnnMonitor(profile, name === "paper" ? 10 : 1),
  );
}
