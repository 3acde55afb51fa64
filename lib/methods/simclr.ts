/**
 * SimCLR (Chen et al. 2020): two augmented views of each image through one
 * encoder + projection head, NT-Xent loss over the 2N views of the batch.
 * It is also S-MAG's contrastive core (F1) without masks and gating.
 *
 * Options: {@link SIMCLR_OPTIONS} (`deno task train --method simclr --help`). The default
 * temperature 0.2: SimCLR's CIFAR setting is 0.5; on 10,000 CIFAR-10 images x 5 epochs tau 0.2
 * gave 40.5 % linear / 38.5 % kNN against 39.8 / 36.5 for 0.5 (`results/simclr-recipe`, one
 * seed), and solo-learn's CIFAR recipe uses 0.2 as well.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { simclrCifarRecipe, stepViewPair } from "../augment/views.ts";
import { ntXent } from "../losses/nt_xent.ts";
import { buildEncoder, type Encoder } from "../models/encoder.ts";
import type { StepInput, StepLoss } from "./method.ts";
import { SingleStoreMethod } from "./single_store_method.ts";
import { type MethodContext, registerMethod } from "./registry.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import { defineOptions, numberOption, readOptions } from "./option_schema.ts";

/** The options of `simclr`. */
export const SIMCLR_OPTIONS = defineOptions({
  temperature: numberOption(0.2, "NT-Xent temperature tau (SimCLR CIFAR: 0.5)", { above: 0 }),
});

/** The batch of one SimCLR step: two augmented, normalised views `[N,H,W,C]`. */
export interface ViewPair {
  v1: tf.Tensor4D;
  v2: tf.Tensor4D;
}

/** The SimCLR method (see module docs). */
export class SimClr extends SingleStoreMethod<ViewPair> {
  readonly name = "simclr";
  readonly encoder: Encoder;
  readonly temperature: number;
  readonly #recipe;

  /**
   * @param options read options; by default read from `cfg.methodOptions` against
   *   {@link SIMCLR_OPTIONS} (methods built on SimCLR pass their own).
   */
  constructor(
    cfg: ExperimentConfig,
    ctx: MethodContext,
    options: { temperature: number } = readOptions("simclr", SIMCLR_OPTIONS, cfg.methodOptions),
  ) {
    super(cfg.seed);
    this.temperature = options.temperature;
    this.encoder = buildEncoder(this.store, cfg.encoder);
    this.#recipe = simclrCifarRecipe(ctx.stats, { cropScale: cfg.views?.cropScale });
  }

  prepare(input: StepInput): ViewPair {
    const [v1, v2] = stepViewPair(input, this.#recipe);
    return { v1, v2 };
  }

  loss({ v1, v2 }: ViewPair): StepLoss {
    // Both views in one forward pass: batch-norm statistics cover all 2N views.
    const z = this.encoder.project(tf.concat([v1, v2], 0), { training: true });
    const n = v1.shape[0];
    const [z1, z2] = tf.split(z, [n, n], 0) as tf.Tensor2D[];
    return { loss: ntXent(z1, z2, this.temperature) };
  }
}

registerMethod({
  name: "simclr",
  description: "SimCLR: two augmented views, NT-Xent over the batch (S-MAG F1 without masks)",
  options: SIMCLR_OPTIONS,
  build: (cfg, ctx) => new SimClr(cfg, ctx),
});
