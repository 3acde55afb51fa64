import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { gatherImages, perImageScalars, sampleImageFlags } from "./image_flags.ts";

await tf.setBackend("wasm");

Deno.test("gatherImages is a bit-exact tf.gather along the batch axis", async () => {
  const rng = new Rng(71);
  for (const [n, h, w, c] of [[7, 5, 6, 3], [3, 1, 4, 1], [4, 32, 32, 3]]) {
    const x = tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => rng.gaussian()), [
      n,
      h,
      w,
      c,
    ]);
    const idx = Int32Array.from({ length: 2 * n }, () => rng.int(n));
    const before = tf.memory().numTensors;
    const got = gatherImages(x, idx);
    const want = tf.gather(x, idx);
    assert.deepEqual(await got.data(), await want.data());
    tf.dispose([got, want]);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => gatherImages(x, [n]), /outside/);
    x.dispose();
  }
});

Deno.test("sampleImageFlags frequency and perImageScalars shape", () => {
  const f = sampleImageFlags(new Rng(72), 5000, 0.3, "test");
  assert.ok(Math.abs(f.reduce((a, b) => a + b, 0) / 5000 - 0.3) < 0.03);
  assert.throws(() => sampleImageFlags(new Rng(1), 3, -0.1, "mytransform"), /mytransform/);
  const t = perImageScalars([1, 2, 3]);
  assert.deepEqual(t.shape, [3, 1, 1, 1]);
  t.dispose();
});
