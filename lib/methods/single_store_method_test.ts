import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { ParamStore } from "../nn/params.ts";
import type { Encoder } from "../models/encoder.ts";
import type { StepInput, StepLoss } from "./method.ts";
import { SingleStoreMethod } from "./single_store_method.ts";

await tf.setBackend("cpu");

/** A method with a random set of parameters and buffers registered in its store. */
class Toy extends SingleStoreMethod<{ images: tf.Tensor4D }> {
  readonly name = "toy";
  readonly encoder = undefined as unknown as Encoder;
  constructor(seed: number, layout: [string, number[], boolean][]) {
    super(seed);
    for (const [name, shape, trainable] of layout) {
      if (trainable) this.store.param(name, shape, { kind: "normal", std: 1 });
      else this.store.buffer(name, shape, { kind: "zeros" });
    }
  }
  prepare(input: StepInput): { images: tf.Tensor4D } {
    return { images: input.images };
  }
  loss(): StepLoss {
    return { loss: tf.scalar(0) };
  }
}

Deno.test("SingleStoreMethod: params, state and dispose are exactly those of one seeded store", () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed);
    const layout: [string, number[], boolean][] = Array.from(
      { length: 2 + rng.int(4) },
      (_, i) => [`v${i}`, [1 + rng.int(3), 1 + rng.int(3)], i === 0 || rng.bernoulli(0.6)],
    );
    const before = tf.memory().numTensors;
    const m = new Toy(seed, layout);
    // The same layout in a hand-made store with the same seed.
    const ref = new ParamStore(seed);
    for (const [name, shape, trainable] of layout) {
      if (trainable) ref.param(name, shape, { kind: "normal", std: 1 });
      else ref.buffer(name, shape, { kind: "zeros" });
    }
    const trainable = layout.filter(([, , t]) => t).map(([n]) => n);
    assert.deepEqual([...m.params().keys()], trainable);
    assert.deepEqual(
      [...m.state().keys()].sort(),
      layout.map(([n]) => n).sort(),
      "state() must hold params and buffers",
    );
    for (const [name, v] of m.state()) {
      assert.deepEqual(v.dataSync(), ref.allVariables().get(name)!.dataSync(), name);
    }
    ref.dispose();
    m.dispose();
    assert.equal(tf.memory().numTensors, before, "dispose() left tensors behind");
  }
});
