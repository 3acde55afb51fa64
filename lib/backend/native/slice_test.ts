import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { nativeKernelProfile } from "./register.ts";
import { slicePlan } from "./dnnl_kernels/slice.ts";

const status = await nativeForTests("slice_test.ts");

Deno.test("slice plans merge axes taken whole and drop size-1 axes", () => {
  // Columns 1..4096 of [256, 4097]: 256 rows of one run each.
  assert.deepEqual(slicePlan([256, 4097], [0, 1], [256, 4096]), {
    offset: 1,
    dims: [256, 4096],
    strides: [4097, 1],
  });
  // A batch range of NHWC images is one run.
  assert.deepEqual(slicePlan([8, 4, 4, 3], [2, 0, 0, 0], [3, 4, 4, 3]), {
    offset: 96,
    dims: [144],
    strides: [1],
  });
  // One channel of NHWC: every element on its own (stride C).
  assert.deepEqual(slicePlan([2, 4, 4, 3], [0, 0, 0, 1], [2, 4, 4, 1]), {
    offset: 1,
    dims: [32],
    strides: [3],
  });
});

Deno.test({
  name: "native slice and split match the cpu kernels bit for bit",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(11);
    nativeKernelProfile(true);
    const splits: [number[], number[], number][] = [
      [[256, 4097], [1, 4096], 1], // MoCo logits [positive | queue]
      [[64, 9, 10], [3, 5, 2], 2],
      [[16, 12, 8, 3], [4, 8], 1],
      [[100, 32], [10, 90], 0], // leading axis: the cpu kernel's views
    ];
    for (const [shape, sizes, axis] of splits) {
      const diff = await nativeVsCpu([gaussian(rng, shape)], (x) => tf.split(x, sizes, axis));
      assert(diff === 0, `split [${shape}] into ${sizes} on axis ${axis}: differs by ${diff}`);
    }
    const slices: [number[], number[], number[]][] = [
      [[16, 16, 16, 3], [1, 2, 3, 0], [15, 10, 11, 3]],
      [[16, 16, 16, 3], [0, 0, 0, 2], [16, 16, 16, 1]],
      [[40, 300], [3, 7], [30, 200]],
    ];
    for (const [shape, begin, size] of slices) {
      const diff = await nativeVsCpu([gaussian(rng, shape)], (x) => tf.slice(x, begin, size));
      assert(diff === 0, `slice [${shape}] at [${begin}] size [${size}]: differs by ${diff}`);
    }
    const prof = nativeKernelProfile(false);
    assert((prof.get("SplitV")?.calls ?? 0) >= 3, "the native split never ran");
    assert((prof.get("Slice")?.calls ?? 0) >= 3, "the native slice never ran");
  },
});

Deno.test({
  name: "the gradient of a concatenation on the last axis (a split) matches the cpu kernels",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(12);
    const diff = await nativeVsCpu(
      [gaussian(rng, [128, 1]), gaussian(rng, [128, 2048]), gaussian(rng, [128, 2049])],
      (pos, neg, w) => {
        const f = (p: tf.Tensor, n: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, n], 1), w));
        return tf.grads(f)([pos, neg]);
      },
    );
    assert(diff === 0, `concat gradient differs by ${diff}`);
  },
});
