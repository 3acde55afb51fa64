import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "../tfjs.ts";
import { defaultExperiment } from "../config/experiment.ts";
import { buildEncoder } from "../models/encoder.ts";
import { ParamStore } from "../nn/params.ts";
import { saveCheckpoint } from "../train/checkpoint.ts";
import { writeJsonAtomic } from "../train/run_record.ts";
import { Rng } from "../rng.ts";
import { loadTrainedEncoder } from "./trained_encoder.ts";

function config(seed: number) {
  const cfg = defaultExperiment();
  cfg.seed = seed;
  cfg.encoder = {
    backbone: { type: "resnet", blocks: [1, 1], width: 4 },
    neck: { type: "gam", hidden: 8 },
    head: { type: "projection", hidden: 8, out: 4 },
  };
  return cfg;
}

Deno.test("loadTrainedEncoder restores exactly the saved variables and the same embeddings", async () => {
  await tf.setBackend("cpu");
  const rng = new Rng(3);
  for (const seed of [1, 7]) {
    const dir = await Deno.makeTempDir();
    const cfg = config(seed);
    // A "trained" model: the seed-`seed` init perturbed by random noise, saved as the trainer does.
    const store = new ParamStore(seed);
    const enc = buildEncoder(store, cfg.encoder);
    // Parameters get additive noise; buffers (running variances) a positive factor.
    for (const v of store.params().values()) {
      const noise = Float32Array.from({ length: v.size }, () => rng.gaussian());
      tf.tidy(() => v.assign(tf.add(v, tf.tensor(noise, v.shape))));
    }
    for (const v of store.buffers().values()) {
      const factor = Float32Array.from({ length: v.size }, () => rng.uniform(0.5, 1.5));
      tf.tidy(() => v.assign(tf.mul(v, tf.tensor(factor, v.shape))));
    }
    const tensors = new Map<string, tf.Tensor>(
      [...store.allVariables()].map(([k, v]) => [`model/${k}`, v]),
    );
    await writeJsonAtomic(join(dir, "config.json"), cfg);
    await saveCheckpoint(join(dir, "checkpoint"), { tensors, meta: {} });
    const x = tf.randomNormal([3, 16, 16, 3], 0, 1, "float32", seed) as tf.Tensor4D;
    const want = tf.tidy(() => enc.embed(x, { training: false }));

    // ParamStore itself leaves its initial-value tensors counted after dispose (a kit
    // issue outside this module): measure that for an identical build and allow only it.
    const probeStart = tf.memory().numTensors;
    const probe = new ParamStore(seed);
    buildEncoder(probe, { backbone: cfg.encoder.backbone, neck: cfg.encoder.neck });
    probe.dispose();
    const storeLeak = tf.memory().numTensors - probeStart;
    const before = tf.memory().numTensors;
    const loaded = await loadTrainedEncoder(dir);
    const got = tf.tidy(() => loaded.encoder.embed(x, { training: false }));
    assert.equal(loaded.encoder.head, undefined);
    assert.deepEqual(got.shape, want.shape);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]);
    assert.ok(diff < 1e-6, `embeddings differ by ${diff}`);
    got.dispose();
    loaded.store.dispose();
    assert.equal(tf.memory().numTensors, before + storeLeak);
    tf.dispose([x, want]);
    store.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadTrainedEncoder names the missing file or variable", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(loadTrainedEncoder(dir), /config\.json not found/);
  await writeJsonAtomic(join(dir, "config.json"), config(0));
  await assert.rejects(loadTrainedEncoder(dir), /holds no checkpoint/);
  const only = new Map<string, tf.Tensor>([["model/unrelated", tf.zeros([2])]]);
  await saveCheckpoint(join(dir, "checkpoint"), { tensors: only, meta: {} });
  tf.dispose([...only.values()]);
  await assert.rejects(loadTrainedEncoder(dir), /checkpoint has no tensor "backbone\./);
  await Deno.remove(dir, { recursive: true });
});
