import * as tf from "../tfjs.ts";
import "@tensorflow/tfjs-backend-wasm";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";
import { knnClassify } from "./knn.ts";

await tf.setBackend("wasm");

function randomMatrix(rng: Rng, count: number, dim: number): FeatureMatrix {
  return { data: Float32Array.from({ length: count * dim }, () => rng.gaussian()), count, dim };
}

/** Brute-force weighted kNN votes (float64). */
function knnRef(
  train: FeatureMatrix,
  trainLabels: Int32Array,
  test: FeatureMatrix,
  c: number,
  k: number,
  t: number,
): Float64Array {
  const unit = (m: FeatureMatrix, i: number) => {
    const row = Array.from(m.data.subarray(i * m.dim, (i + 1) * m.dim));
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0));
    return row.map((v) => v / norm);
  };
  const bank = Array.from({ length: train.count }, (_, i) => unit(train, i));
  const out = new Float64Array(test.count * c);
  for (let i = 0; i < test.count; i++) {
    const q = unit(test, i);
    const sims = bank.map((b, j) => ({ s: b.reduce((acc, v, d) => acc + v * q[d], 0), j }));
    sims.sort((a, b) => b.s - a.s);
    for (const { s, j } of sims.slice(0, k)) out[i * c + trainLabels[j]] += Math.exp(s / t);
  }
  return out;
}

Deno.test("knnClassify matches a brute-force weighted vote (chunked, random data)", async () => {
  const rng = new Rng(3);
  for (
    const [nTrain, nTest, dim, c, k, chunk] of [[300, 50, 16, 7, 20, 17], [120, 33, 5, 3, 200, 256]]
  ) {
    const train = randomMatrix(rng, nTrain, dim);
    const test = randomMatrix(rng, nTest, dim);
    const trainLabels = Int32Array.from({ length: nTrain }, () => rng.int(c));
    const testLabels = Int32Array.from({ length: nTest }, () => rng.int(c));
    const before = tf.memory().numTensors;
    const r = await knnClassify(train, trainLabels, test, testLabels, {
      k,
      temperature: 0.1,
      chunkSize: chunk,
      numClasses: c,
    });
    assert.equal(tf.memory().numTensors, before);
    const ref = knnRef(train, trainLabels, test, c, Math.min(k, nTrain), 0.1);
    ref.forEach((v, i) =>
      assert.ok(
        Math.abs(r.scores[i] - v) <= 1e-3 * Math.max(1, v),
        `score ${i}: ${r.scores[i]} vs ${v}`,
      )
    );
    // Accuracy is derived from the votes.
    let hits = 0;
    for (let i = 0; i < nTest; i++) {
      const row = Array.from(ref.subarray(i * c, (i + 1) * c));
      if (row.indexOf(Math.max(...row)) === testLabels[i]) hits++;
    }
    assert.equal(r.top1, hits / nTest);
  }
});

Deno.test("knnClassify: well-separated clusters are classified (almost) perfectly", async () => {
  const rng = new Rng(4);
  const [c, dim] = [10, 32];
  const centres = Array.from(
    { length: c },
    () => Array.from({ length: dim }, () => rng.gaussian()),
  );
  const make = (count: number) => {
    const labels = Int32Array.from({ length: count }, () => rng.int(c));
    const data = new Float32Array(count * dim);
    labels.forEach((l, i) => {
      for (let d = 0; d < dim; d++) data[i * dim + d] = centres[l][d] + 0.15 * rng.gaussian();
    });
    return { m: { data, count, dim }, labels };
  };
  const train = make(2000);
  const test = make(500);
  const r = await knnClassify(train.m, train.labels, test.m, test.labels);
  assert.ok(r.top1 >= 0.99, `top1 ${r.top1}`);
  assert.equal(r.top5, 1);
  // Labels unrelated to the features give chance accuracy.
  const shuffled = Int32Array.from(train.labels);
  new Rng(5).shuffle(shuffled);
  const chance = await knnClassify(train.m, shuffled, test.m, test.labels);
  assert.ok(chance.top1 < 0.2, `chance top1 ${chance.top1}`);
});

Deno.test("knnClassify rejects mismatched inputs with a helpful message", async () => {
  const rng = new Rng(6);
  const a = randomMatrix(rng, 10, 4);
  const b = randomMatrix(rng, 5, 3);
  await assert.rejects(
    () => knnClassify(a, new Int32Array(10), b, new Int32Array(5)),
    /same encoder/,
  );
  await assert.rejects(
    () => knnClassify(a, new Int32Array(9), a, new Int32Array(10)),
    /one label per row/,
  );
  await assert.rejects(
    () => knnClassify(a, new Int32Array(10), a, new Int32Array(10), { temperature: 0 }),
    /temperature/,
  );
});
