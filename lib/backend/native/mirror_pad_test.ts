import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { nativeKernelProfile } from "./register.ts";
import { mirrorIndex } from "./dnnl_kernels/mirror_pad.ts";

const status = await nativeForTests("mirror_pad_test.ts");

Deno.test("mirror indices reflect without (reflect) or with (symmetric) the edge", () => {
  // Axis of 4 padded by 2 on each side.
  const reflect = Array.from({ length: 8 }, (_, o) => mirrorIndex(o, 2, 4, false));
  const symmetric = Array.from({ length: 8 }, (_, o) => mirrorIndex(o, 2, 4, true));
  assert.deepEqual(reflect, [2, 1, 0, 1, 2, 3, 2, 1]);
  assert.deepEqual(symmetric, [1, 0, 0, 1, 2, 3, 3, 2]);
});

Deno.test({
  name: "native mirror padding matches the cpu kernel bit for bit",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(21);
    nativeKernelProfile(true);
    const cases: [number[], [number, number][]][] = [
      [[1, 32, 32, 96], [[0, 0], [2, 2], [2, 2], [0, 0]]], // a blur's reflect padding
      [[64, 32, 32, 3], [[0, 0], [1, 1], [1, 1], [0, 0]]], // the same on NHWC views
      [[70, 40], [[0, 0], [0, 0]]], // nothing to pad
      [[4, 9, 7, 3], [[0, 0], [3, 1], [0, 4], [1, 2]]], // every axis, the channels too
      [[3000], [[5, 7]]],
      [[60, 50], [[1, 0], [0, 3]]],
    ];
    for (const [shape, pads] of cases) {
      for (const mode of ["reflect", "symmetric"] as const) {
        const diff = await nativeVsCpu([gaussian(rng, shape)], (x) => tf.mirrorPad(x, pads, mode));
        assert(diff === 0, `mirrorPad [${shape}] by ${JSON.stringify(pads)} ${mode}: ${diff}`);
      }
    }
    assert((nativeKernelProfile(false).get("MirrorPad")?.calls ?? 0) >= 12, "native never ran");
  },
});
