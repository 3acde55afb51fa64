import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { mergedTranspose, stridedCopy } from "./dnnl_kernels/transpose.ts";

const status = await nativeForTests("transpose_test.ts");

Deno.test("transpose plans merge axes that stay adjacent and in order", () => {
  // [N, T, H] -> [T, N, H]: nothing merges, rows of H are contiguous (stride 1).
  assert.deepEqual(mergedTranspose([512, 16, 128], [1, 0, 2]), {
    dims: [16, 512, 128],
    strides: [128, 2048, 1],
  });
  // NHWC -> NCHW: H and W stay adjacent, so they merge.
  assert.deepEqual(mergedTranspose([2, 4, 5, 3], [0, 3, 1, 2]), {
    dims: [2, 3, 20],
    strides: [60, 1, 3],
  });
  // The identity is one contiguous run; size-1 axes drop out.
  assert.deepEqual(mergedTranspose([2, 3, 4], [0, 1, 2]), { dims: [24], strides: [1] });
  assert.deepEqual(mergedTranspose([1, 3, 1, 4], [2, 3, 0, 1]), {
    dims: [4, 3],
    strides: [1, 4],
  });
});

Deno.test("the strided copy writes every element of a transpose in order", () => {
  const src = Float32Array.from({ length: 24 }, (_, i) => i);
  const out = new Float32Array(24).fill(NaN);
  const { dims, strides } = mergedTranspose([2, 3, 4], [2, 0, 1]);
  stridedCopy(src, out, dims, strides);
  // out[k, i, j] = src[i, j, k]
  const want: number[] = [];
  for (let k = 0; k < 4; k++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        want.push(i * 12 + j * 4 + k);
      }
    }
  }
  assert.deepEqual(Array.from(out), want);
});

Deno.test({
  name: "native transpose and its gradient equal the cpu kernels for every kind of permutation",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(9);
    const cases: [number[], number[]][] = [
      [[512, 16, 8], [1, 0, 2]], // the GRU's batch-major <-> time-major swap
      [[8, 6, 5, 7], [0, 3, 1, 2]], // NHWC -> NCHW
      [[8, 6, 5, 7], [0, 2, 3, 1]], // NCHW -> NHWC
      [[40, 70], [1, 0]],
      [[4, 1, 9, 64], [2, 1, 0, 3]], // a size-1 axis
      [[3, 4, 5, 6, 7], [4, 2, 0, 3, 1]],
      [[64, 40], [0, 1]], // identity
    ];
    for (const [shape, perm] of cases) {
      const diff = await nativeVsCpu([gaussian(rng, shape)], (x) => {
        const f = (p: tf.Tensor) => tf.sum(tf.mul(tf.transpose(p, perm), tf.transpose(p, perm)));
        return [tf.transpose(x, perm), tf.grad(f)(x)];
      });
      assert(diff === 0, `transpose [${shape}] by [${perm}]: native differs by ${diff}`);
    }
  },
});
