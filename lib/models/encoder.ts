/**
 * Assembles an encoder (backbone + neck + optional head) from a plain,
 * JSON-serialisable config. Each part `type` maps to a builder in the tables
 * below; a new backbone, neck or head adds one entry there. Named settings
 * (the neck presets, the projection head) are in `lib/config/presets.ts`.
 *
 * ```ts
 * const store = new ParamStore(seed);
 * const enc = buildEncoder(store, {
 *   backbone: { type: "resnet", blocks: [1, 1, 1, 1], width: 32 },
 *   neck: { type: "gap" },
 *   head: { type: "projection", hidden: 256, out: 256 },
 * });
 * const z = enc.project(x, { training: true }); // [N,256]
 * ```
 *
 * @module
 */
import type * as tf from "../tfjs.ts";
import type { ForwardContext } from "../nn/layers.ts";
import type { ParamStore } from "../nn/params.ts";
import { CifarResNet } from "./resnet.ts";
import { GlobalAvgPool } from "./global_avg_pool.ts";
import { AttentionPool } from "./attention_pool.ts";
import { GatedAttentionPool } from "./gated_attention_pool.ts";
import { Hsagm } from "./hsagm.ts";
import { ProjectionHead } from "./projection_head.ts";
import type { Backbone, Head, Neck } from "./parts.ts";

/** Any part config: a `type` tag plus that part's own fields. */
export interface PartConfig {
  type: string;
  [field: string]: unknown;
}

/** The JSON form of an encoder. */
export interface EncoderConfig {
  backbone: PartConfig;
  neck: PartConfig;
  head?: PartConfig;
}

/** Builds a backbone under parameter prefix `name`. */
type BackboneBuilder = (store: ParamStore, name: string, cfg: PartConfig) => Backbone;
/** Builds a neck for a feature map with `channels` channels. */
type NeckBuilder = (
  store: ParamStore,
  name: string,
  cfg: PartConfig,
  channels: number,
) => Neck;
/** Builds a head taking `inFeatures`-long vectors. */
type HeadBuilder = (
  store: ParamStore,
  name: string,
  cfg: PartConfig,
  inFeatures: number,
) => Head;

const backbones = new Map<string, BackboneBuilder>([
  ["resnet", (store, name, cfg) => new CifarResNet(store, name, cfg as never)],
]);
const necks = new Map<string, NeckBuilder>([
  ["gap", (_store, _name, _cfg, channels) => new GlobalAvgPool(channels)],
  ["sam", (store, name, cfg, channels) => new AttentionPool(store, name, channels, cfg as never)],
  ["gam", (s, name, cfg, channels) => new GatedAttentionPool(s, name, channels, cfg as never)],
  ["hsagm", (store, name, cfg, channels) => new Hsagm(store, name, channels, cfg as never)],
]);
const heads = new Map<string, HeadBuilder>([
  [
    "projection",
    (store, name, cfg, inFeatures) => new ProjectionHead(store, name, inFeatures, cfg as never),
  ],
]);

function lookup<T>(registry: Map<string, T>, part: string, cfg: PartConfig): T {
  const build = registry.get(cfg.type);
  if (build === undefined) {
    throw new Error(
      `unknown ${part} type "${cfg.type}"; known ${part} types: ${[...registry.keys()].join(", ")}`,
    );
  }
  return build;
}

/** An assembled encoder. Parameters live in the store it was built with. */
export class Encoder {
  constructor(
    readonly store: ParamStore,
    readonly backbone: Backbone,
    readonly neck: Neck,
    readonly head: Head | undefined,
    readonly config: EncoderConfig,
  ) {}

  /** Feature map: x [N,H,W,C] -> [N,h,w,c]. */
  featureMap(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.backbone.apply(x, ctx);
  }

  /** Representation used for evaluation: backbone + neck, [N, neck.outFeatures]. */
  embed(x: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    return this.neck.apply(this.backbone.apply(x, ctx), ctx, tokenMask);
  }

  /** Embedding passed through the head (the loss space). Throws if there is no head. */
  project(x: tf.Tensor4D, ctx: ForwardContext, tokenMask?: tf.Tensor2D): tf.Tensor2D {
    if (!this.head) throw new Error("this encoder has no head; add `head` to its config");
    return this.head.apply(this.embed(x, ctx, tokenMask), ctx);
  }

  /** FLOPs per image (2 x multiply-adds) of backbone, neck and head for an h x w input. */
  flops(h: number, w: number): { backbone: number; neck: number; head: number; total: number } {
    const [fh, fw] = this.backbone.outSize(h, w);
    const backbone = 2 * this.backbone.macs(h, w);
    const neck = 2 * this.neck.macs(fh * fw, this.backbone.outChannels);
    const head = this.head ? 2 * this.head.macs() : 0;
    return { backbone, neck, head, total: backbone + neck + head };
  }
}

/** Builds an encoder whose parameters are named `${prefix}backbone.*`, `neck.*`, `head.*`. */
export function buildEncoder(store: ParamStore, cfg: EncoderConfig, prefix = ""): Encoder {
  const backbone = lookup(backbones, "backbone", cfg.backbone)(
    store,
    `${prefix}backbone`,
    cfg.backbone,
  );
  const neck = lookup(necks, "neck", cfg.neck)(
    store,
    `${prefix}neck`,
    cfg.neck,
    backbone.outChannels,
  );
  const head = cfg.head
    ? lookup(heads, "head", cfg.head)(store, `${prefix}head`, cfg.head, neck.outFeatures)
    : undefined;
  return new Encoder(store, backbone, neck, head, cfg);
}
