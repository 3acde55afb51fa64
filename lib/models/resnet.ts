/**
 * CIFAR-style ResNet backbone: a 3x3 stride-1 stem with no max-pool, then
 * stages of basic blocks (two 3x3 convs + identity or 1x1 projection
 * shortcut). `blocks: [2,2,2,2]` with `width: 64` is ResNet-18 as in the MoCo
 * CIFAR demo and SimCLR's CIFAR experiments; the kit's quick profiles use
 * narrower and shallower settings of the same family.
 *
 * Shapes: x [N,32,32,3] -> [N, 32/2^(S-1), 32/2^(S-1), width*2^(S-1)] for S stages.
 *
 * @module
 */
import * as tf from "../tfjs.ts";
import { BatchNorm, Conv2d, type ForwardContext } from "../nn/layers.ts";
import type { ParamStore } from "../nn/params.ts";
import type { Backbone } from "./parts.ts";

/** Depth and width of a CIFAR ResNet. */
export interface ResNetConfig {
  type: "resnet";
  /** Basic blocks per stage; stage i (from 0) has width * 2^i channels and stride 2 for i > 0. */
  blocks: number[];
  /** Channels of the stem and the first stage. */
  width: number;
  /** Input channels (3 for RGB). */
  inChannels?: number;
  /**
   * Start each block's last batch-norm scale at 0, so every block begins as the identity
   * (Goyal et al. 2017, for SGD at lr 0.1 with large batches). Default false (scale 1): under
   * AdamW a parameter moves by about the learning rate per step, so a zero scale stays near 0
   * for the hundreds of steps of a CPU-sized run and the residual branches barely contribute
   * (SimCLR, 10,000 CIFAR-10 images, 5 epochs: 33.7 % linear top-1 with zero init against
   * 40.6 % with scale 1; results/simclr-recipe).
   */
  zeroInitResidual?: boolean;
}

/** Named depths: `resnet18` = [2,2,2,2], `resnet10` = [1,1,1,1], `resnet6` = [1,1] (tiny tests). */
export const RESNET_DEPTHS: Record<string, number[]> = {
  resnet6: [1, 1],
  resnet8: [1, 1, 1],
  resnet10: [1, 1, 1, 1],
  resnet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
};

class BasicBlock {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm;
  readonly shortcut: { conv: Conv2d; bn: BatchNorm } | undefined;

  constructor(
    store: ParamStore,
    name: string,
    cin: number,
    cout: number,
    stride: number,
    zeroInitResidual: boolean,
  ) {
    this.conv1 = new Conv2d(store, `${name}.conv1`, {
      inChannels: cin,
      outChannels: cout,
      size: 3,
      stride,
    });
    this.bn1 = new BatchNorm(store, `${name}.bn1`, cout);
    this.conv2 = new Conv2d(store, `${name}.conv2`, {
      inChannels: cout,
      outChannels: cout,
      size: 3,
    });
    this.bn2 = new BatchNorm(store, `${name}.bn2`, cout, { zeroInitGamma: zeroInitResidual });
    if (stride !== 1 || cin !== cout) {
      this.shortcut = {
        conv: new Conv2d(store, `${name}.shortcut.conv`, {
          inChannels: cin,
          outChannels: cout,
          size: 1,
          stride,
        }),
        bn: new BatchNorm(store, `${name}.shortcut.bn`, cout),
      };
    }
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const h = this.bn1.applyRelu(this.conv1.apply(x), ctx);
    const y = this.bn2.apply(this.conv2.apply(h), ctx);
    const skip = this.shortcut ? this.shortcut.bn.apply(this.shortcut.conv.apply(x), ctx) : x;
    return tf.relu(tf.add(y, skip));
  }

  macs(h: number, w: number): [number, number, number] {
    const s = this.conv1.stride;
    const ho = Math.ceil(h / s);
    const wo = Math.ceil(w / s);
    const m = this.conv1.macs(h, w) + this.conv2.macs(ho, wo) +
      (this.shortcut ? this.shortcut.conv.macs(h, w) : 0);
    return [m, ho, wo];
  }
}

/** The CIFAR ResNet backbone (see module docs). */
export class CifarResNet implements Backbone {
  readonly outChannels: number;
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm;
  readonly stages: BasicBlock[][];

  constructor(store: ParamStore, name: string, cfg: ResNetConfig) {
    if (cfg.blocks.length === 0 || cfg.blocks.some((b) => !Number.isInteger(b) || b < 1)) {
      throw new Error(
        `resnet blocks must be a non-empty list of positive integers, got [${cfg.blocks}]; ` +
          `e.g. [2,2,2,2] for ResNet-18`,
      );
    }
    if (!Number.isInteger(cfg.width) || cfg.width < 1) {
      throw new Error(`resnet width must be a positive integer, got ${cfg.width}`);
    }
    const cin = cfg.inChannels ?? 3;
    this.stem = new Conv2d(store, `${name}.stem.conv`, {
      inChannels: cin,
      outChannels: cfg.width,
      size: 3,
    });
    this.stemBn = new BatchNorm(store, `${name}.stem.bn`, cfg.width);
    this.stages = [];
    let channels = cfg.width;
    cfg.blocks.forEach((count, s) => {
      const cout = cfg.width * 2 ** s;
      const stage: BasicBlock[] = [];
      for (let b = 0; b < count; b++) {
        const stride = s > 0 && b === 0 ? 2 : 1;
        stage.push(
          new BasicBlock(
            store,
            `${name}.stage${s}.block${b}`,
            channels,
            cout,
            stride,
            cfg.zeroInitResidual ?? false,
          ),
        );
        channels = cout;
      }
      this.stages.push(stage);
    });
    this.outChannels = channels;
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    let h = this.stemBn.applyRelu(this.stem.apply(x), ctx);
    for (const stage of this.stages) for (const block of stage) h = block.apply(h, ctx);
    return h;
  }

  outSize(h: number, w: number): [number, number] {
    const down = 2 ** (this.stages.length - 1);
    return [Math.ceil(h / down), Math.ceil(w / down)];
  }

  macs(h: number, w: number): number {
    let total = this.stem.macs(h, w);
    for (const stage of this.stages) {
      for (const block of stage) {
        const [m, ho, wo] = block.macs(h, w);
        total += m;
        h = ho;
        w = wo;
      }
    }
    return total;
  }
}
