import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { batchNormReluTrain } from "./batch_norm_relu_op.ts";
import { BN_RELU_SHAPES, bnReluOutputs, firstDifference } from "../testing/bn_relu_fixture.ts";
import { BatchNorm } from "./layers.ts";
import { ParamStore } from "./params.ts";

Deno.test("batchNormReluTrain (cpu kernels) gives the bits of batch norm then ReLU, forward and gradients", async () => {
  await tf.setBackend("cpu");
  for (const shape of BN_RELU_SHAPES) {
    const fused = bnReluOutputs(shape, true, 7);
    const plain = bnReluOutputs(shape, false, 7);
    assert.ok(fused.fused, "the cpu backend has the fused kernels");
    assert.ok(!plain.fused, "switched off");
    const names = ["y", "mean", "variance", "dx", "dgamma", "dbeta"];
    fused.values.forEach((v, k) => {
      const at = firstDifference(v, plain.values[k]);
      assert.equal(
        at,
        -1,
        `[${shape}] ${names[k]} differs at ${at}: ${v[at]} vs ${plain.values[k][at]}`,
      );
    });
    assert.ok(fused.values[0].some((v) => v === 0) && fused.values[0].some((v) => v > 0));
  }
});

Deno.test("BatchNorm.applyRelu: relu(apply(x)) in both modes, with the same running statistics", async () => {
  await tf.setBackend("cpu");
  const x = tf.randomNormal([8, 4, 4, 6], 0, 2, "float32", 3);
  const a = new BatchNorm(new ParamStore(1), "a", 6);
  const b = new BatchNorm(new ParamStore(1), "b", 6);
  for (const training of [true, false]) {
    const fused = a.applyRelu(x, { training });
    const plain = tf.relu(b.apply(x, { training }));
    assert.deepEqual(fused.arraySync(), plain.arraySync(), `training ${training}`);
    tf.dispose([fused, plain]);
  }
  assert.deepEqual(a.runningMean.arraySync(), b.runningMean.arraySync());
  assert.deepEqual(a.runningVar.arraySync(), b.runningVar.arraySync());
  x.dispose();
});

Deno.test("batchNormReluTrain names the bad argument like batchNormTrain", async () => {
  await tf.setBackend("cpu");
  const x = tf.zeros([4, 3]);
  assert.throws(
    () => batchNormReluTrain(x, tf.ones([2]), tf.zeros([3])),
    /batchNormReluTrain: gamma has shape \[2\] but x has 3 channels/,
  );
  assert.throws(
    () => batchNormReluTrain(tf.zeros([3]), tf.ones([3]), tf.zeros([3])),
    /batchNormReluTrain: x has shape \[3\]; it needs rank >= 2/,
  );
});
