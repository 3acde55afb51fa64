import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { topKAccuracies, topKAccuraciesFromTensor, topKAccuracy } from "./topk.ts";

await tf.setBackend("cpu");

/** Reference: stable descending sort of class indices, label within the first k. */
function topKRef(scores: Float32Array, c: number, labels: Int32Array, k: number): number {
  let hit = 0;
  labels.forEach((label, i) => {
    const order = Array.from({ length: c }, (_, j) => j).sort((a, b) =>
      scores[i * c + b] - scores[i * c + a]
    );
    if (order.slice(0, k).includes(label)) hit++;
  });
  return hit / labels.length;
}

Deno.test("topKAccuracies equals a sort-based reference, with and without ties", () => {
  const rng = new Rng(1);
  for (let t = 0; t < 20; t++) {
    const c = 2 + rng.int(12);
    const n = 1 + rng.int(60);
    const ties = t % 2 === 0;
    const scores = Float32Array.from({ length: n * c }, () => (ties ? rng.int(4) : rng.gaussian()));
    const labels = Int32Array.from({ length: n }, () => rng.int(c));
    const ks = [1, 2, 5, c];
    const got = topKAccuracies(scores, c, labels, ks);
    ks.forEach((k, j) => assert.equal(got[j], topKRef(scores, c, labels, k), `k=${k} c=${c}`));
    assert.equal(got[3], 1);
  }
});

Deno.test("topKAccuracy: perfect and worst scores; bad shapes and labels are rejected", () => {
  const labels = Int32Array.of(0, 2, 1);
  const perfect = Float32Array.of(9, 0, 0, 0, 0, 9, 0, 9, 0);
  assert.equal(topKAccuracy(perfect, 3, labels, 1), 1);
  const worst = perfect.map((v) => -v);
  assert.equal(topKAccuracy(worst, 3, labels, 2), 0);
  assert.throws(() => topKAccuracy(perfect, 4, labels), /numClasses/);
  assert.throws(() => topKAccuracy(perfect, 3, Int32Array.of(0, 3, 1)), /outside/);
});

Deno.test("topKAccuraciesFromTensor reads logits asynchronously", async () => {
  const rng = new Rng(2);
  const scores = Float32Array.from({ length: 40 * 6 }, () => rng.gaussian());
  const labels = Int32Array.from({ length: 40 }, () => rng.int(6));
  const t = tf.tensor2d(scores, [40, 6]);
  assert.deepEqual(
    await topKAccuraciesFromTensor(t, labels, [1, 3]),
    topKAccuracies(scores, 6, labels, [1, 3]),
  );
  t.dispose();
});
