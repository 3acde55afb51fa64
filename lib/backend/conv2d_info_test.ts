import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { nhwcConv2DInfo } from "./conv2d_info.ts";

Deno.test("nhwcConv2DInfo gives the shapes tf.conv2d / tf.depthwiseConv2d produce (random cases)", async () => {
  await tf.setBackend("cpu");
  const rng = new Rng(21);
  for (let i = 0; i < 20; i++) {
    const k = 1 + rng.int(3);
    type Shape4 = [number, number, number, number];
    const x: Shape4 = [1 + rng.int(2), k + rng.int(6), k + rng.int(6), 1 + rng.int(4)];
    const filter: Shape4 = [k, k, x[3], 1 + rng.int(3)];
    const strides = [1 + rng.int(2), 1 + rng.int(2)] as [number, number];
    const pad = rng.bernoulli(0.5) ? "same" : "valid";
    const depthwise = rng.bernoulli(0.5);
    const info = nhwcConv2DInfo(x, filter, { strides, pad }, 1, depthwise);
    const out = tf.tidy(() => {
      const xt = tf.zeros(x) as tf.Tensor4D;
      const ft = tf.zeros(filter) as tf.Tensor4D;
      const y = depthwise
        ? tf.depthwiseConv2d(xt, ft, strides, pad)
        : tf.conv2d(xt, ft, strides, pad);
      return y.shape;
    });
    const what = `x [${x}] filter [${filter}] s${strides} ${pad} depthwise=${depthwise}`;
    assert.deepEqual(info.outShape, out, what);
    assert.deepEqual(info.inShape, x, what);
    assert.equal(info.dilationHeight, 1, what);
  }
});
