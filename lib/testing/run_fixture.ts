/**
 * The smallest whole-run setup for `runExperiment` tests: 64 synthetic training and 40 test
 * images, a one-stage width-4 ResNet, batches of 16, 2 epochs, on the wasm backend, quiet.
 *
 * @module
 */
import { defaultExperiment, type ExperimentConfig } from "../config/experiment.ts";

/** A SimCLR config that trains in about a second (tests add what they exercise). */
export function tinyRunConfig(): ExperimentConfig {
  const cfg = defaultExperiment();
  cfg.data = { dataset: "synthetic", trainSize: 64, testSize: 40 };
  cfg.encoder = {
    backbone: { type: "resnet", blocks: [1], width: 4 },
    neck: { type: "gap" },
    head: { type: "projection", hidden: 16, out: 8 },
  };
  cfg.optim = { ...cfg.optim, batchSize: 16, epochs: 2, warmupEpochs: 0 };
  return cfg;
}

/** Run options for tests: no log or progress output, wasm backend, one thread. */
export const QUIET_RUN = {
  log: () => {},
  progress: () => {},
  backend: "wasm" as const,
  threads: 1,
};
