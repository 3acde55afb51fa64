/**
 * The kit's fused training batch-norm kernels, registered under kit kernel names so that each
 * backend can give them its own implementation:
 *
 * - {@link BATCH_NORM_TRAIN} `"KitBatchNormTrain"`: inputs `x` [..., C], `gamma` [C], `beta` [C];
 *   attr `eps`; outputs `[y (x's shape), mean [C], variance [C] (biased)]`.
 * - {@link BATCH_NORM_TRAIN_GRAD} `"KitBatchNormTrainGrad"`: inputs `x`, `dy` [..., C], `mean`,
 *   `variance`, `gamma`, `dmean`, `dvariance` [C]; attr `eps`; outputs `[dx, dgamma, dbeta]`.
 *
 * Implementations: `cpu` runs the float32 loops of `batch_norm_loops.ts` (registered when this
 * module loads, so the native backend, which copies the cpu kernels when it registers, inherits
 * them as its fallback); `native` has oneDNN kernels (lib/backend/native/dnnl_kernels/
 * batch_norm.ts); any other backend (wasm, webgpu, tensorflow) gets, on first use, kernels
 * composed from its own stock kernels ({@link ensureBatchNormKernels}).
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { batchNormBackwardLoops, batchNormForwardLoops } from "./batch_norm_loops.ts";

/** Forward kernel name (see module docs for its inputs and outputs). */
export const BATCH_NORM_TRAIN = "KitBatchNormTrain";
/** Backward kernel name (see module docs for its inputs and outputs). */
export const BATCH_NORM_TRAIN_GRAD = "KitBatchNormTrainGrad";

/** Attributes of both kernels. */
export interface BatchNormAttrs {
  /** Added to the variance before the square root. */
  eps: number;
}

/** Arguments tfjs passes to a kernel function. */
type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Values of a cpu-resident tensor as float32 (no copy when stored as Float32Array); also used
 * by the kit's other cpu kernels (lib/backend/native/relu_grad.ts).
 */
export function cpuValues(backend: unknown, info: tf.TensorInfo): Float32Array {
  const store = (backend as unknown as { data: { get(id: unknown): { values: unknown } } }).data;
  const v = store.get(info.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/**
 * Input `name` of kernel `kernel`, which must be float32; throws naming the kernel and the fix
 * (also used by the fused batch norm + ReLU kernels, batch_norm_relu_kernels.ts).
 */
export function required(
  inputs: tf.NamedTensorInfoMap,
  name: string,
  kernel: string,
): tf.TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`${kernel}: missing input '${name}'; pass it in inputs.`);
  if (t.dtype !== "float32") {
    throw new Error(`${kernel}: input '${name}' is ${t.dtype}; cast it to float32 first.`);
  }
  return t;
}

function channelsOf(x: tf.TensorInfo, kernel: string): number {
  if (x.shape.length < 2) {
    throw new Error(
      `${kernel}: x has shape [${x.shape}]; batch norm needs rank >= 2 (channels last), ` +
        `e.g. reshape a vector to [N, 1].`,
    );
  }
  return x.shape[x.shape.length - 1];
}

function cpuForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const x = required(inputs, "x", BATCH_NORM_TRAIN);
  const c = channelsOf(x, BATCH_NORM_TRAIN);
  const { eps } = attrs as unknown as BatchNormAttrs;
  const get = (name: string) => cpuValues(backend, required(inputs, name, BATCH_NORM_TRAIN));
  const out = batchNormForwardLoops(cpuValues(backend, x), get("gamma"), get("beta"), eps);
  const cpu = backend as unknown as tf.KernelBackend & {
    makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  };
  return [
    cpu.makeTensorInfo([...x.shape], "float32", out.y),
    cpu.makeTensorInfo([c], "float32", out.mean),
    cpu.makeTensorInfo([c], "float32", out.variance),
  ];
}

function cpuBackward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const x = required(inputs, "x", BATCH_NORM_TRAIN_GRAD);
  const c = channelsOf(x, BATCH_NORM_TRAIN_GRAD);
  const { eps } = attrs as unknown as BatchNormAttrs;
  const get = (name: string) => cpuValues(backend, required(inputs, name, BATCH_NORM_TRAIN_GRAD));
  const out = batchNormBackwardLoops(
    cpuValues(backend, x),
    get("dy"),
    get("mean"),
    get("variance"),
    get("gamma"),
    get("dmean"),
    get("dvariance"),
    eps,
  );
  const cpu = backend as unknown as tf.KernelBackend & {
    makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  };
  return [
    cpu.makeTensorInfo([...x.shape], "float32", out.dx),
    cpu.makeTensorInfo([c], "float32", out.dgamma),
    cpu.makeTensorInfo([c], "float32", out.dbeta),
  ];
}

/**
 * Runs a backend's stock kernels by name and frees every intermediate it made: the building
 * block of the composed kernels.
 */
class KernelComposer {
  readonly #backend: tf.KernelBackend;
  readonly #backendName: string;
  readonly #temps: tf.TensorInfo[] = [];

  constructor(backend: tf.KernelBackend, backendName: string) {
    this.#backend = backend;
    this.#backendName = backendName;
  }

  /** Runs kernel `name`; its output is freed by {@link dispose} unless passed to `keep`. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, this.#backendName);
    if (kernel === undefined) {
      throw new Error(
        `fused batch norm: backend '${this.#backendName}' has no '${name}' kernel; ` +
          `use the cpu, wasm, webgpu or native backend.`,
      );
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.#backend });
    const info = Array.isArray(out) ? out[0] : out;
    this.#temps.push(info);
    return info;
  }

  /** A float32 scalar tensor (freed by {@link dispose}). */
  scalar(value: number): tf.TensorInfo {
    const dataId = this.#backend.write(new Float32Array([value]), [], "float32");
    const info = { dataId, shape: [], dtype: "float32" as const };
    this.#temps.push(info);
    return info;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run(tf.Reshape, { x }, { shape });
  }

  /** Frees every intermediate except `keep`. */
  dispose(keep: tf.TensorInfo[]): void {
    for (const t of this.#temps) if (!keep.includes(t)) this.#backend.disposeData(t.dataId);
  }
}

function composedForward(backendName: string): tf.KernelFunc {
  return ({ inputs, attrs, backend }: KernelArgs) => {
    const x = required(inputs, "x", BATCH_NORM_TRAIN);
    const c = channelsOf(x, BATCH_NORM_TRAIN);
    const { eps } = attrs as unknown as BatchNormAttrs;
    const rows = x.shape.reduce((a, b) => a * b, 1) / c;
    const k = new KernelComposer(backend as tf.KernelBackend, backendName);
    const x2 = k.reshape(x, [rows, c]);
    const mean2 = k.run(tf.Mean, { x: x2 }, { axis: [0], keepDims: true });
    const d = k.run(tf.Sub, { a: x2, b: mean2 });
    const var2 = k.run(tf.Mean, { x: k.run(tf.Square, { x: d }) }, { axis: [0], keepDims: true });
    const inv = k.run(tf.Rsqrt, { x: k.run(tf.Add, { a: var2, b: k.scalar(eps) }) });
    const g2 = k.reshape(required(inputs, "gamma", BATCH_NORM_TRAIN), [1, c]);
    const b2 = k.reshape(required(inputs, "beta", BATCH_NORM_TRAIN), [1, c]);
    const scaled = k.run(tf.Multiply, { a: d, b: k.run(tf.Multiply, { a: g2, b: inv }) });
    const y = k.reshape(k.run(tf.Add, { a: scaled, b: b2 }), [...x.shape]);
    const mean = k.reshape(mean2, [c]);
    const variance = k.reshape(var2, [c]);
    k.dispose([y, mean, variance]);
    return [y, mean, variance];
  };
}

function composedBackward(backendName: string): tf.KernelFunc {
  return ({ inputs, attrs, backend }: KernelArgs) => {
    const name = BATCH_NORM_TRAIN_GRAD;
    const x = required(inputs, "x", name);
    const c = channelsOf(x, name);
    const rows = x.shape.reduce((a, b) => a * b, 1) / c;
    const { eps } = attrs as unknown as BatchNormAttrs;
    const k = new KernelComposer(backend as tf.KernelBackend, backendName);
    const vec = (input: string) => k.reshape(required(inputs, input, name), [1, c]);
    const mul = (a: tf.TensorInfo, b: tf.TensorInfo) => k.run(tf.Multiply, { a, b });
    const add = (a: tf.TensorInfo, b: tf.TensorInfo) => k.run(tf.Add, { a, b });
    const sub = (a: tf.TensorInfo, b: tf.TensorInfo) => k.run(tf.Sub, { a, b });
    const colSum = (t: tf.TensorInfo) => k.run(tf.Sum, { x: t }, { axis: [0], keepDims: true });
    const x2 = k.reshape(x, [rows, c]);
    const dy2 = k.reshape(required(inputs, "dy", name), [rows, c]);
    const mean = vec("mean");
    const inv = k.run(tf.Rsqrt, { x: add(vec("variance"), k.scalar(eps)) });
    const sdy = colSum(dy2);
    // sum(dy * xhat) = invstd * (sum(dy * x) - mean * sum(dy))
    const sdyXhat = mul(inv, sub(colSum(mul(dy2, x2)), mul(mean, sdy)));
    // dx = a*dy + kx*x + b0 per channel (see batch_norm_loops.ts).
    const a = mul(vec("gamma"), inv);
    const invRows = k.scalar(1 / rows);
    const kx = mul(
      sub(mul(k.scalar(2), vec("dvariance")), mul(mul(a, inv), sdyXhat)),
      invRows,
    );
    const b0 = sub(mul(sub(vec("dmean"), mul(a, sdy)), invRows), mul(kx, mean));
    const dx2 = add(add(mul(dy2, a), mul(x2, kx)), b0);
    const dx = k.reshape(dx2, [...x.shape]);
    const dgamma = k.reshape(sdyXhat, [c]);
    const dbeta = k.reshape(sdy, [c]);
    k.dispose([dx, dgamma, dbeta]);
    return [dx, dgamma, dbeta];
  };
}

tf.registerKernel({ kernelName: BATCH_NORM_TRAIN, backendName: "cpu", kernelFunc: cpuForward });
tf.registerKernel({
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: "cpu",
  kernelFunc: cpuBackward,
});

/**
 * Makes sure `backendName` has both fused batch-norm kernels: backends without a dedicated
 * implementation get kernels composed from their stock kernels (about 6 full passes forward,
 * 7 backward). Idempotent and cheap; called by the op before each use.
 */
export function ensureBatchNormKernels(backendName: string): void {
  if (tf.getKernel(BATCH_NORM_TRAIN, backendName) === undefined) {
    tf.registerKernel({
      kernelName: BATCH_NORM_TRAIN,
      backendName,
      kernelFunc: composedForward(backendName),
    });
  }
  if (tf.getKernel(BATCH_NORM_TRAIN_GRAD, backendName) === undefined) {
    tf.registerKernel({
      kernelName: BATCH_NORM_TRAIN_GRAD,
      backendName,
      kernelFunc: composedBackward(backendName),
    });
  }
}
