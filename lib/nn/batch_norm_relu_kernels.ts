/**
 * Training batch norm followed by ReLU as one pair of kernels, registered under kit kernel names
 * (the contract; `batch_norm_relu_op.ts` is the op that calls them):
 *
 * - {@link BATCH_NORM_RELU_TRAIN} `"KitBatchNormReluTrain"`: inputs `x` [..., C], `gamma` [C],
 *   `beta` [C]; attr `eps`; outputs `[y = relu(batchNorm(x)) (x's shape), mean [C],
 *   variance [C] (biased), mask]`.
 * - {@link BATCH_NORM_RELU_TRAIN_GRAD} `"KitBatchNormReluTrainGrad"`: inputs `x`, `dy`, `mean`,
 *   `variance`, `gamma`, `beta`, `mask`; attr `eps`; outputs `[dx, dgamma, dbeta]`: the
 *   gradients of the pair with `dy` zeroed where the ReLU was off. The batch statistics get no
 *   gradient (`BatchNorm` uses them only for its running statistics).
 *
 * `mask` is a `bool` tensor whose layout belongs to the backend that ran the forward kernel: one
 * byte per element of `y` (1 where `y > 0`) from the cpu kernels here, oneDNN's ReLU workspace
 * (a bit mask) from the native kernel (lib/backend/native/dnnl_kernels/batch_norm.ts). Both
 * kernels of a backend decide from the same shape test which of the two they produce and read.
 *
 * The cpu kernels (float32 loops, registered when this module loads, and so inherited by the
 * native backend as its fallback) compute exactly what `relu(batchNormTrain(x))` and its
 * gradient compute: the same batch-norm loops, then the ReLU; the gradient masks `dy` as
 * `KitReluGrad` does, then runs the batch-norm backward loops.
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { batchNormBackwardLoops, batchNormForwardLoops } from "./batch_norm_loops.ts";
import { cpuValues, required } from "./batch_norm_kernels.ts";

/** Forward kernel name (see module docs). */
export const BATCH_NORM_RELU_TRAIN = "KitBatchNormReluTrain";
/** Backward kernel name (see module docs). */
export const BATCH_NORM_RELU_TRAIN_GRAD = "KitBatchNormReluTrainGrad";

/** Arguments tfjs passes to a kernel function. */
type KernelArgs = Parameters<tf.KernelFunc>[0];

type CpuBackend = tf.KernelBackend & {
  makeTensorInfo(
    shape: number[],
    dtype: tf.DataType,
    values: Float32Array | Uint8Array,
  ): tf.TensorInfo;
  data: { get(id: unknown): { values: unknown } };
};

function cpuForward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const name = BATCH_NORM_RELU_TRAIN;
  const x = required(inputs, "x", name);
  const c = x.shape[x.shape.length - 1];
  const get = (k: string) => cpuValues(backend, required(inputs, k, name));
  const eps = (attrs as unknown as { eps: number }).eps;
  const out = batchNormForwardLoops(get("x"), get("gamma"), get("beta"), eps);
  const y = out.y;
  const mask = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) {
    if (y[i] > 0) mask[i] = 1;
    else y[i] = 0;
  }
  const cpu = backend as CpuBackend;
  return [
    cpu.makeTensorInfo([...x.shape], "float32", y),
    cpu.makeTensorInfo([c], "float32", out.mean),
    cpu.makeTensorInfo([c], "float32", out.variance),
    cpu.makeTensorInfo([mask.length], "bool", mask),
  ];
}

function cpuBackward({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const name = BATCH_NORM_RELU_TRAIN_GRAD;
  const x = required(inputs, "x", name);
  const c = x.shape[x.shape.length - 1];
  const get = (k: string) => cpuValues(backend, required(inputs, k, name));
  const cpu = backend as CpuBackend;
  const maskInfo = inputs.mask;
  if (maskInfo === undefined) throw new Error(`${name}: missing input 'mask'; pass it in inputs.`);
  const mask = cpu.data.get(maskInfo.dataId).values;
  const dy = get("dy");
  if (!(mask instanceof Uint8Array) || mask.length !== dy.length) {
    throw new Error(
      `${name}: mask is not the cpu kernel's byte mask of ${dy.length} elements; run the ` +
        `forward and backward kernels on one backend`,
    );
  }
  const masked = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; i++) masked[i] = mask[i] ? dy[i] : 0;
  const zeros = new Float32Array(c);
  const eps = (attrs as unknown as { eps: number }).eps;
  const out = batchNormBackwardLoops(
    get("x"),
    masked,
    get("mean"),
    get("variance"),
    get("gamma"),
    zeros,
    zeros,
    eps,
  );
  return [
    cpu.makeTensorInfo([...x.shape], "float32", out.dx),
    cpu.makeTensorInfo([c], "float32", out.dgamma),
    cpu.makeTensorInfo([c], "float32", out.dbeta),
  ];
}

tf.registerKernel({
  kernelName: BATCH_NORM_RELU_TRAIN,
  backendName: "cpu",
  kernelFunc: cpuForward,
});
tf.registerKernel({
  kernelName: BATCH_NORM_RELU_TRAIN_GRAD,
  backendName: "cpu",
  kernelFunc: cpuBackward,
});
