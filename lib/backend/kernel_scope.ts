/**
 * Calling other registered kernels from inside a kernel function.
 *
 * A kernel function receives raw `TensorInfo`s and must return raw `TensorInfo`s;
 * the engine does not track anything a kernel allocates for itself. `KernelScope`
 * runs other kernels of the same backend directly through the kernel registry
 * (no engine bookkeeping, no gradient tape) and frees every intermediate it made
 * when the scope ends, except the results marked with `keep`.
 *
 * @module
 */

import * as tf from "../tfjs.ts";

/** Attributes passed to a kernel, as the kernel registry expects them. */
export type KernelAttrs = tf.NamedAttrMap;

/**
 * Runs kernels of one backend and disposes their outputs when `dispose()` is called.
 *
 * Typical use inside a kernel function:
 * ```ts
 * const scope = new KernelScope(backend, "wasm");
 * try {
 *   const t = scope.run("Transpose", { x }, { perm: [3, 1, 2, 0] });
 *   return scope.keep(scope.run("Conv2D", { x: t, filter }, attrs));
 * } finally {
 *   scope.dispose();
 * }
 * ```
 */
export class KernelScope {
  readonly #backend: tf.KernelBackend;
  readonly #backendName: string;
  readonly #owned: tf.TensorInfo[] = [];

  /**
   * @param backend the backend instance handed to the calling kernel function.
   * @param backendName the name the backend is registered under (e.g. "wasm").
   */
  constructor(backend: tf.KernelBackend, backendName: string) {
    this.#backend = backend;
    this.#backendName = backendName;
  }

  /**
   * Runs the registered kernel `kernelName` on `inputs` with `attrs` and returns its
   * single output, owned by this scope (freed on `dispose()` unless passed to `keep`).
   * Throws when the kernel is not registered for this backend, or returns several outputs.
   */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: KernelAttrs = {}): tf.TensorInfo {
    const config = tf.getKernel(kernelName, this.#backendName);
    if (config === undefined) {
      throw new Error(
        `KernelScope: kernel '${kernelName}' is not registered for backend ` +
          `'${this.#backendName}'. Import the backend package before running kernels on it.`,
      );
    }
    const out = config.kernelFunc({ inputs, attrs, backend: this.#backend });
    if (Array.isArray(out)) {
      for (const o of out) this.#owned.push(o);
      throw new Error(
        `KernelScope: kernel '${kernelName}' returned ${out.length} outputs; ` +
          `KernelScope.run only supports single-output kernels.`,
      );
    }
    this.#owned.push(out);
    return out;
  }

  /** Reshape without copying (the backend shares the data and counts references). */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /** Marks `info` as the caller's: it survives `dispose()`. Returns `info`. */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    const i = this.#owned.lastIndexOf(info);
    if (i < 0) {
      throw new Error(
        "KernelScope.keep: this TensorInfo was not produced by this scope; " +
          "only keep results returned by run() or reshape().",
      );
    }
    this.#owned.splice(i, 1);
    return info;
  }

  /** Frees every output of this scope that was not kept. Safe to call twice. */
  dispose(): void {
    for (const info of this.#owned) this.#backend.disposeData(info.dataId);
    this.#owned.length = 0;
  }
}
