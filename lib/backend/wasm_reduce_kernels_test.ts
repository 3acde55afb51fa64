import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../rng.ts";
import { leadingAxesCount, registerWasmReduceKernels } from "./wasm_reduce_kernels.ts";

registerWasmReduceKernels();

Deno.test("leadingAxesCount recognises exactly the leading blocks of axes", () => {
  assert.equal(leadingAxesCount([0, 1, 2], 4), 3);
  assert.equal(leadingAxesCount([2, 0, 1], 4), 3);
  assert.equal(leadingAxesCount([0], 2), 1);
  assert.equal(leadingAxesCount([-4, -3], 4), 2);
  assert.equal(leadingAxesCount([1, 2], 4), 0);
  assert.equal(leadingAxesCount([0, 2], 4), 0);
  assert.equal(leadingAxesCount([3], 4), 0);
});

async function reduceOn(
  backend: string,
  op: "sum" | "mean",
  values: Float32Array | Int32Array,
  shape: number[],
  axis: number[],
  keepDims: boolean,
): Promise<{ values: Float32Array | Int32Array; shape: number[]; dtype: string }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const x = tf.tensor(values, shape, values instanceof Int32Array ? "int32" : "float32");
  const y = op === "sum" ? tf.sum(x, axis, keepDims) : tf.mean(x, axis, keepDims);
  const out = {
    values: y.dataSync() as Float32Array | Int32Array,
    shape: y.shape,
    dtype: y.dtype as string,
  };
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, before, `${op} on ${backend} leaked tensors`);
  return out;
}

Deno.test("wasm Sum/Mean match the cpu backend on leading and other axes", async () => {
  const rng = new Rng(21);
  const shapes = [[5, 3, 4, 6], [7, 2], [2, 3, 5], [1, 4, 4, 3]];
  for (const shape of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size).map(() => rng.gaussian());
    const rank = shape.length;
    const axisSets = [[0], [...Array(rank).keys()].slice(0, rank - 1), [...Array(rank).keys()], [
      rank - 1,
    ], [1]];
    for (const axis of axisSets) {
      for (const op of ["sum", "mean"] as const) {
        for (const keepDims of [false, true]) {
          const ref = await reduceOn("cpu", op, values, shape, axis, keepDims);
          const got = await reduceOn("wasm", op, values, shape, axis, keepDims);
          const what = `${op} ${JSON.stringify(shape)} axis ${axis} keepDims ${keepDims}`;
          assert.deepEqual(got.shape, ref.shape, what);
          for (let i = 0; i < ref.values.length; i++) {
            const tol = 1e-4 * Math.max(1, Math.abs(ref.values[i]));
            assert.ok(
              Math.abs(got.values[i] - ref.values[i]) <= tol,
              `${what} [${i}]: ${got.values[i]} vs ${ref.values[i]}`,
            );
          }
        }
      }
    }
  }
});

Deno.test("wasm Sum keeps int32 reductions exact (shipped kernel path)", async () => {
  const values = Int32Array.from({ length: 24 }, (_, i) => i * 7 - 50);
  const ref = await reduceOn("cpu", "sum", values, [4, 6], [0], false);
  const got = await reduceOn("wasm", "sum", values, [4, 6], [0], false);
  assert.equal(got.dtype, "int32");
  assert.deepEqual([...got.values], [...ref.values]);
});
