/**
 * `deno task bench`: training-step throughput of the kit against PyTorch on the same CPU.
 *
 * Runs the kit's SimCLR training step (standard quick encoder: ResNet-10 width 32, 32x32
 * inputs, projection head 256-256, NT-Xent over 2 x batch views, AdamW) and the same network,
 * batch and thread count in PyTorch (`bench/torch_step.py`, Debian's python3-torch),
 * interleaving warm repetitions of both, then prints images/s for each, their ratio and a
 * per-kernel time profile of one kit step.
 *
 * ```
 * deno task bench                       # auto backend (native when libdnnl2 is installed)
 * deno task bench --backend wasm --reps 3
 * deno task bench --json                # one JSON object on stdout
 * deno task bench --backend webgpu --torch-device cuda --out results/bench/gpu.json
 * deno task bench --e2e                 # the whole training run instead (cli/bench_e2e.ts)
 * ```
 *
 * The last line is the GPU comparison: the kit on WebGPU (Vulkan) against PyTorch on CUDA on
 * the same card; `--out` writes the result with the device and the date.
 *
 * @module
 */
import { cpuModel } from "../lib/backend/cpu_model.ts";
import { dirname } from "node:path";
import * as tf from "../lib/tfjs.ts";
import { Rng } from "../lib/rng.ts";
import { ParamStore, valueAndGrads } from "../lib/nn/params.ts";
import { buildEncoder } from "../lib/models/encoder.ts";
import { RESNET_DEPTHS } from "../lib/models/resnet.ts";
import { ntXent } from "../lib/losses/nt_xent.ts";
import { AdamW } from "../lib/optim/adamw.ts";
import { type BackendRequest, initBackend } from "../lib/backend/select.ts";
import { nativeKernelProfile } from "../lib/backend/native/register.ts";
import { startTorchStepper } from "./bench_torch.ts";
import { parseCommandLine, positiveIntegerFlag } from "./args.ts";
import { runMain } from "./run_main.ts";
import { profileKernels } from "../lib/backend/kernel_profile.ts";

const HELP = `Kit vs PyTorch training-step throughput (images/s) on this machine.

Usage: deno task bench [options]

  --backend <name>   auto (native if libdnnl2 is installed, else wasm), native, wasm, cpu,
                     webgpu (a GPU through Deno's WebGPU; software adapters work, slowly)
  --torch-device <d> PyTorch device: cpu, cuda (default: cuda with --backend webgpu, else cpu)
  --threads <n>      compute threads for both sides (default: all cores)
  --batch <n>        images per step; each step runs 2 views per image (default 128)
  --reps <n>         timed repetitions of each side, interleaved (default 5)
  --warmup <n>       untimed warm-up steps of each side (default 2)
  --no-torch         kit only
  --no-profile       skip the per-kernel profile
  --json             print one JSON object on stdout (logs go to stderr)
  --out <file>       also write the result as JSON (with device and date), e.g.
                     results/bench/gpu.json
  --e2e              the whole training run instead of one step, kit vs its PyTorch twin,
                     per phase (deno task bench --e2e --help)
  -h, --help         this text
`;

/** One row of the per-kernel profile. */
interface ProfileRow {
  kernel: string;
  ms: number;
  calls: number;
  fallbacks: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function selectBackend(req: string, threads: number, log: (m: string) => void) {
  const info = await initBackend({ backend: req as BackendRequest, threads, log });
  return { backend: info.name, threads: info.threads, detail: info.reason, adapter: info.adapter };
}

/** The kit's training step on fixed random views; returns a function running one step. */
function kitStep(batch: number): { step: () => Promise<number>; dispose: () => void } {
  const store = new ParamStore(0);
  const enc = buildEncoder(store, {
    backbone: { type: "resnet", blocks: RESNET_DEPTHS.resnet10, width: 32 },
    neck: { type: "gap" },
    head: { type: "projection", hidden: 256, out: 256 },
  });
  const params = store.params();
  const opt = new AdamW({ lr: 2.5e-4, weightDecay: 0.05 });
  const rng = new Rng(1);
  const view = () =>
    tf.tensor4d(Float32Array.from({ length: batch * 32 * 32 * 3 }, () => rng.gaussian()), [
      batch,
      32,
      32,
      3,
    ]);
  const v1 = view();
  const v2 = view();
  const step = async (): Promise<number> => {
    const { value, grads } = valueAndGrads(() => {
      const z = enc.project(tf.concat([v1, v2], 0), { training: true });
      const [z1, z2] = tf.split(z, [batch, batch], 0) as tf.Tensor2D[];
      return ntXent(z1, z2, 0.5);
    }, params);
    opt.step(grads, params);
    tf.dispose([...grads.values()]);
    const loss = (await value.data())[0];
    value.dispose();
    return loss;
  };
  return {
    step,
    dispose: () => {
      opt.dispose();
      store.dispose();
      tf.dispose([v1, v2]);
    },
  };
}

async function profileStep(
  backend: string,
  step: () => Promise<number>,
): Promise<{ rows: ProfileRow[]; stepMs: number }> {
  if (backend === "native") {
    nativeKernelProfile(true);
    const t0 = performance.now();
    await step();
    const stepMs = performance.now() - t0;
    const prof = nativeKernelProfile(false);
    const rows = [...prof].map(([kernel, r]) => ({ kernel, ...r }));
    return { rows: rows.sort((a, b) => b.ms - a.ms), stepMs };
  }
  const t0 = performance.now();
  const kernels = await profileKernels(step);
  const stepMs = performance.now() - t0;
  return { rows: kernels.map((k) => ({ ...k, fallbacks: 0 })), stepMs };
}

/** Entry point; returns the process exit code. `--e2e` runs cli/bench_e2e.ts instead. */
export async function main(args: string[]): Promise<number> {
  if (args.includes("--e2e")) return await (await import("./bench_e2e.ts")).main(args);
  const cli = parseCommandLine({
    args,
    options: {
      backend: { type: "string", default: "auto" },
      threads: { type: "string" },
      batch: { type: "string", default: "128" },
      reps: { type: "string", default: "5" },
      warmup: { type: "string", default: "2" },
      "no-torch": { type: "boolean", default: false },
      "no-profile": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "torch-device": { type: "string" },
      out: { type: "string" },
    },
  }, HELP);
  if (!cli) return 0;
  const { values } = cli;
  const threads = positiveIntegerFlag("threads", values.threads) ??
    (navigator.hardwareConcurrency || 1);
  const batch = positiveIntegerFlag("batch", values.batch);
  const reps = positiveIntegerFlag("reps", values.reps);
  const warmup = positiveIntegerFlag("warmup", values.warmup);
  const log = values.json ? (m: string) => console.error(m) : (m: string) => console.log(m);

  const chosen = await selectBackend(values.backend, threads, log);
  log(`kit backend: ${chosen.backend} (${chosen.detail}), threads ${chosen.threads}`);
  const torchDevice = values["torch-device"] ?? (chosen.backend === "webgpu" ? "cuda" : "cpu");
  if (!/^(cpu|cuda(:\d+)?)$/.test(torchDevice)) {
    throw new Error(`--torch-device must be cpu, cuda or cuda:N, got '${torchDevice}'`);
  }
  const kit = kitStep(batch);
  const torch = values["no-torch"] ? "skipped (--no-torch)" : await startTorchStepper({
    threads,
    batch,
    device: torchDevice,
    script: new URL("../bench/torch_step.py", import.meta.url).pathname,
  });
  if (typeof torch === "string") log(`torch: ${torch}`);
  else log(`torch ${torch.info.torch} on ${torch.info.device}, threads ${torch.info.threads}`);

  try {
    for (let i = 0; i < warmup; i++) await kit.step();
    if (typeof torch !== "string") await torch.run(warmup);
    const kitSec: number[] = [];
    const torchSec: number[] = [];
    let loss = NaN;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      loss = await kit.step();
      kitSec.push((performance.now() - t0) / 1000);
      if (typeof torch !== "string") torchSec.push(...(await torch.run(1)));
      log(
        `rep ${r + 1}/${reps}: kit ${kitSec[r].toFixed(3)} s` +
          (torchSec.length ? `, torch ${torchSec[r].toFixed(3)} s` : ""),
      );
    }
    const kitImgPerSec = batch / median(kitSec);
    const torchImgPerSec = torchSec.length ? batch / median(torchSec) : null;
    const ratio = torchImgPerSec ? kitImgPerSec / torchImgPerSec : null;

    let profile: { rows: ProfileRow[]; stepMs: number } | undefined;
    if (!values["no-profile"]) profile = await profileStep(chosen.backend, kit.step);

    const result = {
      kitImgPerSec,
      torchImgPerSec,
      ratio,
      backend: chosen.backend,
      threads: chosen.threads,
      torchThreads: typeof torch === "string" ? null : torch.info.threads,
      batch,
      viewsPerStep: 2 * batch,
      reps,
      kitStepSeconds: kitSec,
      torchStepSeconds: torchSec,
      loss,
      model: "resnet10 width 32, 32x32, projection 256-256, NT-Xent, AdamW",
      device: chosen.adapter ?? `cpu (${navigator.hardwareConcurrency} cores)`,
      cpu: cpuModel(),
      torchDevice: typeof torch === "string" ? null : torch.info.device,
      date: new Date().toISOString(),
      profile: profile && {
        stepMs: profile.stepMs,
        kernels: profile.rows.map((r) => ({ ...r, ms: Math.round(r.ms * 100) / 100 })),
      },
    };
    if (values.out) {
      await Deno.mkdir(dirname(values.out), { recursive: true });
      await Deno.writeTextFile(values.out, JSON.stringify(result, null, 2) + "\n");
      log(`wrote ${values.out}`);
    }
    if (values.json) {
      console.log(JSON.stringify(result));
    } else {
      console.log(
        `\nkit (${chosen.backend}): ${kitImgPerSec.toFixed(1)} img/s | torch: ${
          torchImgPerSec === null ? "n/a" : torchImgPerSec.toFixed(1)
        } img/s | ratio ${ratio === null ? "n/a" : ratio.toFixed(3)} (threads ${chosen.threads})`,
      );
      if (profile) {
        const total = profile.rows.reduce((a, r) => a + r.ms, 0);
        console.log(
          `\nper-kernel profile of one kit step (${profile.stepMs.toFixed(0)} ms wall, ` +
            `${total.toFixed(0)} ms in kernels):`,
        );
        for (const r of profile.rows.slice(0, 30)) {
          console.log(
            `  ${r.kernel.padEnd(28)} ${r.ms.toFixed(1).padStart(8)} ms ${
              String(r.calls).padStart(5)
            } calls${r.fallbacks ? ` (${r.fallbacks} on cpu)` : ""}`,
          );
        }
      }
    }
  } finally {
    kit.dispose();
    if (typeof torch !== "string") await torch.close();
  }
  return 0;
}

if (import.meta.main) await runMain(() => main(Deno.args), { exitCode: () => 1 });
