import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { ParamStore } from "../nn/params.ts";
import { CifarResNet } from "../models/resnet.ts";
import { patchGeometry } from "./occlusion_views.ts";

await tf.setBackend("cpu");

function backbone(blocks: number[]) {
  return new CifarResNet(new ParamStore(0), "b", { type: "resnet", blocks, width: 2 });
}

Deno.test("patchGeometry: auto patches equal the backbone stride (8 px for 4 stages on 32x32)", () => {
  for (
    const [blocks, stride] of [[[1], 1], [[1, 1], 2], [[1, 1, 1], 4], [[1, 1, 1, 1], 8]] as const
  ) {
    const g = patchGeometry("t", "auto", backbone([...blocks]), [32, 32, 3]);
    assert.deepEqual(g, {
      patch: stride,
      gridH: 32 / stride,
      gridW: 32 / stride,
      featH: 32 / stride,
      featW: 32 / stride,
      stride,
    });
  }
  const fixed = patchGeometry("t", 8, backbone([1, 1]), [32, 32, 3]);
  assert.equal(fixed.gridH, 4);
  assert.equal(fixed.featH, 16);
  assert.throws(
    () => patchGeometry("t", 6, backbone([1]), [32, 32, 3]),
    /t: patch 6 does not divide/,
  );
});
