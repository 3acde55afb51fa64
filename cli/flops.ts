/**
 * `deno task flops`: parameters and FLOPs per image of the encoder with each
 * neck variant (gap = S-MAG "Baseline", sam, gam, hsagm), split into
 * backbone, neck and head, for comparing with S-MAG Table 4.
 *
 * ```
 * deno task flops                                   # resnet10, width 32, 32x32 input
 * deno task flops --arch resnet18 --width 64 --image-size 224
 * deno task flops --json
 * ```
 *
 * FLOPs = 2 x multiply-adds of convolutions and matrix products (element-wise
 * ops, batch norm and activations are not counted), per image.
 *
 * @module
 */
import { buildEncoder, type EncoderConfig, type PartConfig } from "../lib/models/encoder.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import { ParamStore } from "../lib/nn/params.ts";
import {
  ATTENTION_HIDDEN,
  NECK_PRESETS,
  neckPreset,
  PROJECTION_HEAD,
} from "../lib/config/presets.ts";
import { initBackend } from "../lib/backend/select.ts";
import { parseCommandLine, positiveIntegerFlag } from "./args.ts";
import { runMain } from "./run_main.ts";

/** What to count: the backbone, the neck sizes and the head. */
export interface FlopsOptions {
  /** Backbone depth name, a key of RESNET_DEPTHS (e.g. "resnet18"). */
  arch: string;
  /** Backbone base width. */
  width: number;
  /** Square input side in pixels. */
  imageSize: number;
  /** Attention dimension of SAM and GAM. */
  attnHidden: number;
  /** HSAGM sizes; undefined = the backbone's output channels (attnDim: attnHidden). */
  mlpDim?: number;
  gruDim?: number;
  attnDim?: number;
  outDim?: number;
  /** Projection head (hidden, out); undefined = no head. */
  head?: { hidden: number; out: number };
}

/** Params and FLOPs per image of one encoder variant. */
export interface FlopsRow {
  neck: string;
  neckConfig: PartConfig;
  params: { backbone: number; neck: number; head: number; total: number };
  flops: { backbone: number; neck: number; head: number; total: number };
}

/**
 * The neck configs compared in S-MAG Table 4 (plus HSAGM) for a map of
 * `channels` channels: the presets of `lib/config/presets.ts` (the ones
 * `deno task train --neck` and the ablations use) with the sizes of `opts`.
 */
export function neckVariants(opts: FlopsOptions, channels: number): PartConfig[] {
  return NECK_PRESETS.map((name) =>
    neckPreset(name, channels, {
      attnHidden: opts.attnHidden,
      mlpDim: opts.mlpDim,
      gruDim: opts.gruDim,
      attnDim: opts.attnDim,
      outDim: opts.outDim,
    })
  );
}

function count(store: ParamStore, prefix: string): number {
  let n = 0;
  for (const v of store.paramsUnder(prefix).values()) n += v.size;
  return n;
}

/** Builds every variant (parameters are allocated, then freed) and counts params and FLOPs. */
export function flopsTable(opts: FlopsOptions): FlopsRow[] {
  const blocks = RESNET_DEPTHS[opts.arch];
  if (!blocks) {
    throw new Error(
      `unknown --arch "${opts.arch}"; choose one of ${Object.keys(RESNET_DEPTHS).join(", ")}`,
    );
  }
  const backbone: PartConfig = { type: "resnet", blocks, width: opts.width };
  const channels = opts.width * 2 ** (blocks.length - 1);
  const rows: FlopsRow[] = [];
  for (const neck of neckVariants(opts, channels)) {
    const cfg: EncoderConfig = { backbone, neck };
    if (opts.head) cfg.head = { type: "projection", ...opts.head };
    const store = new ParamStore(0);
    try {
      const enc = buildEncoder(store, cfg);
      const params = {
        backbone: count(store, "backbone."),
        neck: count(store, "neck."),
        head: count(store, "head."),
        total: store.countParams(),
      };
      rows.push({
        neck: neck.type,
        neckConfig: neck,
        params,
        flops: enc.flops(opts.imageSize, opts.imageSize),
      });
    } finally {
      store.dispose();
    }
  }
  return rows;
}

/** 1234567 -> "1.23M"; 2.6e9 -> "2.60G". */
export function humanCount(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}K`;
  return String(x);
}

/** The rows as an aligned text table. */
export function formatTable(rows: FlopsRow[], opts: FlopsOptions): string {
  const header = [
    "neck",
    "params bb",
    "neck",
    "head",
    "total",
    "FLOPs bb",
    "neck",
    "head",
    "total",
  ];
  const body = rows.map((r) => [
    r.neck,
    ...[r.params.backbone, r.params.neck, r.params.head, r.params.total].map(humanCount),
    ...[r.flops.backbone, r.flops.neck, r.flops.head, r.flops.total].map(humanCount),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const head = opts.head ? `projection ${opts.head.hidden}->${opts.head.out}` : "none";
  return [
    `${opts.arch} width ${opts.width}, ${opts.imageSize}x${opts.imageSize} input, head: ${head} ` +
    `(FLOPs = 2 x multiply-adds per image)`,
    line(header),
    ...body.map(line),
  ].join("\n");
}

const HELP = `Params and FLOPs per image for each neck preset (gap, sam, gam, hsagm; the presets
of lib/config/presets.ts that deno task train --neck and the ablations use).

Usage: deno task flops [options]
  --arch <name>        backbone depth: ${Object.keys(RESNET_DEPTHS).join(", ")} (default resnet10)
  --width <n>          backbone base width (default 32)
  --image-size <n>     square input side (default 32)
  --attn-hidden <n>    SAM/GAM attention dimension (default 128)
  --mlp-dim <n>        HSAGM MLP width (default: backbone output channels)
  --gru-dim <n>        HSAGM GRU state size (default: backbone output channels)
  --attn-dim <n>       HSAGM attention hidden width (default: --attn-hidden)
  --out-dim <n>        HSAGM output features (default: backbone output channels)
  --head-hidden <n>    projection head hidden width (default 256)
  --head-out <n>       projection head output (default 256)
  --no-head            count no projection head
  --json               print the rows as JSON
  --help               this text
`;

async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({
    args,
    options: {
      arch: { type: "string" },
      width: { type: "string" },
      "image-size": { type: "string" },
      "attn-hidden": { type: "string" },
      "mlp-dim": { type: "string" },
      "gru-dim": { type: "string" },
      "attn-dim": { type: "string" },
      "out-dim": { type: "string" },
      "head-hidden": { type: "string" },
      "head-out": { type: "string" },
      "no-head": { type: "boolean" },
      json: { type: "boolean" },
    },
    allowPositionals: false,
  }, HELP);
  if (!cli) return 0;
  const { values } = cli;
  const opts: FlopsOptions = {
    arch: values.arch ?? "resnet10",
    width: positiveIntegerFlag("width", values.width) ?? 32,
    imageSize: positiveIntegerFlag("image-size", values["image-size"]) ?? 32,
    attnHidden: positiveIntegerFlag("attn-hidden", values["attn-hidden"]) ?? ATTENTION_HIDDEN,
    mlpDim: positiveIntegerFlag("mlp-dim", values["mlp-dim"]),
    gruDim: positiveIntegerFlag("gru-dim", values["gru-dim"]),
    attnDim: positiveIntegerFlag("attn-dim", values["attn-dim"]),
    outDim: positiveIntegerFlag("out-dim", values["out-dim"]),
    head: values["no-head"] ? undefined : {
      hidden: positiveIntegerFlag("head-hidden", values["head-hidden"]) ?? PROJECTION_HEAD.hidden,
      out: positiveIntegerFlag("head-out", values["head-out"]) ?? PROJECTION_HEAD.out,
    },
  };
  // Counting only allocates the parameters; the reference cpu backend is enough.
  await initBackend({ backend: "cpu" });
  const rows = flopsTable(opts);
  console.log(
    values.json ? JSON.stringify({ options: opts, rows }, null, 2) : formatTable(rows, opts),
  );
  return 0;
}

if (import.meta.main) await runMain(() => main(Deno.args));
