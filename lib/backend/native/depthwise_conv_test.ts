import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { nativeKernelProfile } from "./register.ts";

const status = await nativeForTests("depthwise_conv_test.ts");

Deno.test({
  name: "native depthwise convolution matches the cpu kernel bit for bit",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(31);
    nativeKernelProfile(true);
    const cases: {
      x: number[];
      k: [number, number];
      strides: number;
      pad: "valid" | "same";
      dilation: number;
    }[] = [
      { x: [1, 36, 32, 384], k: [5, 1], strides: 1, pad: "valid", dilation: 1 }, // blur, vertical
      { x: [1, 32, 36, 384], k: [1, 5], strides: 1, pad: "valid", dilation: 1 }, // horizontal
      { x: [3, 31, 29, 37], k: [3, 3], strides: 2, pad: "same", dilation: 1 },
      { x: [2, 12, 12, 16], k: [3, 3], strides: 1, pad: "same", dilation: 2 },
      { x: [2, 20, 20, 16], k: [3, 5], strides: 1, pad: "same", dilation: 1 }, // edge columns
      { x: [64, 34, 34, 3], k: [1, 3], strides: 1, pad: "valid", dilation: 1 }, // 3 channels
    ];
    for (const c of cases) {
      const c4 = c.x[3];
      const diff = await nativeVsCpu(
        [gaussian(rng, c.x), gaussian(rng, [c.k[0], c.k[1], c4, 1])],
        (x, w) =>
          tf.depthwiseConv2d(
            x as tf.Tensor4D,
            w as tf.Tensor4D,
            c.strides,
            c.pad,
            "NHWC",
            c.dilation,
          ),
      );
      assert(diff === 0, `depthwise ${JSON.stringify(c)}: native differs by ${diff}`);
    }
    const prof = nativeKernelProfile(false);
    const calls = prof.get("DepthwiseConv2dNative")?.calls ?? 0;
    assert(calls >= 6, `the native depthwise convolution ran ${calls} times: ${[...prof.keys()]}`);
  },
});
