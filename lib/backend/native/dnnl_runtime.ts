/**
 * A small object layer over the raw oneDNN binding ({@link openDnnl}): one CPU engine and
 * stream, memory descriptors built from dims (row-major, explicit strides or a format tag),
 * primitive creation with error messages that name the failing call, and {@link Executable},
 * a created primitive with its memory objects whose data handles are pointed at JS
 * `Float32Array`s right before each run (zero copy).
 *
 * Everything runs synchronously on the calling (JS main) thread; oneDNN parallelises inside a
 * call with its OpenMP pool ({@link DnnlRuntime.setThreads}).
 *
 * @module
 */

import {
  DESC_SIZE,
  type DnnlLibrary,
  type DnnlSymbols,
  DT_F32,
  ENGINE_CPU,
  MAX_NDIMS,
  QUERY,
  STATUS_SUCCESS,
  STREAM_DEFAULT,
} from "./dnnl_ffi.ts";

/** A raw C pointer (null = NULL). */
export type Ptr = Deno.PointerValue;

/** Pointer to the first element of `arr` (zero copy; the view's byteOffset included). */
export function ptrOf(arr: Float32Array | Uint8Array | BigInt64Array): Ptr {
  // Reading .buffer moves a small on-heap typed array off the V8 heap, so its address is stable.
  void arr.buffer;
  return Deno.UnsafePointer.of(arr);
}

function dimsArray(values: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(MAX_NDIMS);
  values.forEach((v, i) => (out[i] = BigInt(v)));
  return out;
}

/** Row-major strides of `dims`. */
export function rowMajorStrides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** A primitive descriptor and the primitive created from it. */
export interface Primitive {
  pd: Ptr;
  prim: Ptr;
}

/** One oneDNN CPU engine + stream, and helpers to build and run primitives. */
export class DnnlRuntime {
  readonly lib: DnnlLibrary;
  readonly fn: DnnlSymbols;
  readonly engine: Ptr;
  readonly stream: Ptr;
  #threads = 0;

  /** Creates the engine and the stream; throws if oneDNN refuses. */
  constructor(lib: DnnlLibrary) {
    this.lib = lib;
    this.fn = lib.dnnl;
    const out = new BigUint64Array(1);
    const outBytes = new Uint8Array(out.buffer);
    this.check(this.fn.dnnl_engine_create(outBytes, ENGINE_CPU, 0n), "dnnl_engine_create");
    this.engine = Deno.UnsafePointer.create(out[0]);
    this.check(
      this.fn.dnnl_stream_create(outBytes, this.engine, STREAM_DEFAULT),
      "dnnl_stream_create",
    );
    this.stream = Deno.UnsafePointer.create(out[0]);
  }

  /** Sets the OpenMP threads oneDNN uses from this thread on; returns the count in effect. */
  setThreads(n: number): number {
    const omp = this.lib.omp;
    if (omp === undefined) return this.#threads || 1;
    omp.omp_set_num_threads(Math.max(1, Math.floor(n)));
    this.#threads = omp.omp_get_max_threads();
    return this.#threads;
  }

  /** Threads oneDNN will use (OpenMP's max threads). */
  get threads(): number {
    if (this.#threads === 0) this.#threads = this.lib.omp?.omp_get_max_threads() ?? 1;
    return this.#threads;
  }

  /** Throws an Error naming `what` when `status` is not dnnl_success. */
  check(status: number, what: string): void {
    if (status !== STATUS_SUCCESS) {
      throw new Error(
        `oneDNN call ${what} failed with dnnl_status ${status} (2 = invalid arguments, ` +
          `3 = unimplemented); this shape/attribute combination is not supported natively`,
      );
    }
  }

  /** f32 memory descriptor of `dims` with `strides` (default row-major). */
  md(dims: readonly number[], strides?: readonly number[]): Uint8Array {
    const md = new Uint8Array(DESC_SIZE.memory);
    this.check(
      this.fn.dnnl_memory_desc_init_by_strides(
        md,
        dims.length,
        new Uint8Array(dimsArray(dims).buffer),
        DT_F32,
        new Uint8Array(dimsArray(strides ?? rowMajorStrides(dims)).buffer),
      ),
      `dnnl_memory_desc_init_by_strides([${dims}])`,
    );
    return md;
  }

  /** f32 memory descriptor of `dims` with format `tag` (see TAG; `any` lets oneDNN choose). */
  mdTag(dims: readonly number[], tag: number): Uint8Array {
    const md = new Uint8Array(DESC_SIZE.memory);
    this.check(
      this.fn.dnnl_memory_desc_init_by_tag(
        md,
        dims.length,
        new Uint8Array(dimsArray(dims).buffer),
        DT_F32,
        tag,
      ),
      `dnnl_memory_desc_init_by_tag([${dims}], ${tag})`,
    );
    return md;
  }

  /** oneDNN spatial parameter array (strides, paddings, kernel) as the C API expects it. */
  dims(values: readonly number[]): Uint8Array {
    return new Uint8Array(dimsArray(values).buffer);
  }

  /** Creates the primitive descriptor and the primitive for an initialised op descriptor. */
  primitive(opDesc: Uint8Array, what: string, hint: Ptr = null): Primitive {
    const out = new BigUint64Array(1);
    const outBytes = new Uint8Array(out.buffer);
    this.check(
      this.fn.dnnl_primitive_desc_create(outBytes, opDesc, null, this.engine, hint),
      `dnnl_primitive_desc_create(${what})`,
    );
    const pd = Deno.UnsafePointer.create(out[0]);
    this.check(this.fn.dnnl_primitive_create(outBytes, pd), `dnnl_primitive_create(${what})`);
    return { pd, prim: Deno.UnsafePointer.create(out[0]) };
  }

  /** Reorder primitive from layout `src` to layout `dst` (memory descriptors). */
  reorder(src: Ptr, dst: Ptr): Primitive {
    const out = new BigUint64Array(1);
    const outBytes = new Uint8Array(out.buffer);
    this.check(
      this.fn.dnnl_reorder_primitive_desc_create(
        outBytes,
        src,
        this.engine,
        dst,
        this.engine,
        null,
      ),
      "dnnl_reorder_primitive_desc_create",
    );
    const pd = Deno.UnsafePointer.create(out[0]);
    this.check(this.fn.dnnl_primitive_create(outBytes, pd), "dnnl_primitive_create(reorder)");
    return { pd, prim: Deno.UnsafePointer.create(out[0]) };
  }

  /** The memory descriptor a primitive descriptor chose for `query` (see QUERY). */
  queryMd(pd: Ptr, query: number, index = 0): Ptr {
    return this.fn.dnnl_primitive_desc_query_md(pd, query, index);
  }

  /**
   * Execution arguments laid out as the primitive descriptor `pd` chose: one {@link ArgSpec}
   * per `[DNNL_ARG_*, QUERY.*Md]` pair, in the given order.
   */
  queriedArgs(pd: Ptr, pairs: readonly QueriedArg[]): ArgSpec[] {
    return pairs.map(([arg, query]) => ({ arg, md: this.queryMd(pd, query) }));
  }

  /** Name of the implementation oneDNN picked (e.g. "brg:avx512_core"). */
  implName(pd: Ptr): string {
    const out = new BigUint64Array(1);
    const st = this.fn.dnnl_primitive_desc_query(
      pd,
      QUERY.implInfoStr,
      0,
      new Uint8Array(out.buffer),
    );
    if (st !== STATUS_SUCCESS || out[0] === 0n) return "?";
    return new Deno.UnsafePointerView(Deno.UnsafePointer.create(out[0])!).getCString();
  }

  /** True when the two memory descriptors describe the same layout. */
  mdEqual(a: Ptr, b: Ptr): boolean {
    return this.fn.dnnl_memory_desc_equal(a, b) !== 0;
  }

  /** Bytes a memory descriptor spans (padding included). */
  mdBytes(md: Ptr): number {
    return Number(this.fn.dnnl_memory_desc_get_size(md));
  }

  /** A memory object of layout `md` with no buffer yet (set per run by Executable). */
  memory(md: Ptr): Ptr {
    const out = new BigUint64Array(1);
    this.check(
      this.fn.dnnl_memory_create(new Uint8Array(out.buffer), md, this.engine, null),
      "dnnl_memory_create",
    );
    return Deno.UnsafePointer.create(out[0]);
  }
}

/** Execution argument of an {@link Executable}: oneDNN's `DNNL_ARG_*` and its layout. */
export interface ArgSpec {
  arg: number;
  md: Ptr;
}

/** An execution argument whose layout a primitive descriptor chose: `[DNNL_ARG_*, QUERY.*Md]`. */
export type QueriedArg = readonly [arg: number, query: number];

/**
 * A primitive plus one memory object per argument. `run(buffers)` points each memory object at
 * the matching `Float32Array` (same order as the specs) and executes the primitive.
 */
export class Executable {
  readonly #rt: DnnlRuntime;
  readonly #prim: Ptr;
  readonly #mems: Ptr[];
  readonly #args: Uint8Array;

  /** @param args one spec per argument; `run` takes buffers in this order. */
  constructor(rt: DnnlRuntime, prim: Primitive, args: readonly ArgSpec[]) {
    this.#rt = rt;
    this.#prim = prim.prim;
    this.#mems = args.map((a) => rt.memory(a.md));
    this.#args = new Uint8Array(args.length * DESC_SIZE.execArg);
    const view = new DataView(this.#args.buffer);
    args.forEach((a, i) => {
      view.setInt32(i * DESC_SIZE.execArg, a.arg, true);
      view.setBigUint64(
        i * DESC_SIZE.execArg + 8,
        BigInt(Deno.UnsafePointer.value(this.#mems[i])),
        true,
      );
    });
  }

  /** Executes with `buffers[i]` as the data of argument i (lengths are the caller's duty). */
  run(buffers: readonly (Float32Array | Uint8Array)[]): void {
    const fn = this.#rt.fn;
    for (let i = 0; i < this.#mems.length; i++) {
      fn.dnnl_memory_set_data_handle(this.#mems[i], ptrOf(buffers[i]));
    }
    this.#rt.check(
      fn.dnnl_primitive_execute(this.#prim, this.#rt.stream, this.#mems.length, this.#args),
      "dnnl_primitive_execute",
    );
  }
}
