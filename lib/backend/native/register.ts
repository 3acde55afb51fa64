/**
 * Registers the tfjs backend "native": the stock cpu backend (every cpu kernel copied over, so
 * any op works) with its hot training kernels replaced by oneDNN ones (convolutions and their
 * gradients, matmul, element-wise/broadcast ops, reductions, pooling, the kit's fused batch
 * norm), and the cpu kernels that were slow for want of a fast loop (slices and splits, gathers,
 * mirror padding, depthwise convolution, broadcast comparisons) replaced by plain-JS loops with the
 * same arithmetic. The `cpu` backend itself is left untouched and stays the correctness reference.
 *
 * Without `libdnnl.so.2` (e.g. macOS, or Linux without `apt-get install libdnnl2`) nothing is
 * registered and the status says why; the kit then runs on its wasm backend.
 *
 * ```ts
 * const st = await registerNativeBackend();
 * if (st.available) await tf.setBackend("native");
 * ```
 *
 * @module
 */

import * as tf from "../../tfjs.ts";
import { NATIVE_BACKEND } from "./backend_name.ts";
import { openDnnl } from "./dnnl_ffi.ts";
import { installNativeGradients } from "./gradient_overrides.ts";
import { DnnlRuntime } from "./dnnl_runtime.ts";
import { NativeBackend } from "./native_backend.ts";
import type { NativeKernelArgs, NativeKernelFamily, NativeKernelSpec } from "./native_kernel.ts";
import { convKernels } from "./dnnl_kernels/conv.ts";
import { binaryKernels } from "./dnnl_kernels/binary.ts";
import { unaryKernels } from "./dnnl_kernels/unary.ts";
import { reduceKernels } from "./dnnl_kernels/reduce.ts";
import { matmulKernels } from "./dnnl_kernels/matmul.ts";
import { poolKernels } from "./dnnl_kernels/pool.ts";
import { tileKernels } from "./dnnl_kernels/tile.ts";
import { transposeKernels } from "./dnnl_kernels/transpose.ts";
import { concatKernels } from "./dnnl_kernels/concat.ts";
import { batchNormKernels } from "./dnnl_kernels/batch_norm.ts";
import { sliceKernels } from "./dnnl_kernels/slice.ts";
import { mirrorPadKernels } from "./dnnl_kernels/mirror_pad.ts";
import { depthwiseConvKernels } from "./dnnl_kernels/depthwise_conv.ts";
import { compareKernels } from "./dnnl_kernels/compare.ts";
import { gatherKernels } from "./dnnl_kernels/gather.ts";

export { NATIVE_BACKEND } from "./backend_name.ts";

/** Kernel families, in registration order. */
const FAMILIES: NativeKernelFamily[] = [
  convKernels,
  matmulKernels,
  binaryKernels,
  unaryKernels,
  reduceKernels,
  poolKernels,
  tileKernels,
  transposeKernels,
  concatKernels,
  batchNormKernels,
  sliceKernels,
  mirrorPadKernels,
  depthwiseConvKernels,
  compareKernels,
  gatherKernels,
];

/** Outcome of {@link registerNativeBackend}. */
export interface NativeBackendStatus {
  /** True when the "native" backend is registered and can be selected with tf.setBackend. */
  available: boolean;
  /** Why it is unavailable (and how to fix it). */
  reason?: string;
  /** Kernels that run natively (the rest are the cpu backend's). */
  kernels: string[];
  /** Kernels whose gradient is replaced by a cheaper one while "native" is active. */
  gradients?: string[];
  /** oneDNN version, e.g. "2.6.3". */
  version?: string;
  /** OpenMP threads oneDNN uses. */
  threads?: number;
}

/** Per-kernel timing record: wall milliseconds and calls, split native vs cpu fallback. */
export interface KernelTiming {
  ms: number;
  calls: number;
  /** Calls that fell back to the cpu kernel. */
  fallbacks: number;
}

let registration: NativeBackendStatus | undefined;
/** Native kernels switched off by {@link disableNativeKernels} (their cpu kernels run). */
let disabled: ReadonlySet<string> = new Set();
let runtime: DnnlRuntime | undefined;
let profile: Map<string, KernelTiming> | undefined;

function threadsWanted(requested: number | undefined): number {
  if (requested !== undefined) return requested;
  try {
    const env = Deno.env.get("KIT_THREADS");
    if (env !== undefined && Number(env) >= 1) return Math.floor(Number(env));
  } catch {
    // no --allow-env
  }
  return navigator.hardwareConcurrency || 1;
}

/**
 * Registers the "native" backend when oneDNN 2.x can be loaded; idempotent (later calls return
 * the first result, adjusting threads when `threads` is given). Never throws for a missing
 * library: the status says `available: false` and why.
 *
 * @param opts.threads oneDNN OpenMP threads (default env KIT_THREADS, else all cores).
 */
export function registerNativeBackend(
  opts: { threads?: number } = {},
): Promise<NativeBackendStatus> {
  if (registration !== undefined) {
    if (opts.threads !== undefined && runtime) {
      registration.threads = runtime.setThreads(opts.threads);
    }
    return Promise.resolve(registration);
  }
  const lib = openDnnl();
  if (typeof lib === "string") {
    registration = { available: false, reason: lib, kernels: [] };
    return Promise.resolve(registration);
  }
  let rt: DnnlRuntime;
  try {
    rt = new DnnlRuntime(lib);
  } catch (e) {
    registration = {
      available: false,
      reason: `oneDNN ${lib.version} loaded but unusable: ${(e as Error).message}`,
      kernels: [],
    };
    return Promise.resolve(registration);
  }
  runtime = rt;
  const threads = rt.setThreads(threadsWanted(opts.threads));

  // Priority 0: never picked by tfjs on its own; lib/backend/select.ts chooses it explicitly.
  // (lib/tfjs.ts keeps MathBackendCPU's tfjs-node advert off for this subclass too.)
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(), 0);
  const natives = new Map<string, NativeKernelSpec>();
  for (const family of FAMILIES) for (const spec of family(rt)) natives.set(spec.name, spec);

  for (const config of tf.getKernelsForBackend("cpu")) {
    const cpuFunc = config.kernelFunc;
    const spec = natives.get(config.kernelName);
    tf.registerKernel({
      ...config,
      backendName: NATIVE_BACKEND,
      kernelFunc: wrapKernel(config.kernelName, spec, cpuFunc),
    });
  }
  const kernels = [...natives.keys()].filter((k) => tf.getKernel(k, NATIVE_BACKEND) !== undefined);
  const gradients = installNativeGradients();
  registration = { available: true, kernels, gradients, version: lib.version, threads };
  return Promise.resolve(registration);
}

function wrapKernel(
  name: string,
  spec: NativeKernelSpec | undefined,
  cpuFunc: tf.KernelFunc,
): tf.KernelFunc {
  return (args) => {
    const t0 = profile === undefined ? 0 : performance.now();
    let out: tf.TensorInfo | tf.TensorInfo[] | null = null;
    const off = disabled.has(name);
    if (spec !== undefined && !off) out = spec.run(args as unknown as NativeKernelArgs);
    const fellBack = out === null;
    if (out === null) out = cpuFunc(args);
    if (profile !== undefined) {
      const key = spec === undefined
        ? `${name} (cpu)`
        : off
        ? `${name} (disabled)`
        : fellBack
        ? `${name} (declined)`
        : name;
      let rec = profile.get(key);
      if (rec === undefined) profile.set(key, rec = { ms: 0, calls: 0, fallbacks: 0 });
      rec.ms += performance.now() - t0;
      rec.calls++;
      if (spec !== undefined && fellBack) rec.fallbacks++;
    }
    return out;
  };
}

/**
 * Starts (or with `false` stops) timing every kernel call on the native backend. Returns the
 * timings collected since the last start (kernel name -> timing; cpu-only kernels are suffixed
 * " (cpu)").
 */
export function nativeKernelProfile(enable: boolean): Map<string, KernelTiming> {
  const out = profile ?? new Map<string, KernelTiming>();
  profile = enable ? new Map() : undefined;
  return out;
}

/**
 * Switches the native implementation of the named kernels off (the stock cpu kernels run
 * instead) until the next call; `[]` switches every one back on. For benchmarks that measure a
 * native kernel against the cpu kernel it replaces (`deno task method-profile --compare`).
 * Unknown names throw, listing the native kernels.
 */
export function disableNativeKernels(names: readonly string[]): void {
  const known = new Set(registration?.kernels ?? []);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new Error(
      `disableNativeKernels: ${unknown.join(", ")} ${
        unknown.length === 1 ? "is not a native kernel" : "are not native kernels"
      }; choose from ${[...known].sort().join(", ") || "(none: register the native backend)"}`,
    );
  }
  disabled = new Set(names);
}

/** The oneDNN runtime behind the native backend (after a successful registration). */
export function nativeRuntime(): DnnlRuntime | undefined {
  return runtime;
}
