import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { ParamStore, valueAndGrads } from "../nn/params.ts";
import { buildEncoder } from "./encoder.ts";
import { RESNET_DEPTHS } from "./resnet.ts";

await tf.setBackend("cpu");

Deno.test("ResNet-18 (CIFAR stem) has the well-known 11,168,832 backbone parameters", () => {
  const store = new ParamStore(0);
  const enc = buildEncoder(store, {
    backbone: { type: "resnet", blocks: RESNET_DEPTHS.resnet18, width: 64 },
    neck: { type: "gap" },
  });
  assert.equal(store.countParams(), 11_168_832);
  assert.equal(enc.backbone.outChannels, 512);
  // conv MACs of CIFAR ResNet-18 on 32x32: ~0.556 GMACs (stem + 16 3x3 convs + 3 1x1 shortcuts).
  const macs = enc.backbone.macs(32, 32);
  assert.ok(macs > 0.55e9 && macs < 0.56e9, `macs ${macs}`);
  store.dispose();
});

Deno.test("encoder shapes: feature map, embedding and projection", () => {
  const store = new ParamStore(1);
  const enc = buildEncoder(store, {
    backbone: { type: "resnet", blocks: [1, 1], width: 8 },
    neck: { type: "gap" },
    head: { type: "projection", hidden: 16, out: 12 },
  });
  const x = tf.randomUniform([3, 16, 16, 3]) as tf.Tensor4D;
  assert.deepEqual(enc.featureMap(x, { training: false }).shape, [3, 8, 8, 16]);
  assert.deepEqual(enc.embed(x, { training: false }).shape, [3, 16]);
  assert.deepEqual(enc.project(x, { training: true }).shape, [3, 12]);
  const f = enc.flops(16, 16);
  assert.equal(f.total, f.backbone + f.neck + f.head);
  assert.equal(f.head, 2 * (16 * 16 + 16 * 12));
  store.dispose();
});

Deno.test("unknown part types are rejected with the list of known ones", () => {
  const store = new ParamStore(0);
  assert.throws(
    () => buildEncoder(store, { backbone: { type: "vit" }, neck: { type: "gap" } }),
    /unknown backbone type "vit".*resnet/,
  );
  store.dispose();
});

Deno.test("a training step through the encoder produces gradients for every parameter", () => {
  const store = new ParamStore(2);
  const enc = buildEncoder(store, {
    backbone: { type: "resnet", blocks: [1, 1], width: 4 },
    neck: { type: "gap" },
    head: { type: "projection", hidden: 8, out: 4 },
  });
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const params = store.params();
  const { value, grads } = valueAndGrads(
    () => tf.sum(tf.square(enc.project(x, { training: true }))),
    params,
  );
  assert.ok(Number.isFinite(value.dataSync()[0]));
  for (const name of params.keys()) assert.ok(grads.has(name), `no gradient for ${name}`);
  store.dispose();
});
