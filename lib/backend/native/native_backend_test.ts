import assert, { deepEqual } from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests } from "./cpu_reference.ts";
import { NATIVE_BACKEND } from "./register.ts";

const status = await nativeForTests("native_backend_test.ts");

async function onNative<T>(f: () => T): Promise<T> {
  await tf.setBackend(NATIVE_BACKEND);
  return f();
}

Deno.test({
  name: "pooled buffers: values read with dataSync survive dispose and later kernels",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(12);
    const x = gaussian(rng, [64, 256]);
    await onNative(() => {
      const t = tf.tensor(x.values, x.shape);
      const y = tf.relu(t);
      const read = y.dataSync();
      const copy = Float32Array.from(read);
      y.dispose();
      for (let i = 0; i < 4; i++) tf.tidy(() => tf.neg(tf.relu(t)).dataSync());
      deepEqual(read, copy);
      t.dispose();
    });
  },
});

Deno.test({
  name: "pooled buffers: slices (views) of a native output keep their values",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(13);
    const x = gaussian(rng, [64, 128]);
    await onNative(() => {
      const t = tf.tensor(x.values, x.shape);
      const y = tf.relu(t);
      const [a, b] = tf.split(y, 2, 0);
      const expectA = Float32Array.from(a.dataSync());
      y.dispose();
      for (let i = 0; i < 4; i++) tf.tidy(() => tf.neg(tf.relu(t)));
      deepEqual(a.dataSync(), expectA);
      tf.dispose([a, b, t]);
    });
  },
});

Deno.test({
  name: "native kernels leak no tensors",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(14);
    const x = gaussian(rng, [16, 8, 8, 8]);
    const w = gaussian(rng, [3, 3, 8, 8]);
    await onNative(() => {
      const xt = tf.tensor4d(x.values, x.shape as [number, number, number, number]);
      const wt = tf.tensor4d(w.values, w.shape as [number, number, number, number]);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.mean(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same")))
        )([xt, wt]);
      });
      assert(tf.memory().numTensors === before, "tensor count changed");
      tf.dispose([xt, wt]);
    });
  },
});

Deno.test({
  name: "every cpu kernel is also registered for the native backend",
  ignore: !status.available,
  fn: () => {
    const missing = tf.getKernelsForBackend("cpu")
      .filter((k) => tf.getKernel(k.kernelName, NATIVE_BACKEND) === undefined)
      .map((k) => k.kernelName);
    deepEqual(missing, []);
  },
});
