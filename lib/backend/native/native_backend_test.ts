import assert, { deepEqual } from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests } from "./cpu_reference.ts";
import { NATIVE_BACKEND } from "./register.ts";

const status = await nativeForTests("native_backend_test.ts");

/** A test that runs only where the native backend is available. */
function nativeTest(name: string, fn: () => void | Promise<void>): void {
  Deno.test({ name, ignore: !status.available, fn });
}

async function onNative<T>(f: () => T): Promise<T> {
  await tf.setBackend(NATIVE_BACKEND);
  return f();
}

/** Runs `f` on the native backend with `t`, seeded N(0,1) values of `shape` (disposed after). */
async function withNativeTensor(
  seed: number,
  shape: number[],
  f: (t: tf.Tensor) => void,
): Promise<void> {
  const x = gaussian(new Rng(seed), shape);
  await onNative(() => {
    const t = tf.tensor(x.values, x.shape);
    f(t);
    t.dispose();
  });
}

/** Runs native kernels on `t` whose outputs are freed at once, so pooled buffers get reused. */
function reusePool(t: tf.Tensor): void {
  for (let i = 0; i < 4; i++) tf.tidy(() => tf.neg(tf.relu(t)).dataSync());
}

nativeTest(
  "pooled buffers: values read with dataSync survive dispose and later kernels",
  () =>
    withNativeTensor(12, [64, 256], (t) => {
      const y = tf.relu(t);
      const read = y.dataSync();
      const copy = Float32Array.from(read);
      y.dispose();
      reusePool(t);
      deepEqual(read, copy);
    }),
);

nativeTest(
  "pooled buffers: slices (views) of a native output keep their values",
  () =>
    withNativeTensor(13, [64, 128], (t) => {
      const y = tf.relu(t);
      const [a, b] = tf.split(y, 2, 0);
      const expectA = Float32Array.from(a.dataSync());
      y.dispose();
      reusePool(t);
      deepEqual(a.dataSync(), expectA);
      tf.dispose([a, b]);
    }),
);

nativeTest("native kernels leak no tensors", async () => {
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
});

nativeTest("every cpu kernel is also registered for the native backend", () => {
  const missing = tf.getKernelsForBackend("cpu")
    .filter((k) => tf.getKernel(k.kernelName, NATIVE_BACKEND) === undefined)
    .map((k) => k.kernelName);
  deepEqual(missing, []);
});
