/**
 * Raw binding to oneDNN 2.x (`libdnnl.so.2`, Debian package `libdnnl2`) through `Deno.dlopen`:
 * the symbol table, the enum values and the struct sizes the kernels need. No C compiler is
 * involved at run time; every number below was read from the installed headers
 * (`/usr/include/oneapi/dnnl/dnnl_types.h` and `dnnl.h` of oneDNN 2.6, x86-64 Linux ABI) and
 * checked once with `sizeof`/`offsetof` against those headers.
 *
 * Descriptor structs (`dnnl_memory_desc_t`, `dnnl_convolution_desc_t`, ...) are opaque byte
 * buffers here: oneDNN's `*_desc_init` functions fill them and other functions read them, so
 * only their sizes matter.
 *
 * @module
 */

/** `sizeof` of the oneDNN 2.6 descriptor structs (x86-64), from `dnnl_types.h`. */
export const DESC_SIZE = {
  /** dnnl_memory_desc_t: ndims, dims[12], data_type, padded_dims[12], padded_offsets[12], offset0, format_kind, format_desc union, extra. */
  memory: 696,
  convolution: 5976,
  eltwise: 1416,
  binary: 2096,
  reduction: 1408,
  poolingV2: 3288,
  matmul: 2800,
  /** dnnl_batch_normalization_desc_t: kinds, 5 memory descs, epsilon, flags. */
  batchNormalization: 3496,
  /** dnnl_exec_arg_t: { int arg; dnnl_memory_t memory; } (pointer at offset 8). */
  execArg: 16,
} as const;

/** `DNNL_MAX_NDIMS`: the longest dims array a memory descriptor holds. */
export const MAX_NDIMS = 12;

/** dnnl_data_type_t. */
export const DT_F32 = 3;

/** dnnl_format_tag_t values used by the kernels (`any` lets a primitive pick its layout). */
export const TAG = { any: 1, a: 2, ab: 3, abc: 4, abcd: 5, acdb: 20, ba: 22, hwio: 30 } as const;

/** dnnl_prop_kind_t. */
export const PROP = {
  forwardTraining: 64,
  forwardInference: 96,
  backward: 128,
  backwardData: 160,
  backwardWeights: 192,
} as const;

/** dnnl_alg_kind_t values used by the kernels. */
export const ALG = {
  convolutionDirect: 1,
  eltwiseRelu: 31,
  eltwisePow: 32,
  eltwiseTanh: 47,
  eltwiseSquare: 79,
  eltwiseAbs: 95,
  eltwiseSqrt: 111,
  eltwiseLinear: 127,
  eltwiseLogistic: 175,
  eltwiseExp: 191,
  eltwiseLog: 239,
  poolingMax: 511,
  poolingAvgIncludePadding: 767,
  poolingAvgExcludePadding: 1023,
  binaryAdd: 131056,
  binaryMul: 131057,
  binaryMax: 131058,
  binaryMin: 131059,
  binaryDiv: 131060,
  binarySub: 131061,
  binaryGe: 131062,
  binaryGt: 131063,
  reductionMax: 196594,
  reductionMin: 196595,
  reductionSum: 196596,
  reductionMean: 196598,
} as const;

/** dnnl_query_t values for memory descriptors and the implementation name. */
export const QUERY = {
  implInfoStr: 8,
  srcMd: 129,
  diffSrcMd: 130,
  weightsMd: 131,
  diffWeightsMd: 132,
  dstMd: 133,
  diffDstMd: 134,
  workspaceMd: 135,
} as const;

type ArgName =
  | "src"
  | "src1"
  | "dst"
  | "weights"
  | "bias"
  | "workspace"
  | "diffSrc"
  | "diffDst"
  | "diffWeights"
  | "diffBias"
  | "from"
  | "to"
  | "mean"
  | "variance"
  | "scale"
  | "shift"
  | "diffScale"
  | "diffShift";

/** `DNNL_ARG_*` execution argument indices. */
export const ARG: Readonly<Record<ArgName, number>> = {
  src: 1,
  src1: 2,
  dst: 17,
  weights: 33,
  bias: 41,
  workspace: 64,
  diffSrc: 129,
  diffDst: 145,
  diffWeights: 161,
  diffBias: 169,
  from: 1,
  to: 17,
  mean: 49,
  variance: 50,
  scale: 51,
  shift: 52,
  diffScale: 255,
  diffShift: 256,
};

/** dnnl_normalization_flags_t bits (separate scale and shift tensors, oneDNN >= 2.3). */
export const NORM_FLAGS = { fuseNormRelu: 0x4, useScale: 0x8, useShift: 0x10 } as const;

/** dnnl_engine_kind_t cpu, dnnl_stream_default_flags, dnnl_success. */
export const ENGINE_CPU = 1;
/** Default stream flags. */
export const STREAM_DEFAULT = 1;
/** dnnl_status_t success. */
export const STATUS_SUCCESS = 0;

/**
 * `strides, padding_l, padding_r` (three `const dnnl_dims_t`): the window that ends every
 * convolution descriptor init.
 */
const CONV_WINDOW = ["buffer", "buffer", "buffer"] as const;

/**
 * `strides, kernel, dilation, padding_l, padding_r` (five `const dnnl_dims_t`): the window that
 * ends both pooling_v2 descriptor inits.
 */
const POOL_WINDOW = ["buffer", "buffer", "buffer", "buffer", "buffer"] as const;

const SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_memory_desc_init_by_strides: {
    parameters: ["buffer", "i32", "buffer", "i32", "buffer"],
    result: "i32",
  },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
  // (desc, prop_kind, alg_kind, src, weights, bias or NULL, dst, window)
  dnnl_convolution_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", "pointer", "buffer", ...CONV_WINDOW],
    result: "i32",
  },
  // (desc, alg_kind, diff_src, weights, diff_dst, window)
  dnnl_convolution_backward_data_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", ...CONV_WINDOW],
    result: "i32",
  },
  // (desc, alg_kind, src, diff_weights, diff_bias or NULL, diff_dst, window)
  dnnl_convolution_backward_weights_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "pointer", "buffer", ...CONV_WINDOW],
    result: "i32",
  },
  dnnl_eltwise_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_eltwise_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_binary_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_reduction_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "f32"],
    result: "i32",
  },
  dnnl_matmul_desc_init: {
    parameters: ["buffer", "buffer", "buffer", "pointer", "buffer"],
    result: "i32",
  },
  // (desc, prop_kind, alg_kind, src, dst, window)
  dnnl_pooling_v2_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "buffer", "buffer", ...POOL_WINDOW],
    result: "i32",
  },
  // (desc, alg_kind, diff_src, diff_dst, window)
  dnnl_pooling_v2_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", ...POOL_WINDOW],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const OMP_SYMBOLS = {
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
  omp_get_max_threads: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The oneDNN C functions, as `Deno.dlopen` exposes them. */
export type DnnlSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
/** The OpenMP runtime functions oneDNN's threads obey. */
export type OmpSymbols = Deno.DynamicLibrary<typeof OMP_SYMBOLS>["symbols"];

/** A loaded oneDNN library. */
export interface DnnlLibrary {
  dnnl: DnnlSymbols;
  /** Present when oneDNN uses the GNU OpenMP runtime (Debian's build does). */
  omp: OmpSymbols | undefined;
  /** "major.minor.patch". */
  version: string;
  /** File that was opened. */
  path: string;
}

/** Where `libdnnl.so.2` is looked for, in order (env `KIT_DNNL_PATH` first). */
export function dnnlCandidates(): string[] {
  const out: string[] = [];
  try {
    const env = Deno.env.get("KIT_DNNL_PATH");
    if (env) out.push(env);
  } catch {
    // no --allow-env: use the defaults
  }
  out.push(
    "libdnnl.so.2",
    "/usr/lib/x86_64-linux-gnu/libdnnl.so.2",
    "/usr/lib/aarch64-linux-gnu/libdnnl.so.2",
    "/usr/local/lib/libdnnl.so.2",
  );
  return out;
}

/**
 * Opens oneDNN 2.x. Returns the library, or a string saying why it is unavailable and how to
 * get it (never throws). Env `KIT_NATIVE=off` disables it (to exercise the fallback).
 */
export function openDnnl(): DnnlLibrary | string {
  try {
    if (Deno.env.get("KIT_NATIVE") === "off") {
      return "native backend disabled by KIT_NATIVE=off (unset it to use oneDNN)";
    }
  } catch {
    // no --allow-env: not disabled
  }
  if (Deno.build.os !== "linux") {
    return `oneDNN fast path is Linux-only (this is ${Deno.build.os}); using the wasm backend`;
  }
  const errors: string[] = [];
  for (const path of dnnlCandidates()) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (e) {
      errors.push(`${path}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const vp = lib.symbols.dnnl_version();
    if (vp === null) {
      lib.close();
      errors.push(`${path}: dnnl_version() returned NULL`);
      continue;
    }
    const view = new Deno.UnsafePointerView(vp);
    const major = view.getInt32(0);
    const version = `${major}.${view.getInt32(4)}.${view.getInt32(8)}`;
    if (major !== 2) {
      lib.close();
      errors.push(`${path}: oneDNN ${version}, but the kit's binding needs 2.x (libdnnl2)`);
      continue;
    }
    let omp: OmpSymbols | undefined;
    try {
      omp = Deno.dlopen("libgomp.so.1", OMP_SYMBOLS).symbols;
    } catch {
      omp = undefined;
    }
    return { dnnl: lib.symbols, omp, version, path };
  }
  return `libdnnl.so.2 not found (${errors[errors.length - 1] ?? "no candidates"}); ` +
    `install it with \`apt-get install libdnnl2\` (or set KIT_DNNL_PATH) for the native fast path`;
}
