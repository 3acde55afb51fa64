import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { NATIVE_BACKEND } from "./register.ts";
import { nativeForTests } from "./cpu_reference.ts";
import { nativeKernelProfile } from "./register.ts";
import { BN_RELU_SHAPES, bnReluOutputs, firstDifference } from "../../testing/bn_relu_fixture.ts";

const status = await nativeForTests("batch_norm_relu_test.ts");

Deno.test({
  name:
    "native batch norm + ReLU (oneDNN fuse_norm_relu) gives the bits of native batch norm then ReLU",
  ignore: !status.available,
  fn: async () => {
    await tf.setBackend(NATIVE_BACKEND);
    nativeKernelProfile(true);
    for (const shape of BN_RELU_SHAPES) {
      for (const seed of [1, 2]) {
        const fused = bnReluOutputs(shape, true, seed);
        const plain = bnReluOutputs(shape, false, seed);
        assert.ok(!plain.fused);
        assert.equal(fused.fused, shape[shape.length - 1] !== 4, `[${shape}] fused`);
        const names = ["y", "mean", "variance", "dx", "dgamma", "dbeta"];
        fused.values.forEach((v, k) => {
          const at = firstDifference(v, plain.values[k]);
          assert.equal(
            at,
            -1,
            `[${shape}] seed ${seed}: ${names[k]} differs at ${at}: ${v[at]} vs ${
              plain.values[k][at]
            }`,
          );
        });
      }
    }
    // oneDNN ran both fused kernels (the rank-3 shape is below the native size: cpu loops).
    const prof = nativeKernelProfile(false);
    assert((prof.get("KitBatchNormReluTrain")?.calls ?? 0) > 0, "native forward never ran");
    assert((prof.get("KitBatchNormReluTrainGrad")?.calls ?? 0) > 0, "native backward never ran");
  },
});
