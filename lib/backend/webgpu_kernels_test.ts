import * as tf from "../tfjs.ts";
import { maxAbsDiff } from "../testing/max_abs_diff.ts";
import assert from "node:assert/strict";
import {
  conv2dFilterGradByTaps,
  reductionGroups,
  registerWebGpuTrainingKernels,
  ROWS_PER_GROUP,
} from "./webgpu_kernels.ts";
import { KernelScope } from "./kernel_scope.ts";
import { probeWebGpu } from "./webgpu_probe.ts";
import { initBackend } from "./select.ts";
import { Rng } from "../rng.ts";

/** A convolution's geometry: x [n, h, w, cin], filter [k, k, cin, cout]. */
interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: "same" | "valid" | number;
}

const CASES: Case[] = [
  { n: 2, h: 8, w: 8, cin: 3, cout: 4, k: 3, stride: 1, pad: "same" },
  { n: 3, h: 9, w: 7, cin: 4, cout: 5, k: 3, stride: 2, pad: "same" },
  { n: 2, h: 8, w: 8, cin: 5, cout: 6, k: 1, stride: 2, pad: "valid" },
  { n: 1, h: 11, w: 10, cin: 3, cout: 2, k: 7, stride: 2, pad: 3 },
  { n: 2, h: 6, w: 6, cin: 2, cout: 3, k: 3, stride: 1, pad: "valid" },
  { n: 2, h: 10, w: 10, cin: 2, cout: 2, k: 4, stride: 3, pad: "same" },
  // Split into groups of images (reductionGroups): 4 groups of 1, then 2 groups of 4.
  { n: 4, h: 32, w: 32, cin: 2, cout: 3, k: 3, stride: 1, pad: "same" },
  { n: 8, h: 16, w: 16, cin: 3, cout: 2, k: 3, stride: 1, pad: "same" },
];

function random(shape: number[], rng: Rng): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.gaussian()), shape);
}

/** Inputs of a case: x and an output gradient dy of the right shape. */
function inputsOf(c: Case, rng: Rng): { x: tf.Tensor4D; dy: tf.Tensor4D } {
  const x = random([c.n, c.h, c.w, c.cin], rng) as tf.Tensor4D;
  const probe = tf.conv2d(x, tf.zeros([c.k, c.k, c.cin, c.cout]), c.stride, c.pad);
  const dy = random(probe.shape, rng) as tf.Tensor4D;
  probe.dispose();
  return { x, dy };
}

Deno.test("the filter gradient as one matrix product per tap equals tfjs's Conv2DBackpropFilter (cpu)", async () => {
  await initBackend({ backend: "cpu", threads: 1 });
  const rng = new Rng(11);
  for (const c of CASES) {
    const { x, dy } = inputsOf(c, rng);
    const filterShape: [number, number, number, number] = [c.k, c.k, c.cin, c.cout];
    const reference = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
      strides: c.stride,
      pad: c.pad,
      dataFormat: "NHWC",
      filterShape,
    }) as tf.Tensor;
    const scope = new KernelScope(tf.backend(), "cpu");
    let got: Float32Array;
    try {
      const out = conv2dFilterGradByTaps(scope, x, dy, {
        strides: c.stride,
        pad: c.pad,
        filterShape,
      });
      assert.deepEqual(out.shape, filterShape);
      got = tf.backend().readSync(out.dataId) as Float32Array;
    } finally {
      scope.dispose();
    }
    const want = await reference.data();
    const scale = Math.max(...Array.from(want, Math.abs));
    assert.ok(
      maxAbsDiff(got, want) <= 1e-5 * Math.max(1, scale),
      `case ${JSON.stringify(c)}: max |diff| ${maxAbsDiff(got, want)}`,
    );
    tf.dispose([x, dy, reference]);
  }
});

Deno.test("the reduction is split into groups of whole images of at least ROWS_PER_GROUP rows", () => {
  assert.equal(ROWS_PER_GROUP, 1024);
  assert.equal(reductionGroups(256, 1024), 256); // 32 x 32 outputs: one image per group
  assert.equal(reductionGroups(256, 256), 64); // 16 x 16: four images per group
  assert.equal(reductionGroups(256, 16), 4); // 4 x 4: 64 images per group
  assert.equal(reductionGroups(6, 64), 1); // no divisor of 6 reaches 1024 rows: one group
  assert.equal(reductionGroups(3, 10), 1);
});

Deno.test("an NCHW call names the layout the webgpu filter gradient supports", async () => {
  await initBackend({ backend: "cpu", threads: 1 });
  const x = tf.zeros([1, 4, 4, 2]);
  const dy = tf.zeros([1, 4, 4, 3]);
  const scope = new KernelScope(tf.backend(), "cpu");
  try {
    assert.throws(
      () =>
        conv2dFilterGradByTaps(scope, x, dy, {
          strides: 1,
          pad: "same",
          filterShape: [3, 3, 2, 3],
          dataFormat: "NCHW",
        }),
      /only NHWC/,
    );
  } finally {
    scope.dispose();
    tf.dispose([x, dy]);
  }
});

const gpu = await probeWebGpu();
const skip = gpu.found ? "" : ` [SKIPPED: ${gpu.detail}; apt-get install mesa-vulkan-drivers]`;

Deno.test({
  name:
    `on webgpu the kit's Conv2DBackpropFilter is registered and matches the cpu gradient${skip}`,
  ignore: !gpu.found,
  fn: async () => {
    const rng = new Rng(12);
    const c = CASES[7]; // two groups of four images
    const { x, dy } = inputsOf(c, rng);
    const xs = await x.data();
    const dys = await dy.data();
    // d/dW of sum(conv2d(x, W) * dy) is the filter gradient of dy.
    const grad = (xIn: tf.Tensor4D, dyIn: tf.Tensor4D) =>
      tf.grad((f: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(xIn, f as tf.Tensor4D, c.stride, c.pad), dyIn))
      )(tf.zeros([c.k, c.k, c.cin, c.cout]));
    const want = await grad(x, dy).data();
    tf.dispose([x, dy]);
    await initBackend({ backend: "webgpu", threads: 1 });
    assert.deepEqual(registerWebGpuTrainingKernels(), [tf.Conv2DBackpropFilter]);
    const xg = tf.tensor4d(xs, [c.n, c.h, c.w, c.cin]);
    const dyg = tf.tensor4d(dys, dy.shape as [number, number, number, number]);
    const got = await grad(xg, dyg).data();
    assert.ok(maxAbsDiff(got, want) < 1e-4, `max |diff| ${maxAbsDiff(got, want)}`);
    tf.dispose([xg, dyg]);
    await initBackend({ backend: "cpu", threads: 1 });
  },
});
