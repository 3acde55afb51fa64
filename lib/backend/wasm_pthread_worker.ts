/**
 * Worker-thread entry that hosts one Emscripten pthread of the threaded tfjs wasm build
 * (started by `wasm_threads.ts`, never imported directly).
 *
 * It speaks the Emscripten pthread protocol with the main thread:
 * - `load`: receives the compiled `WebAssembly.Module`, the shared `WebAssembly.Memory`
 *   and the factory script (a Blob holding `var WasmBackendModuleThreadedSimd = ...`),
 *   instantiates the module on the shared memory and answers `loaded`;
 * - `run`: enters the pthread's start routine (XNNPACK's pool loop, which blocks here);
 * - `cancel`, `processProxyingQueue`: forwarded to the runtime.
 * Messages that arrive before loading finishes are queued.
 *
 * The factory is evaluated with Node's globals hidden so that it takes its browser-worker
 * code path (the Node path would need `require` and file paths).
 *
 * @module
 */

import { parentPort } from "node:worker_threads";

/** The Emscripten module object as far as this worker uses it. */
interface PthreadModule {
  [key: string]: unknown;
  wasmModule?: WebAssembly.Module | null;
  wasmMemory?: WebAssembly.Memory;
  buffer?: ArrayBufferLike;
  ENVIRONMENT_IS_PTHREAD?: boolean;
  instantiateWasm?: (
    imports: WebAssembly.Imports,
    receive: (instance: WebAssembly.Instance) => void,
  ) => WebAssembly.Exports;
}

type Fn = (...args: unknown[]) => unknown;

interface Message {
  cmd?: string;
  target?: string;
  [key: string]: unknown;
}

const port = parentPort;
if (port === null) {
  throw new Error(
    "wasm_pthread_worker.ts must run as a worker thread; it is started by " +
      "lib/backend/wasm_threads.ts, do not import it.",
  );
}

let runtime: PthreadModule = {};
let loaded = false;
let jsInitialized = false;
const queued: Message[] = [];
const pendingQueues: unknown[] = [];

function call(name: string, ...args: unknown[]): unknown {
  return (runtime[name] as Fn)(...args);
}

async function load(d: Message): Promise<void> {
  const moduleArg: PthreadModule = {
    wasmModule: d.wasmModule as WebAssembly.Module,
    wasmMemory: d.wasmMemory as WebAssembly.Memory,
    buffer: (d.wasmMemory as WebAssembly.Memory).buffer,
    ENVIRONMENT_IS_PTHREAD: true,
  };
  for (const handler of d.handlers as string[]) {
    moduleArg[handler] = (...args: unknown[]) =>
      port!.postMessage({ cmd: "callHandler", handler, args });
  }
  moduleArg.instantiateWasm = (imports, receive) => {
    const instance = new WebAssembly.Instance(moduleArg.wasmModule!, imports);
    receive(instance);
    moduleArg.wasmModule = null;
    return instance.exports;
  };
  const source = d.urlOrBlob;
  const text = typeof source === "string"
    ? await (await fetch(source)).text()
    : await (source as Blob).text();
  // Node-style worker threads hide `self`; the browser-worker path needs it (with location).
  const workerSelf = globalThis as unknown as { location?: { href: string } };
  workerSelf.location ??= { href: import.meta.url };
  const factory = new Function(
    "process",
    "require",
    "importScripts",
    "self",
    `${text}\nreturn WasmBackendModuleThreadedSimd;`,
  )(undefined, undefined, () => {}, globalThis) as (m: PthreadModule) => unknown;
  // The runtime calls self.startWorker(Module) once the pthread runtime is ready.
  (globalThis as unknown as { startWorker: (m: PthreadModule) => void }).startWorker = (m) => {
    runtime = m;
    loaded = true;
    port!.postMessage({ cmd: "loaded" });
  };
  // Emscripten's worker path posts through the global postMessage.
  (globalThis as unknown as { postMessage: (m: unknown) => void }).postMessage = (m) =>
    port!.postMessage(m);
  factory(moduleArg);
}

function run(d: Message): void {
  call("__emscripten_thread_init", d.pthread_ptr, 0, 0, 1);
  call("establishStackSpace");
  (runtime.PThread as { receiveObjectTransfer: Fn; threadInitTLS: Fn }).receiveObjectTransfer(d);
  (runtime.PThread as { threadInitTLS: Fn }).threadInitTLS();
  if (!jsInitialized) {
    for (const q of pendingQueues) call("executeNotifiedProxyingQueue", q);
    pendingQueues.length = 0;
    jsInitialized = true;
  }
  try {
    call("invokeEntryPoint", d.start_routine, d.arg);
  } catch (ex) {
    if (ex === "unwind") return;
    const exitStatus = runtime.ExitStatus as new (...a: unknown[]) => { status: number };
    if (ex instanceof exitStatus) {
      if (!call("keepRuntimeAlive")) call("__emscripten_thread_exit", ex.status);
      return;
    }
    throw ex;
  }
}

function handle(d: Message): void {
  if (d.cmd === "run") {
    run(d);
  } else if (d.cmd === "cancel") {
    if (call("_pthread_self")) call("__emscripten_thread_exit", -1);
  } else if (d.cmd === "processProxyingQueue") {
    if (jsInitialized) call("executeNotifiedProxyingQueue", d.queue);
    else pendingQueues.push(d.queue);
  }
}

port.on("message", (d: Message) => {
  if (d.cmd === "load") {
    load(d).then(() => {
      for (const q of queued.splice(0)) handle(q);
    });
  } else if (d.target === "setimmediate") {
    // Emscripten's setImmediate polyfill ping: nothing to do here.
  } else if (!loaded) {
    queued.push(d);
  } else {
    handle(d);
  }
});
