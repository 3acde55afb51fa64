import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { ParamStore, valueAndGrads } from "../nn/params.ts";
import { CifarResNet } from "../models/resnet.ts";
import { patchGeometry } from "./occlusion_views.ts";
import { cellDecoder, reconstructPatches } from "./patch_reconstruction.ts";

await tf.setBackend("cpu");

function randn(rng: Rng, shape: [number, number, number, number]): tf.Tensor4D {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(Float32Array.from({ length: n }, () => rng.gaussian()), shape);
}

/** A 2-stage width-2 ResNet (stride 2, only its sizes are used) for 8x8x3 images. */
const backbone = new CifarResNet(new ParamStore(0), "b", {
  type: "resnet",
  blocks: [1, 1],
  width: 2,
});

/** A decoder for {@link backbone} in its own store, and the geometry for `patch`. */
function setup(seed: number, patch: number | "auto") {
  const geometry = patchGeometry("test", patch, backbone, [8, 8, 3]);
  const store = new ParamStore(seed);
  const decoder = cellDecoder(store, "decoder", backbone, geometry, 3);
  return { geometry, store, decoder };
}

Deno.test("cellDecoder: one linear map per feature cell, sized by the backbone and the stride", () => {
  const { geometry, store, decoder } = setup(1, "auto");
  assert.equal(geometry.stride, 2);
  assert.equal(decoder.cellSize, geometry.stride);
  assert.equal(decoder.outChannels, 3);
  const params = store.params();
  assert.deepEqual([...params.keys()], ["decoder.linear.weight", "decoder.linear.bias"]);
  assert.deepEqual(params.get("decoder.linear.weight")!.shape, [backbone.outChannels, 2 * 2 * 3]);
  store.dispose();
});

for (const normPixLoss of [false, true]) {
  Deno.test(`reconstructPatches (normPixLoss ${normPixLoss}): pred decodes each cell, target is the view's patches`, () => {
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      const { store, decoder } = setup(seed, "auto");
      const c = backbone.outChannels;
      const [n, streams, p] = [2, 1 + rng.int(3), 2];
      const view = randn(rng, [n, 8, 8, 3]);
      const fmap = randn(rng, [streams * n, 4, 4, c]);
      const before = tf.memory().numTensors;
      const { pred, target } = reconstructPatches(decoder, fmap, view, { patch: p, normPixLoss });
      assert.equal(tf.memory().numTensors, before + 2, "intermediate tensors leaked");
      assert.deepEqual(pred.shape, [streams * n, 16, p * p * 3]);
      assert.deepEqual(target.shape, [n, 16, p * p * 3]);

      // pred[m, l] = fmap[m, cell l] W + b (patch = stride: patch l is cell l).
      const w = decoder.linear.weight.dataSync();
      const b = decoder.linear.bias!.dataSync();
      const f = fmap.dataSync();
      const pv = pred.dataSync();
      const P = p * p * 3;
      for (let m = 0; m < streams * n; m++) {
        const l = rng.int(16);
        for (let k = 0; k < P; k++) {
          let want = b[k];
          for (let i = 0; i < c; i++) want += f[(m * 16 + l) * c + i] * w[i * P + k];
          assert.ok(Math.abs(pv[(m * 16 + l) * P + k] - want) < 1e-4, `pred[${m},${l},${k}]`);
        }
      }

      // target[i, l]: the pixels of block l of view i (row, column, channel), per-patch normalised.
      const v = view.dataSync();
      const t = target.dataSync();
      for (let i = 0; i < n; i++) {
        for (let l = 0; l < 16; l++) {
          const raw: number[] = [];
          for (let y = 0; y < p; y++) {
            for (let x = 0; x < p; x++) {
              const [py, px] = [Math.floor(l / 4) * p + y, (l % 4) * p + x];
              for (let ch = 0; ch < 3; ch++) raw.push(v[((i * 8 + py) * 8 + px) * 3 + ch]);
            }
          }
          const mean = raw.reduce((a, z) => a + z, 0) / P;
          const variance = raw.reduce((a, z) => a + (z - mean) ** 2, 0) / (P - 1);
          for (let k = 0; k < P; k++) {
            const want = normPixLoss ? (raw[k] - mean) / Math.sqrt(variance + 1e-6) : raw[k];
            assert.ok(Math.abs(t[(i * 16 + l) * P + k] - want) < 1e-4, `target[${i},${l},${k}]`);
          }
        }
      }
      tf.dispose([view, fmap, pred, target]);
      store.dispose();
    }
  });
}

Deno.test("reconstructPatches: patches larger than a cell, and gradients reach the decoder", () => {
  const rng = new Rng(7);
  const { geometry, store, decoder } = setup(7, 4);
  assert.deepEqual([geometry.patch, geometry.gridH], [4, 2]);
  const view = randn(rng, [2, 8, 8, 3]);
  const fmap = randn(rng, [2, 4, 4, backbone.outChannels]);
  const { grads } = valueAndGrads(() => {
    const { pred, target } = reconstructPatches(decoder, fmap, view, {
      patch: 4,
      normPixLoss: true,
    });
    assert.deepEqual(pred.shape, [2, 4, 48]);
    assert.deepEqual(target.shape, [2, 4, 48]);
    return tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar;
  }, store.params());
  for (const [name, g] of grads) {
    assert.ok(tf.sum(tf.abs(g)).dataSync()[0] > 0, `no gradient reaches ${name}`);
  }
  tf.dispose([view, fmap, ...grads.values()]);
  store.dispose();
});
