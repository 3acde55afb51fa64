import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";
import { featureStatistics, trainLinearProbe } from "./linear_probe.ts";

await tf.setBackend("wasm");

/**
 * Linearly separable data with a margin: x ~ N(0, I), label = argmax of a
 * linear teacher, keeping only points whose two best teacher logits differ by
 * at least `margin`. Each dimension is then rescaled and shifted.
 */
function teacherData(rng: Rng, count: number, dim: number, teacher: number[][], margin = 2) {
  const data = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let x: number[];
    let logits: number[];
    do {
      x = Array.from({ length: dim }, () => rng.gaussian());
      const xs = x;
      logits = teacher.map((w) => w.reduce((s, v, d) => s + v * xs[d], 0));
      const sorted = [...logits].sort((a, b) => b - a);
      if (sorted[0] - sorted[1] >= margin) break;
    } while (true);
    labels[i] = logits.indexOf(Math.max(...logits));
    // Rescale and shift each dimension: the probe standardises, so this must not matter.
    x.forEach((v, d) => (data[i * dim + d] = v * (d + 1) + 3 * d));
  }
  return { m: { data, count, dim } as FeatureMatrix, labels };
}

Deno.test("linear probe: linearly separable data reaches ~100% train and test accuracy", async () => {
  const rng = new Rng(7);
  const [dim, c] = [16, 5];
  const teacher = Array.from(
    { length: c },
    () => Array.from({ length: dim }, () => rng.gaussian()),
  );
  const train = teacherData(rng, 1500, dim, teacher);
  const test = teacherData(rng, 500, dim, teacher);
  for (const optimizer of ["adam", "sgd"] as const) {
    const before = tf.memory().numTensors;
    const r = await trainLinearProbe(train.m, train.labels, test.m, test.labels, {
      optimizer,
      // Few steps (180): a larger Adam rate than the default to converge.
      lr: optimizer === "adam" ? 0.05 : 0.1,
      epochs: 30,
    });
    assert.equal(tf.memory().numTensors, before, "no leaked tensors");
    assert.ok(
      r.trainTop1 >= 0.99 && r.testTop1 >= 0.98,
      `${optimizer}: ${r.trainTop1} / ${r.testTop1}`,
    );
    assert.ok(r.testTop5 === 1);
    assert.ok(r.epochLosses[r.epochLosses.length - 1] < r.epochLosses[0] / 3, `${r.epochLosses}`);
  }
});

Deno.test("linear probe: random labels give chance accuracy on the test set", async () => {
  const rng = new Rng(8);
  const [dim, c] = [32, 10];
  const mk = (count: number) => ({
    m: { data: Float32Array.from({ length: count * dim }, () => rng.gaussian()), count, dim },
    labels: Int32Array.from({ length: count }, () => rng.int(c)),
  });
  const train = mk(1000);
  const test = mk(1000);
  const r = await trainLinearProbe(train.m, train.labels, test.m, test.labels, { epochs: 20 });
  assert.ok(Math.abs(r.testTop1 - 0.1) < 0.04, `test top1 ${r.testTop1}`);
  assert.ok(Math.abs(r.testTop5 - 0.5) < 0.06, `test top5 ${r.testTop5}`);
  assert.ok(r.trainTop1 > r.testTop1, "the probe fits some of the training noise");
});

Deno.test("linear probe: deterministic given the seed; standardises with train statistics", async () => {
  const rng = new Rng(9);
  const [dim, c] = [8, 4];
  const teacher = Array.from(
    { length: c },
    () => Array.from({ length: dim }, () => rng.gaussian()),
  );
  const train = teacherData(rng, 300, dim, teacher);
  const test = teacherData(rng, 100, dim, teacher);
  const opts = { epochs: 5, batchSize: 64, seed: 3 };
  const a = await trainLinearProbe(train.m, train.labels, test.m, test.labels, opts);
  const b = await trainLinearProbe(train.m, train.labels, test.m, test.labels, opts);
  const d = await trainLinearProbe(train.m, train.labels, test.m, test.labels, {
    ...opts,
    seed: 4,
  });
  assert.deepEqual(a.weights, b.weights);
  assert.notDeepEqual(a.weights, d.weights);
  const stats = featureStatistics(train.m);
  assert.deepEqual(a.featureMean, stats.mean);
  for (let j = 0; j < dim; j++) {
    assert.ok(Math.abs(stats.mean[j] - 3 * j) < 0.4 * (j + 1));
    assert.ok(Math.abs(stats.std[j] - (j + 1)) < 0.15 * (j + 1));
  }
  await assert.rejects(
    () =>
      trainLinearProbe(
        train.m,
        train.labels,
        { data: new Float32Array(9), count: 3, dim: 3 },
        new Int32Array(3),
      ),
    /same encoder/,
  );
});
