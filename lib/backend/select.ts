/**
 * The one place that picks and initialises the tfjs compute backend for the kit.
 *
 * Auto order: `tensorflow` (native tfjs-node(-gpu), only when already installed) >
 * `webgpu` (only with a hardware adapter) > `native` (the kit's oneDNN CPU engine, when
 * Debian's libdnnl2 or another oneDNN 2.x is installed) > `wasm` (with the kit's training
 * kernels and threads) > `cpu` (correctness reference; far too slow to train on).
 * An explicit request (option, or env `KIT_BACKEND` when the option is absent or "auto")
 * that cannot be met throws an Error naming the reason and the available backends.
 *
 * Note for callers on `webgpu`: synchronous reads (`dataSync`, `arraySync`) fail under Deno
 * (tfjs uses an OffscreenCanvas for them); use `await t.data()`.
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { findTfjsNode, importTfjsNode } from "./tensorflow_probe.ts";
import { patchWebGpuRequiredFeatures, probeWebGpu } from "./webgpu_probe.ts";
import { registerWasmTrainingKernels } from "./wasm_kernels.ts";
import { registerWebGpuTrainingKernels } from "./webgpu_kernels.ts";
import { MAX_WASM_THREADS, prepareWasmThreads } from "./wasm_threads.ts";
import { registerNativeBackend } from "./native/register.ts";

/** Backends the kit can run on. */
export type BackendName = "tensorflow" | "webgpu" | "native" | "wasm" | "cpu";

/** What a caller may ask for. */
export type BackendRequest = "auto" | BackendName;

/** Every backend, in auto-selection order. */
export const BACKEND_NAMES: readonly BackendName[] = [
  "tensorflow",
  "webgpu",
  "native",
  "wasm",
  "cpu",
];

/** Options of `initBackend`. */
export interface BackendOptions {
  /** Backend to use; "auto" or absent defers to env `KIT_BACKEND`, then to auto order. */
  backend?: BackendRequest;
  /**
   * wasm threads (default env `KIT_THREADS`, else navigator.hardwareConcurrency, capped at
   * 8). Fixed by the first wasm initialisation of the process.
   */
  threads?: number;
  /** Receives one line per decision (e.g. `console.error`). */
  log?: (msg: string) => void;
}

/** The backend in use and why. */
export interface BackendInfo {
  /** Backend now active in tfjs. */
  name: BackendName;
  /** What was asked for (after applying `KIT_BACKEND`). */
  requested: BackendRequest;
  /** Why this one was chosen, and why each better one was not. */
  reason: string;
  /** Compute threads (wasm: XNNPACK pool size; cpu: 1; others: 0 = not applicable). */
  threads: number;
  /** GPU adapter description (webgpu). */
  adapter?: string;
  /** tfjs-core version. */
  tfjsVersion: string;
  /** Kernels the kit replaced or added for this backend. */
  kernelsPatched: string[];
}

/** Availability of one backend, as listed by `describeBackends` (`--list-backends`). */
export interface BackendAvailability {
  name: BackendName;
  /** Can be selected explicitly. */
  available: boolean;
  /** Would be chosen by "auto" if nothing better is available. */
  autoEligible: boolean;
  /** One line: what was found, or why it is unavailable. */
  detail: string;
}

function envVar(name: string): string | undefined {
  try {
    const v = Deno.env.get(name);
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

function parseRequest(value: string, source: string): BackendRequest {
  const v = value.toLowerCase();
  if (v === "auto" || (BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendRequest;
  throw new Error(
    `${source}: unknown backend '${value}'; use one of auto, ${BACKEND_NAMES.join(", ")}.`,
  );
}

function resolveRequest(option: BackendRequest | undefined): BackendRequest {
  if (option !== undefined && option !== "auto") return parseRequest(option, "backend option");
  const env = envVar("KIT_BACKEND");
  return env === undefined ? "auto" : parseRequest(env, "KIT_BACKEND");
}

function resolveThreads(option: number | undefined): number {
  const env = envVar("KIT_THREADS");
  const value = option ?? (env === undefined ? undefined : Number(env));
  if (value === undefined) return Math.min(navigator.hardwareConcurrency || 1, MAX_WASM_THREADS);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `threads must be a positive integer, got ${option ?? `KIT_THREADS=${env}`}; ` +
        `e.g. --threads 4 (or leave it unset for navigator.hardwareConcurrency).`,
    );
  }
  return value;
}

async function probe(name: BackendName): Promise<BackendAvailability & { adapter?: string }> {
  switch (name) {
    case "tensorflow": {
      const p = findTfjsNode();
      return { name, available: p.found, autoEligible: p.found, detail: p.detail };
    }
    case "webgpu": {
      const p = await probeWebGpu();
      return {
        name,
        available: p.found,
        autoEligible: p.hardware,
        detail: p.detail,
        adapter: p.adapter,
      };
    }
    case "native": {
      const st = await registerNativeBackend();
      return {
        name,
        available: st.available,
        autoEligible: st.available,
        detail: st.available
          ? `oneDNN ${st.version} through Deno FFI (${st.kernels.length} native kernels)`
          : `${st.reason} (fast CPU path: apt-get install libdnnl2)`,
      };
    }
    case "wasm":
      try {
        await import("@tensorflow/tfjs-backend-wasm");
        return {
          name,
          available: true,
          autoEligible: true,
          detail: "tfjs-backend-wasm (XNNPACK, SIMD) with the kit's conv training kernels",
        };
      } catch (e) {
        return {
          name,
          available: false,
          autoEligible: false,
          detail: `cannot import @tensorflow/tfjs-backend-wasm: ${(e as Error).message}`,
        };
      }
    case "cpu":
      return {
        name,
        available: true,
        autoEligible: true,
        detail:
          "plain JavaScript reference backend (~0.3 img/s on a small ResNet: too slow to train)",
      };
  }
}

/** Availability of every backend, without initialising any (for `--list-backends`). */
export async function describeBackends(): Promise<BackendAvailability[]> {
  const out: BackendAvailability[] = [];
  for (const name of BACKEND_NAMES) {
    const { adapter: _adapter, ...row } = await probe(name);
    out.push(row);
  }
  return out;
}

let wasmThreads: number | undefined;

async function activateWasm(threads: number, log: (m: string) => void): Promise<number> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const patched = registerWasmTrainingKernels();
  if (wasmThreads === undefined) {
    const start = async (n: number): Promise<boolean> => {
      const patch = prepareWasmThreads(n, wasm.setThreadsCount);
      try {
        return await tf.setBackend("wasm");
      } finally {
        patch.restore();
      }
    };
    let ok = await start(threads);
    if (!ok && threads > 1) {
      log(`wasm: threaded start with ${threads} threads failed; retrying single-threaded`);
      ok = await start(1);
    }
    if (!ok) throw new Error("tf.setBackend('wasm') failed (see the error printed above)");
    wasmThreads = wasm.getThreadsCount();
    log(`wasm: ${wasmThreads} thread(s); patched kernels: ${patched.join(", ")}`);
  } else {
    if (threads !== wasmThreads) {
      log(
        `wasm: keeping ${wasmThreads} thread(s) (fixed at first initialisation; asked ${threads})`,
      );
    }
    if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') failed");
  }
  return wasmThreads;
}

async function activate(
  name: BackendName,
  threads: number,
  log: (m: string) => void,
): Promise<{ threads: number; kernelsPatched: string[] }> {
  switch (name) {
    case "tensorflow": {
      const p = findTfjsNode();
      if (!p.found) throw new Error(p.detail);
      if (tf.findBackend("tensorflow") === null) await importTfjsNode(p.install);
      if (!(await tf.setBackend("tensorflow"))) {
        throw new Error(`${p.install.name} loaded but tf.setBackend('tensorflow') failed`);
      }
      return { threads: 0, kernelsPatched: [] };
    }
    case "webgpu":
      patchWebGpuRequiredFeatures();
      await import("@tensorflow/tfjs-backend-webgpu");
      if (!(await tf.setBackend("webgpu"))) {
        throw new Error("tf.setBackend('webgpu') failed (see the error printed above)");
      }
      return { threads: 0, kernelsPatched: registerWebGpuTrainingKernels() };
    case "native": {
      const st = await registerNativeBackend({ threads });
      if (!st.available || !(await tf.setBackend("native"))) {
        throw new Error(st.reason ?? "tf.setBackend('native') failed");
      }
      return { threads: st.threads ?? threads, kernelsPatched: st.kernels };
    }
    case "wasm":
      return {
        threads: await activateWasm(threads, log),
        kernelsPatched: registerWasmTrainingKernels(),
      };
    case "cpu":
      if (!(await tf.setBackend("cpu"))) throw new Error("tf.setBackend('cpu') failed");
      return { threads: 1, kernelsPatched: [] };
  }
}

/** The first clause of a probe's detail: up to the first `;`, `(` or `:`. */
function firstClause(detail: string): string {
  return detail.split(/[;(:]/)[0].trim();
}

/**
 * The one-line log of an automatic choice, e.g. `backend: native (oneDNN 2.6.3 through Deno FFI;
 * skipped tensorflow: neither ... installed, webgpu: only a software adapter)`. The full reasons
 * stay in {@link BackendInfo.reason} (written to each run's run.json).
 */
export function backendLine(name: string, detail: string, skipped: readonly string[]): string {
  const why = firstClause(detail);
  const skip = skipped.map((s) => {
    const [backend, ...rest] = s.split(": ");
    return `${backend} (${firstClause(rest.join(": "))})`;
  });
  return `backend: ${name}${why ? ` (${why})` : ""}` +
    (skip.length ? `; skipped ${skip.join(", ")}` : "");
}

/**
 * Selects and initialises the backend (see module doc for the order) and returns what was
 * chosen and why. Safe to call again: re-selects, reusing already-initialised backends.
 */
export async function initBackend(opts: BackendOptions = {}): Promise<BackendInfo> {
  const log = opts.log ?? (() => {});
  const requested = resolveRequest(opts.backend);
  const threads = resolveThreads(opts.threads);
  const base = { requested, tfjsVersion: tf.version_core };

  if (requested !== "auto") {
    const p = await probe(requested);
    if (!p.available) {
      const rows = await describeBackends();
      const usable = rows.filter((r) => r.available).map((r) => r.name).join(", ");
      throw new Error(
        `backend '${requested}' is unavailable: ${p.detail}. ` +
          `Available here: ${usable}. Pick one with --backend or KIT_BACKEND (or use auto).`,
      );
    }
    const a = await activate(requested, threads, log);
    const reason = p.autoEligible
      ? `requested explicitly; ${p.detail}`
      : `requested explicitly (${p.detail})`;
    log(`backend: ${requested} (${reason})`);
    return { ...base, name: requested, reason, adapter: p.adapter, ...a };
  }

  const skipped: string[] = [];
  for (const name of BACKEND_NAMES) {
    const p = await probe(name);
    if (!p.autoEligible) {
      skipped.push(`${name}: ${p.detail}`);
      continue;
    }
    try {
      const a = await activate(name, threads, log);
      const reason = [`auto: ${p.detail}`, ...skipped.map((s) => `not ${s}`)].join("; ");
      log(backendLine(name, p.detail, skipped));
      return { ...base, name, reason, adapter: p.adapter, ...a };
    } catch (e) {
      skipped.push(`${name}: failed to initialise: ${(e as Error).message}`);
      log(`backend: ${name} failed to initialise, trying the next one: ${(e as Error).message}`);
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.join("; ")}`);
}
