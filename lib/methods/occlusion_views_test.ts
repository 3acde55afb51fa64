import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { ParamStore } from "../nn/params.ts";
import { CifarResNet } from "../models/resnet.ts";
import { occludeOnGrid, patchGeometry } from "./occlusion_views.ts";

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

Deno.test("occludeOnGrid: masked patches hold the fill, kept ones the view", () => {
  const rng = new Rng(4);
  const view = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const geo = patchGeometry("t", 4, backbone([1, 1]), [16, 16, 3]);
  const mask = tf.tensor2d(Float32Array.from({ length: 32 }, () => (rng.bernoulli(0.5) ? 1 : 0)), [
    2,
    16,
  ]);
  const { image, cells } = occludeOnGrid(view, mask, geo, { kind: "constant", value: 7 }, rng);
  const [v, o, m, c] = [view.dataSync(), image.dataSync(), mask.dataSync(), cells.dataSync()];
  for (let i = 0; i < v.length; i++) {
    const [n, y, x] = [Math.floor(i / 768), Math.floor((i % 768) / 48), Math.floor((i % 48) / 3)];
    const kept = m[n * 16 + Math.floor(y / 4) * 4 + Math.floor(x / 4)] === 1;
    assert.equal(o[i], kept ? v[i] : 7);
  }
  // Stride-2 map: 8x8 cells, each inside one 4-px patch.
  for (let n = 0; n < 2; n++) {
    for (let k = 0; k < 64; k++) {
      const patch = Math.floor(Math.floor(k / 8) / 2) * 4 + Math.floor((k % 8) / 2);
      assert.equal(c[n * 64 + k], m[n * 16 + patch]);
    }
  }
  tf.dispose([view, mask, image, cells]);
});
