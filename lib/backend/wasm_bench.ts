/**
 * Benchmark and kernel audit for training on the wasm backend.
 *
 * Trains a small CIFAR-style ResNet (conv + batch-norm built from tf ops + relu + residual
 * add + global mean pool + dense) with `tf.variableGrads`, lists the time per kernel of one
 * step (`tf.profile`), and times conv forward / backward for N=128, 32x32, 32->32 3x3.
 *
 * Run: `deno run -A lib/backend/wasm_bench.ts [--backend wasm|cpu] [--batch 128]
 * [--steps 3] [--threads N] [--profile] [--conv]`
 *
 * @module
 */

import * as tf from "../tfjs.ts";
import { profileKernels } from "./kernel_profile.ts";
import { Rng } from "../rng.ts";
import { initBackend } from "./select.ts";

type Params = Record<string, tf.Variable>;

function heInit(rng: Rng, shape: number[], fanIn: number): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(size);
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < size; i++) v[i] = rng.gaussian() * std;
  return tf.variable(tf.tensor(v, shape));
}

/** Parameters of the benchmark ResNet: stem 3->w, block(w), down block (w->2w, stride 2). */
function makeParams(rng: Rng, width: number): Params {
  const p: Params = {};
  const conv = (name: string, k: number, cin: number, cout: number) => {
    p[`${name}.w`] = heInit(rng, [k, k, cin, cout], k * k * cin);
    p[`${name}.g`] = tf.variable(tf.ones([cout]));
    p[`${name}.b`] = tf.variable(tf.zeros([cout]));
  };
  conv("stem", 3, 3, width);
  conv("b1a", 3, width, width);
  conv("b1b", 3, width, width);
  conv("b2a", 3, width, 2 * width);
  conv("b2b", 3, 2 * width, 2 * width);
  conv("b2s", 1, width, 2 * width);
  p["fc.w"] = heInit(rng, [2 * width, 10], 2 * width);
  p["fc.b"] = tf.variable(tf.zeros([10]));
  return p;
}

/** conv -> batch norm (batch statistics, from tf.moments) ; x [N,H,W,C]. */
function convBn(p: Params, name: string, x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const y = tf.conv2d(x, p[`${name}.w`] as tf.Tensor4D, stride, "same");
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  const norm = tf.mul(tf.sub(y, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(norm, p[`${name}.g`]), p[`${name}.b`]) as tf.Tensor4D;
}

function forward(p: Params, x: tf.Tensor4D): tf.Tensor2D {
  const h0 = tf.relu(convBn(p, "stem", x, 1));
  const h1 = tf.relu(
    tf.add(h0, convBn(p, "b1b", tf.relu(convBn(p, "b1a", h0, 1)), 1)),
  ) as tf.Tensor4D;
  const main = convBn(p, "b2b", tf.relu(convBn(p, "b2a", h1, 2)), 1);
  const h2 = tf.relu(tf.add(main, convBn(p, "b2s", h1, 2)));
  const pooled = tf.mean(h2, [1, 2]) as tf.Tensor2D;
  return tf.add(tf.matMul(pooled, p["fc.w"] as tf.Tensor2D), p["fc.b"]) as tf.Tensor2D;
}

/** One SGD step; returns the loss. */
function trainStep(p: Params, x: tf.Tensor4D, y: tf.Tensor2D, lr: number): number {
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, forward(p, x)) as tf.Scalar,
  );
  tf.tidy(() => {
    for (const [name, g] of Object.entries(grads)) {
      const v = Object.values(p).find((q) => q.name === name);
      if (v) v.assign(tf.sub(v, tf.mul(g, lr)));
    }
  });
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < Deno.args.length ? Deno.args[i + 1] : fallback;
}

async function main(): Promise<void> {
  const backend = arg("backend", "wasm") as "wasm" | "cpu";
  const threads = Deno.args.includes("--threads") ? Number(arg("threads", "1")) : undefined;
  const info = await initBackend({ backend, threads, log: (m) => console.log(m) });
  console.log(JSON.stringify(info));
  const batch = Number(arg("batch", "128"));
  const steps = Number(arg("steps", "3"));
  const rng = new Rng(1);

  if (Deno.args.includes("--conv")) {
    const x = heInit(rng, [128, 32, 32, 32], 1);
    const f = heInit(rng, [3, 3, 32, 32], 288);
    const time = (label: string, fn: () => tf.Tensor, reps = 3) => {
      tf.dispose(fn()); // warm-up
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) {
        const out = fn();
        out.dataSync();
        out.dispose();
      }
      console.log(`${label}: ${((performance.now() - t0) / reps).toFixed(1)} ms`);
    };
    const dy = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same");
    time(
      "conv2d fwd N128 32x32 32->32",
      () => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, "same"),
    );
    time(
      "Conv2DBackpropInput",
      () =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: f }, {
          strides: 1,
          pad: "same",
          dataFormat: "NHWC",
          inputShape: x.shape,
        }) as tf.Tensor,
    );
    time("Conv2DBackpropFilter", () =>
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: 1,
        pad: "same",
        dataFormat: "NHWC",
        filterShape: f.shape,
      }) as tf.Tensor);
    tf.dispose([x, f, dy]);
  }

  const p = makeParams(rng, 32);
  const xs = tf.randomNormal([batch, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
  const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32", 8) as tf.Tensor1D, 10)
    .toFloat() as tf.Tensor2D;
  trainStep(p, xs, labels, 0.05); // warm-up (operator creation)
  if (Deno.args.includes("--profile")) {
    const rows = await profileKernels(() => trainStep(p, xs, labels, 0.05));
    for (const r of rows) {
      console.log(`${r.kernel.padEnd(28)} ${r.ms.toFixed(1).padStart(9)} ms  x${r.calls}`);
    }
  }
  const before = tf.memory().numTensors;
  const t0 = performance.now();
  let loss = 0;
  for (let s = 0; s < steps; s++) loss = trainStep(p, xs, labels, 0.05);
  const sec = (performance.now() - t0) / 1000;
  console.log(
    `train ${info.name} threads=${info.threads} batch=${batch}: ` +
      `${((steps * batch) / sec).toFixed(1)} img/s (${(sec / steps).toFixed(2)} s/step), ` +
      `loss ${loss.toFixed(3)}, tensor leak ${tf.memory().numTensors - before}`,
  );
}

if (import.meta.main) await main();
