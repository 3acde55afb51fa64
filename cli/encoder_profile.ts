/**
 * `deno task encoder-profile`: the forward and backward of one encoder (backbone + neck) on a
 * batch of 32x32 images with a token mask, timed and profiled per kernel, to find what makes a
 * neck slow. No PyTorch side: for the kit against PyTorch, see `deno task bench`.
 *
 * ```
 * deno task encoder-profile --neck hsagm              # ResNet-10 width 16, 512 images, 2 reps
 * deno task encoder-profile --neck gap --threads 1 --batch 256
 * ```
 *
 * @module
 */
import * as tf from "../lib/tfjs.ts";
import { type BackendRequest, initBackend } from "../lib/backend/select.ts";
import { ParamStore } from "../lib/nn/params.ts";
import { buildEncoder } from "../lib/models/encoder.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import { backboneChannels, isNeckPreset, NECK_PRESETS, neckPreset } from "../lib/config/presets.ts";
import { backendFlag, parseCommandLine, positiveIntegerFlag, UsageError } from "./args.ts";
import { runMain } from "./run_main.ts";
import { profileKernels } from "../lib/backend/kernel_profile.ts";

const HELP = `One encoder's forward + backward, timed and profiled per kernel.

Usage: deno task encoder-profile [options]

  --neck <name>     ${NECK_PRESETS.join(", ")} (default hsagm)
  --width <n>       ResNet-10 width (default 16, as the ablations)
  --batch <n>       images (default 512: one S-MAG step's two views of 256)
  --reps <n>        timed repetitions after one warm-up (default 2)
  --threads <n>     compute threads (default: all cores)
  --backend <name>  the kit's backend (default auto)
  -h, --help        this text
`;

/** Entry point; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine({
    args,
    options: {
      neck: { type: "string", default: "hsagm" },
      width: { type: "string", default: "16" },
      batch: { type: "string", default: "512" },
      reps: { type: "string", default: "2" },
      threads: { type: "string" },
      backend: { type: "string", default: "auto" },
    },
  }, HELP);
  if (!parsed) return 0;
  const { values } = parsed;
  const neckName = values.neck!;
  if (!isNeckPreset(neckName)) {
    throw new UsageError(`--neck ${neckName}: use one of ${NECK_PRESETS.join(", ")}`);
  }
  const width = positiveIntegerFlag("width", values.width!);
  const batch = positiveIntegerFlag("batch", values.batch!);
  const reps = positiveIntegerFlag("reps", values.reps!);
  const threads = positiveIntegerFlag("threads", values.threads) ?? navigator.hardwareConcurrency;
  const backend = await initBackend({
    backend: backendFlag(values.backend!) as BackendRequest,
    threads,
  });

  const backbone = { type: "resnet", blocks: RESNET_DEPTHS.resnet10, width };
  const encoder = buildEncoder(new ParamStore(0), {
    backbone,
    neck: neckPreset(neckName, backboneChannels(backbone, "encoder-profile")),
  });
  const images = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const tokens = tf.tidy(() => encoder.featureMap(images, { training: false }).shape.slice(1, 3));
  const tokenMask = tf.cast(
    tf.greater(tf.randomUniform([batch, tokens[0] * tokens[1]], 0, 1, "float32", 2), 0.5),
    "float32",
  ) as tf.Tensor2D;
  const step = () => {
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(tf.square(encoder.embed(images, { training: true }, tokenMask))) as tf.Scalar
    );
    value.dispose();
    tf.dispose(Object.values(grads));
  };
  step();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    step();
    ms.push(performance.now() - t0);
  }
  const kernels = await profileKernels(step);
  ms.sort((a, b) => a - b);
  console.log(
    `encoder ResNet-10 width ${width} + ${neckName}, ${batch} images of 32x32, ` +
      `${tokens[0]}x${tokens[1]} tokens, backend ${backend.name} (${backend.threads} threads)`,
  );
  console.log(
    `forward + backward: median ${ms[Math.floor(ms.length / 2)].toFixed(0)} ms ` +
      `(reps ${ms.map((m) => m.toFixed(0)).join(", ")})`,
  );
  console.log("per kernel, one profiled step:");
  for (const row of kernels.slice(0, 15)) {
    console.log(
      `  ${row.kernel.padEnd(24)} ${row.ms.toFixed(1).padStart(8)} ms ${row.calls} calls`,
    );
  }
  tf.dispose([images, tokenMask]);
  return 0;
}

if (import.meta.main) await runMain(() => main(Deno.args));
