/**
 * Test support for the native kernels: runs the same tfjs computation on the stock `cpu`
 * backend (the reference) and on `native`, and measures how far apart the results are.
 *
 * @module
 */

import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { NATIVE_BACKEND, type NativeBackendStatus, registerNativeBackend } from "./register.ts";

/** Registers the native backend; logs a visible SKIP line when it is unavailable. */
export async function nativeForTests(file: string): Promise<NativeBackendStatus> {
  const st = await registerNativeBackend({ threads: 2 });
  if (!st.available) console.warn(`SKIP ${file}: native backend unavailable: ${st.reason}`);
  return st;
}

/** Seeded N(0,1) values of `shape`. */
export function gaussian(rng: Rng, shape: number[]): { values: Float32Array; shape: number[] } {
  const n = shape.reduce((a, b) => a * b, 1);
  return { values: Float32Array.from({ length: n }, () => rng.gaussian()), shape };
}

/**
 * Runs `f` on fresh tensors built from `inputs` on backend `name` (which stays active) and
 * returns every output's values.
 */
export async function runOn(
  name: string,
  inputs: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape, "float32"));
    const out = f(...xs);
    return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync()));
  });
}

/** Largest |a - b| / (1 + |b|) over the elements (Infinity on a length mismatch or NaN). */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/**
 * Runs `f` on cpu and native with the same inputs; returns the worst relative difference over
 * all outputs.
 */
export async function nativeVsCpu(
  inputs: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<number> {
  const ref = await runOn("cpu", inputs, f);
  const got = await runOn(NATIVE_BACKEND, inputs, f);
  if (ref.length !== got.length) return Infinity;
  return Math.max(...ref.map((r, i) => maxRelDiff(got[i], r)));
}
