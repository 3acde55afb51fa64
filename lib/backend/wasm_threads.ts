/**
 * Multi-threaded tfjs wasm (XNNPACK thread pool) under Deno.
 *
 * tfjs-backend-wasm disables threads whenever it believes it runs in Node (Deno exposes
 * `process`), and its Node code path would start pthread workers through
 * `worker_threads.Worker` with a blob URL, which Deno refuses. Deno itself has everything
 * the threaded build needs: module Web Workers, `SharedArrayBuffer`, and posting a shared
 * `WebAssembly.Memory` and a `WebAssembly.Module` to a worker.
 *
 * `prepareWasmThreads` therefore (1) forces the threaded SIMD binary, and (2) while the
 * backend initialises, substitutes for `worker_threads.Worker` a small adapter that runs each
 * Emscripten pthread in a Deno Web Worker speaking Emscripten's pthread message protocol
 * (load / run / cancel / processProxyingQueue). The substitution is undone once the backend
 * is up (`restore`).
 *
 * The pool is preallocated by Emscripten (8 workers); asking for more threads than
 * `MAX_WASM_THREADS` would make thread creation wait on the blocked main thread, so the
 * count is capped there.
 *
 * @module
 */

import nodeOs from "node:os";
import workerThreads from "node:worker_threads";
import * as tf from "../tfjs.ts";

/** Most threads the preallocated Emscripten worker pool can start without deadlock. */
export const MAX_WASM_THREADS = 8;

/** Deno's Web Worker, captured before the Emscripten runtime overwrites `globalThis.Worker`. */
const WebWorker = globalThis.Worker;

/** Module that hosts one Emscripten pthread inside a worker thread. */
const PTHREAD_WORKER_URL = new URL("./wasm_pthread_worker.ts", import.meta.url);

type NodeWorkerClass = new (script: string | URL) => { unref(): void };

/**
 * A `worker_threads.Worker` subclass for the Emscripten runtime: whatever script it is asked
 * to run (a blob URL Deno cannot start), it starts `wasm_pthread_worker.ts` instead. Node's
 * Worker (not the Web Worker) is used because it can be `unref()`ed, so that the process
 * exits when the main program is done.
 */
function pthreadWorkerClass(base: NodeWorkerClass): NodeWorkerClass {
  return class PthreadWorker extends base {
    constructor(_ignoredScript: string | URL) {
      super(PTHREAD_WORKER_URL);
    }

    /**
     * Emscripten ref()s a worker while it runs a pthread; XNNPACK's pool threads run for
     * the process lifetime and only ever wait for work from the main thread, so they must
     * never keep the process alive.
     */
    ref(): void {
      this.unref();
    }
  };
}

/** Handle returned by `prepareWasmThreads`; call `restore()` after `tf.setBackend("wasm")`. */
export interface WasmThreadsPatch {
  /** Threads the wasm backend was asked to use (after capping). */
  requested: number;
  /** Puts `worker_threads.Worker` and `globalThis.Worker` back. Idempotent. */
  restore(): void;
}

/**
 * Prepares the next wasm backend initialisation to use `threads` XNNPACK threads.
 * Must be called before `tf.setBackend("wasm")` first runs; `setThreadsCount` is the
 * function exported by `@tensorflow/tfjs-backend-wasm`. `threads` <= 1 selects the
 * single-threaded SIMD build and patches nothing.
 */
export function prepareWasmThreads(
  threads: number,
  setThreadsCount: (n: number) => void,
): WasmThreadsPatch {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(
      `prepareWasmThreads: threads must be a positive integer, got ${threads}; ` +
        `pass e.g. navigator.hardwareConcurrency.`,
    );
  }
  const n = Math.min(threads, MAX_WASM_THREADS);
  if (n === 1) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    setThreadsCount(1);
    return { requested: 1, restore: () => {} };
  }
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(n);
  const wt = workerThreads as unknown as { Worker: NodeWorkerClass };
  const originalNodeWorker = wt.Worker;
  wt.Worker = pthreadWorkerClass(originalNodeWorker);
  // The backend caps its pool at emscripten_num_logical_cores() / 2, read from os.cpus() on
  // Node-like runtimes while the module initialises; report 2n cores so that n is allowed.
  const os = nodeOs as unknown as { cpus: () => unknown[] };
  const originalCpus = os.cpus;
  os.cpus = () => {
    const real = originalCpus.call(nodeOs);
    return Array.from({ length: 2 * n }, (_, i) => real[i % Math.max(1, real.length)]);
  };
  let restored = false;
  return {
    requested: n,
    restore() {
      if (restored) return;
      restored = true;
      wt.Worker = originalNodeWorker;
      os.cpus = originalCpus;
      // The Emscripten runtime copies worker_threads.Worker onto globalThis.Worker.
      globalThis.Worker = WebWorker;
    },
  };
}
