import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { nativeForTests, runOn } from "./cpu_reference.ts";
import { nativeKernelProfile } from "./register.ts";
import { RELU_GRAD, reluGradLoop } from "./relu_grad.ts";
import { NATIVE_BACKEND } from "./backend_name.ts";

const status = await nativeForTests("relu_grad_test.ts");

/** Values with exact zeros, negatives and positives (a third each, shuffled by the seed). */
function mixedSigns(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const k = rng.int(3);
    return k === 0 ? 0 : k === 1 ? -rng.uniform(0.01, 1) : rng.uniform(0.01, 1);
  });
}

const gradOfRelu = (x: tf.Tensor, w: tf.Tensor) =>
  tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), w)))(x);

Deno.test("reluGradLoop passes dy where x > 0 and gives 0 at 0, below 0 and at NaN", () => {
  const x = Float32Array.of(-1, 0, 2, NaN, 1e-30);
  const dy = Float32Array.of(5, 6, 7, 8, 9);
  const dx = new Float32Array(5);
  reluGradLoop(dy, x, dx);
  assert.deepEqual([...dx], [0, 0, 7, 0, 9]);
});

Deno.test({
  name: "native relu gradient (KitReluGrad) equals tfjs's stock gradient on cpu, zeros included",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(11);
    // Large (oneDNN eltwise backward) and small (the cpu loop the native kernel falls back to).
    const cases: [number[], string][] = [
      [[16, 12, 12, 8], RELU_GRAD],
      [[3, 5], `${RELU_GRAD} (declined)`],
    ];
    for (const [shape, profiled] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const inputs = [
        { values: mixedSigns(rng, n), shape },
        { values: Float32Array.from({ length: n }, () => rng.gaussian()), shape },
      ];
      const [ref] = await runOn("cpu", inputs, gradOfRelu);
      nativeKernelProfile(true);
      const [got] = await runOn(NATIVE_BACKEND, inputs, gradOfRelu);
      const calls = nativeKernelProfile(false);
      // Equal values; the stock dy * 0 may be -0 where the kernel writes 0 (`+ 0` maps -0 to 0).
      const plain = (a: Float32Array) => Array.from(a, (v) => v + 0);
      assert.deepEqual(plain(got), plain(ref), `[${shape}]: gradients differ`);
      assert.equal(calls.get(profiled)?.calls, 1, `[${shape}]: no call of ${profiled}`);
      assert.equal(calls.get(tf.Step), undefined, `[${shape}]: the stock Step mask still ran`);
    }
  },
});

Deno.test({
  name: "KitReluGrad names both shapes when dy and x differ",
  fn: async () => {
    await tf.setBackend("cpu");
    const dy = tf.ones([2, 3]);
    const x = tf.ones([3, 2]);
    assert.throws(() => tf.engine().runKernel(RELU_GRAD, { dy, x }), /\[2,3\].*\[3,2\]/);
    tf.dispose([dy, x]);
  },
});
