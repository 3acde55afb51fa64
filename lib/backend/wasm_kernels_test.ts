import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../rng.ts";
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from "./wasm_kernels.ts";

type Pad = "same" | "valid" | [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
];

/** One convolution geometry: x [n,h,w,cin], filter [k,k,cin,cout] (or [k,k,cin,mult]). */
interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: number | [number, number];
  pad: Pad;
}

/** Values of one tensor and its shape. */
interface Data {
  values: Float32Array;
  shape: number[];
}

function randomValues(rng: Rng, size: number): Float32Array {
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = rng.gaussian();
  return v;
}

function randomData(rng: Rng, shape: number[]): Data {
  return { values: randomValues(rng, shape.reduce((a, b) => a * b, 1)), shape };
}

/** Runs `kernel` on `backend` with fresh tensors from `data` and returns the output values. */
async function runOn(
  backend: string,
  kernel: string,
  data: Record<string, Data>,
  attrs: tf.NamedAttrMap,
): Promise<Data> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const inputs: tf.NamedTensorMap = {};
  for (const [name, d] of Object.entries(data)) inputs[name] = tf.tensor(d.values, d.shape);
  const out = tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor;
  const values = out.dataSync() as Float32Array;
  const shape = out.shape;
  out.dispose();
  for (const t of Object.values(inputs)) t.dispose();
  assert.equal(tf.memory().numTensors, before, `${kernel} on ${backend} leaked tensors`);
  return { values, shape };
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (err > 1e-4 * Math.max(scale, 1)) {
      assert.fail(
        `${what}: element ${i}: wasm ${actual[i]} vs cpu ${expected[i]} (scale ${scale})`,
      );
    }
  }
}

/**
 * The tensor shapes of a case: x [n,h,w,cin], filter [kh,kw,cin,cout] and dy, the forward
 * output's shape [n,ho,wo,cout] (depthwise: `cout` is the multiplier M, dy has cin*M channels).
 */
function shapes(c: Case, depthwise: boolean): { x: number[]; filter: number[]; dy: number[] } {
  const x: [number, number, number, number] = [c.n, c.h, c.w, c.cin];
  const filter: [number, number, number, number] = [c.kh, c.kw, c.cin, c.cout];
  const info = tf.backend_util.computeConv2DInfo(
    x,
    filter,
    c.stride,
    1,
    c.pad,
    undefined,
    depthwise,
  );
  return { x, filter, dy: [c.n, info.outHeight, info.outWidth, info.outChannels] };
}

const CASES: Case[] = [
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, kh: 3, kw: 3, stride: 1, pad: "same" },
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, kh: 3, kw: 3, stride: 2, pad: "same" },
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, kh: 3, kw: 3, stride: 1, pad: "valid" },
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, kh: 3, kw: 3, stride: 2, pad: "valid" },
  { n: 1, h: 7, w: 9, cin: 2, cout: 5, kh: 3, kw: 3, stride: 2, pad: "same" }, // odd, non-square
  { n: 1, h: 7, w: 5, cin: 4, cout: 3, kh: 3, kw: 3, stride: 2, pad: "valid" },
  { n: 3, h: 6, w: 6, cin: 4, cout: 6, kh: 1, kw: 1, stride: 1, pad: "same" }, // 1x1
  { n: 2, h: 7, w: 7, cin: 4, cout: 6, kh: 1, kw: 1, stride: 2, pad: "valid" }, // 1x1 stride 2
  { n: 2, h: 9, w: 6, cin: 3, cout: 2, kh: 5, kw: 3, stride: [2, 1], pad: "same" },
  { n: 2, h: 6, w: 5, cin: 2, cout: 3, kh: 3, kw: 2, stride: 1, pad: "valid" },
  {
    n: 2,
    h: 6,
    w: 7,
    cin: 3,
    cout: 2,
    kh: 3,
    kw: 3,
    stride: 2,
    pad: [[0, 0], [2, 0], [1, 3], [0, 0]], // explicit, asymmetric, larger than k-1
  },
  { n: 1, h: 1, w: 1, cin: 3, cout: 2, kh: 1, kw: 1, stride: 1, pad: "valid" }, // 1x1 image
];

function describe(c: Case): string {
  return `x[${c.n},${c.h},${c.w},${c.cin}] k${c.kh}x${c.kw}->${c.cout} s${c.stride} ${
    JSON.stringify(c.pad)
  }`;
}

// The kernels are registered once; each test checks wasm against the cpu reference kernel.
registerWasmTrainingKernels();

Deno.test("registerWasmTrainingKernels installs every listed kernel for wasm, idempotently", () => {
  const names = registerWasmTrainingKernels();
  assert.deepEqual([...names].sort(), [...WASM_TRAINING_KERNELS].sort());
  for (const name of names) assert.ok(tf.getKernel(name, "wasm") !== undefined, name);
});

/**
 * Checks a gradient kernel on wasm against the cpu kernel over `cases`: `kernel` is an input
 * gradient (dy, filter -> dx [n,h,w,cin]) or a filter gradient (x, dy -> dW [kh,kw,cin,cout]),
 * of a convolution or, with `depthwise`, a depthwise convolution.
 */
async function checkGradient(
  kernel: string,
  grad: "input" | "filter",
  depthwise: boolean,
  cases: Case[],
  seed: number,
): Promise<void> {
  const rng = new Rng(seed);
  for (const c of cases) {
    const s = shapes(c, depthwise);
    const window: tf.NamedAttrMap = depthwise
      ? { strides: c.stride, pad: c.pad, dilations: 1 }
      : { strides: c.stride, pad: c.pad, dataFormat: "NHWC" };
    const data: Record<string, Data> = grad === "input"
      ? { dy: randomData(rng, s.dy), filter: randomData(rng, s.filter) }
      : { x: randomData(rng, s.x), dy: randomData(rng, s.dy) };
    const attrs: tf.NamedAttrMap = grad === "input"
      ? { ...window, inputShape: s.x }
      : { ...window, filterShape: s.filter };
    const ref = await runOn("cpu", kernel, data, attrs);
    const got = await runOn("wasm", kernel, data, attrs);
    assert.deepEqual(got.shape, grad === "input" ? s.x : s.filter, describe(c));
    assertClose(got.values, ref.values, `${kernel} ${describe(c)}`);
  }
}

Deno.test("Conv2DBackpropInput on wasm matches the cpu kernel", () =>
  checkGradient(tf.Conv2DBackpropInput, "input", false, CASES, 11));

Deno.test("Conv2DBackpropFilter on wasm matches the cpu kernel", () =>
  checkGradient(tf.Conv2DBackpropFilter, "filter", false, CASES, 12));

// For depthwise cases `cout` is the channel multiplier M; cover M = 1 and M > 1.
const DEPTHWISE_CASES: Case[] = CASES.map((c, i) => ({ ...c, cout: i % 2 === 0 ? 1 : 2 }));

Deno.test("DepthwiseConv2dNativeBackpropInput on wasm matches the cpu kernel", () =>
  checkGradient(tf.DepthwiseConv2dNativeBackpropInput, "input", true, DEPTHWISE_CASES, 13));

Deno.test("DepthwiseConv2dNativeBackpropFilter on wasm matches the cpu kernel", () =>
  checkGradient(tf.DepthwiseConv2dNativeBackpropFilter, "filter", true, DEPTHWISE_CASES, 14));

Deno.test("gradients of conv2d through tf.grads agree between wasm and cpu", async () => {
  // End-to-end: the engine's conv2d gradient dispatches to the patched kernels.
  const rng = new Rng(15);
  const x = randomValues(rng, 2 * 9 * 9 * 3);
  const f = randomValues(rng, 3 * 3 * 3 * 4);
  const grads = async (backend: string) => {
    await tf.setBackend(backend);
    const xt = tf.tensor4d(x, [2, 9, 9, 3]);
    const ft = tf.tensor4d(f, [3, 3, 3, 4]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")))
    );
    const [gx, gf] = g([xt, ft]);
    const out = [gx.dataSync() as Float32Array, gf.dataSync() as Float32Array];
    tf.dispose([xt, ft, gx, gf]);
    return out;
  };
  const ref = await grads("cpu");
  const got = await grads("wasm");
  assertClose(got[0], ref[0], "d/dx");
  assertClose(got[1], ref[1], "d/dfilter");
});

Deno.test("the wasm training kernels reject NCHW with a message naming the fix", async () => {
  await tf.setBackend("wasm");
  const dy = tf.zeros([1, 4, 4, 2]);
  const filter = tf.zeros([3, 3, 2, 2]);
  assert.throws(
    () =>
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
        strides: 1,
        pad: "same",
        dataFormat: "NCHW",
        inputShape: [1, 4, 4, 2],
      }),
    /use NHWC/,
  );
  tf.dispose([dy, filter]);
});
