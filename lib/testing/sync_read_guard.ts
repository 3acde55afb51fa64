/**
 * Makes synchronous device->host reads fail loudly, to prove that a piece of
 * code (a training step, an evaluation) only reads tensors asynchronously.
 * Such reads stall a GPU pipeline, and on Deno's WebGPU tfjs cannot do them at
 * all (its `readSync` needs an OffscreenCanvas).
 *
 * Guarded: `Tensor.prototype.dataSync`, `arraySync`, `bufferSync` (also
 * when tfjs-core calls them inside an op) and, on `webgpu` only, the
 * backend's `readSync` of GPU-resident data, which also catches a kernel
 * reading its inputs back (tfjs reads host-resident data of tiny ops freely).
 * The CPU backends' kernels call their own `readSync` on host memory as a
 * matter of course (no device transfer), so it stays open there.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/** Thrown by a guarded synchronous read. */
export class SyncReadError extends Error {
  constructor(what: string) {
    super(
      `${what} was called while synchronous reads are forbidden; read with ` +
        `\`await t.data()\` / \`await t.array()\` instead (or compute the value on the device)`,
    );
    this.name = "SyncReadError";
  }
}

const TENSOR_METHODS = ["dataSync", "arraySync", "bufferSync"] as const;

type Patchable = Record<string, unknown>;

/**
 * Runs `fn` with every synchronous read throwing {@link SyncReadError}; the
 * original methods are restored afterwards, whatever `fn` does. Not
 * reentrant. Guards the backend active when it starts (see module docs).
 */
export async function forbidSyncReads<T>(fn: () => T | Promise<T>): Promise<T> {
  const proto = tf.Tensor.prototype as unknown as Patchable;
  const backend = tf.backend() as unknown as Patchable;
  const guardBackend = tf.getBackend() === "webgpu";
  const saved = TENSOR_METHODS.map((name) => [name, proto[name]] as const);
  const hadOwnReadSync = Object.prototype.hasOwnProperty.call(backend, "readSync");
  const ownReadSync = backend.readSync;
  for (const name of TENSOR_METHODS) {
    proto[name] = () => {
      throw new SyncReadError(`Tensor.${name}()`);
    };
  }
  if (guardBackend) {
    const read = ownReadSync as (dataId: object) => unknown;
    const tensorMap = backend.tensorMap as { get(id: object): { values?: unknown } | undefined };
    backend.readSync = (dataId: object) => {
      // Data still on the host (tfjs forwards tiny ops to the CPU) is no transfer.
      if (tensorMap.get(dataId)?.values != null) return read.call(backend, dataId);
      throw new SyncReadError("the webgpu backend's readSync of GPU data");
    };
  }
  try {
    return await fn();
  } finally {
    for (const [name, method] of saved) proto[name] = method;
    if (guardBackend) {
      if (hadOwnReadSync) backend.readSync = ownReadSync;
      else delete backend.readSync;
    }
  }
}
