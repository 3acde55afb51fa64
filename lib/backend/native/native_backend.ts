/**
 * The "native" tfjs backend object: the stock `MathBackendCPU` (so every cpu kernel runs on it
 * unchanged) plus a pool of float32 output buffers that the oneDNN kernels draw from instead of
 * allocating (and page-faulting) a fresh multi-megabyte array per call.
 *
 * Pool safety: only arrays the pool allocated are ever recycled, and only while nothing else
 * can see them. An array "escapes" (is never recycled again) when its values are read out of
 * the backend (`readSync`/`read`, i.e. `dataSync()`/`data()`), or when a second tensor is
 * written over the same memory (a cpu kernel that returns a view such as a simple `slice`).
 *
 * @module
 */

import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type * as tf from "../../tfjs.ts";

/** Pooled bytes kept at most (larger frees go to the garbage collector). */
const POOL_LIMIT_BYTES = 4096 * 1024 * 1024;
/** Arrays below this length are not pooled (allocation is cheap there). */
const POOL_MIN_LENGTH = 4096;

type DataId = object;
interface Entry {
  values?: unknown;
  refCount: number;
}

/** `MathBackendCPU` with a float32 buffer pool for the native kernels (see module docs). */
export class NativeBackend extends MathBackendCPU {
  /** Buffers the pool allocated, by their ArrayBuffer, while still recyclable. */
  readonly #owned = new WeakMap<ArrayBufferLike, Float32Array>();
  /** Pool-owned buffers currently held by a tensor. */
  readonly #bound = new WeakSet<ArrayBufferLike>();
  /** Free buffers by length. */
  readonly #free = new Map<number, Float32Array[]>();
  #freeBytes = 0;
  /** Counters for the bench profile. */
  readonly poolStats = { reused: 0, allocated: 0 };

  /**
   * A float32 array of `length` for a kernel output. Contents are undefined (not zeroed) when
   * recycled: the kernel must overwrite every element.
   */
  allocF32(length: number): Float32Array {
    if (length >= POOL_MIN_LENGTH) {
      const list = this.#free.get(length);
      const hit = list?.pop();
      if (hit !== undefined) {
        this.#freeBytes -= hit.byteLength;
        this.poolStats.reused++;
        return hit;
      }
      const arr = new Float32Array(length);
      this.#owned.set(arr.buffer, arr);
      this.poolStats.allocated++;
      return arr;
    }
    return new Float32Array(length);
  }

  /** Returns a scratch array from `allocF32` that no tensor holds to the pool. */
  releaseF32(arr: Float32Array): void {
    if (this.#owned.get(arr.buffer) === arr && !this.#bound.has(arr.buffer)) this.#recycle(arr);
  }

  /**
   * Float32 values of a tensor held by this backend: no copy when stored as a Float32Array;
   * otherwise (the cpu backend keeps a bool tensor cast to float32 as its Uint8Array) a
   * converted copy, so native code never reads a narrower array as floats.
   */
  values(info: tf.TensorInfo): Float32Array {
    const v = (this.data.get(info.dataId) as Entry).values;
    if (v instanceof Float32Array) return v;
    return Float32Array.from(v as ArrayLike<number>);
  }

  /** The bytes of a `bool` tensor held by this backend (no copy); throws for other storage. */
  bytes(info: tf.TensorInfo): Uint8Array {
    const v = (this.data.get(info.dataId) as Entry).values;
    if (!(v instanceof Uint8Array)) {
      throw new Error(`expected a bool tensor stored as bytes, got ${info.dtype} [${info.shape}]`);
    }
    return v;
  }

  /** Registers `values` (from `allocF32`) as a new float32 tensor of `shape`. */
  output(values: Float32Array, shape: number[]): tf.TensorInfo {
    return this.makeTensorInfo(shape, "float32", values);
  }

  /** Frees the pool (the arrays go to the garbage collector). */
  clearPool(): void {
    this.#free.clear();
    this.#freeBytes = 0;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType) {
    this.#noteBinding(values);
    return super.write(values, shape, dtype);
  }

  override move(
    dataId: DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    this.#noteBinding(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const entry = this.data.get(dataId) as Entry | undefined;
    if (entry !== undefined) this.#escape(entry.values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const entry = this.data.get(dataId) as Entry | undefined;
    const values = entry?.values;
    const released = super.disposeData(dataId, force);
    if (released && values instanceof Float32Array && this.#bound.has(values.buffer)) {
      this.#bound.delete(values.buffer);
      if (this.#owned.get(values.buffer) === values) this.#recycle(values);
    }
    return released;
  }

  #noteBinding(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const buf = values.buffer;
    const own = this.#owned.get(buf);
    if (own === undefined) return;
    if (own !== values || this.#bound.has(buf)) {
      this.#escape(values); // a view or a second tensor over pooled memory: never recycle it
      return;
    }
    this.#bound.add(buf);
  }

  #escape(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    this.#owned.delete(values.buffer);
    this.#bound.delete(values.buffer);
  }

  #recycle(arr: Float32Array): void {
    if (this.#freeBytes + arr.byteLength > POOL_LIMIT_BYTES) {
      this.#owned.delete(arr.buffer);
      return;
    }
    let list = this.#free.get(arr.length);
    if (list === undefined) this.#free.set(arr.length, list = []);
    list.push(arr);
    this.#freeBytes += arr.byteLength;
  }
}
