/**
 * The SimCLR/S-MAG projection head: Linear -> BN -> ReLU -> Linear
 * (2-layer MLP, output 256 by default). Its output feeds the contrastive
 * loss; evaluation uses the features *before* it.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { BatchNorm, type ForwardContext, Linear } from "../nn/layers.ts";
import type { ParamStore } from "../nn/params.ts";
import type { Head } from "./parts.ts";

/** Configuration of the projection MLP. */
export interface ProjectionHeadConfig {
  type: "projection";
  /** Hidden width (SimCLR uses the backbone width). */
  hidden: number;
  /** Output dimension (256 in S-MAG). */
  out: number;
}

/** z [N,in] -> [N,out]. */
export class ProjectionHead implements Head {
  readonly outFeatures: number;
  readonly fc1: Linear;
  readonly bn: BatchNorm;
  readonly fc2: Linear;

  constructor(store: ParamStore, name: string, inFeatures: number, cfg: ProjectionHeadConfig) {
    this.outFeatures = cfg.out;
    this.fc1 = new Linear(store, `${name}.fc1`, {
      inFeatures,
      outFeatures: cfg.hidden,
      bias: false,
    });
    this.bn = new BatchNorm(store, `${name}.bn`, cfg.hidden);
    this.fc2 = new Linear(store, `${name}.fc2`, { inFeatures: cfg.hidden, outFeatures: cfg.out });
  }

  apply(z: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    return this.fc2.apply(this.bn.applyRelu(this.fc1.apply(z), ctx));
  }

  macs(): number {
    return this.fc1.macs() + this.fc2.macs();
  }
}
