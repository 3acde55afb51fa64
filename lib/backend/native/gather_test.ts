import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu, runOn } from "./cpu_reference.ts";
import { NATIVE_BACKEND, nativeKernelProfile } from "./register.ts";

const status = await nativeForTests("gather_test.ts");

Deno.test({
  name: "native gather matches the cpu kernel bit for bit on every axis",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(51);
    nativeKernelProfile(true);
    const cases: [number[], number[], number[], number][] = [
      // A [N, 7, 7, 1] grid mask upsampled to 32 rows (axis 1), then 32 columns (axis 2).
      [[256, 7, 7, 1], Array.from({ length: 32 }, (_, y) => Math.floor((y * 7) / 32)), [32], 1],
      [[256, 32, 7, 1], Array.from({ length: 32 }, (_, x) => Math.floor((x * 7) / 32)), [32], 2],
      [[50, 640], [3, 3, 0, 49, 7, 7], [2, 3], 0], // 2-D indices, repeats, long rows
      [[100, 20, 30], [19, 0, 5], [3], 1],
    ];
    for (const [shape, idx, idxShape, axis] of cases) {
      const diff = await nativeVsCpu(
        [gaussian(rng, shape)],
        (x) => tf.gather(x, tf.tensor(Int32Array.from(idx), idxShape, "int32"), axis),
      );
      assert(diff === 0, `gather [${shape}] axis ${axis}: native differs by ${diff}`);
    }
    const calls = nativeKernelProfile(false).get("GatherV2")?.calls ?? 0;
    assert(calls >= 4, `the native gather ran ${calls} times`);
  },
});

Deno.test({
  name: "a gather index outside the axis still fails with the cpu kernel's message",
  ignore: !status.available,
  fn: async () => {
    await assert.rejects(
      () =>
        runOn(
          NATIVE_BACKEND,
          [{ values: new Float32Array(4096), shape: [64, 64] }],
          (x) => tf.gather(x, tf.tensor1d([0, 64], "int32"), 0),
        ),
      /not in \[0, 63\]/,
    );
  },
});
