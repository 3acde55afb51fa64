import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { complementaryMasks, disposeGridMasks, overlappingMasks } from "./multi_masks.ts";
import { keptTokenCount } from "./token_masks.ts";

await tf.setBackend("cpu");

Deno.test("complementaryMasks: visible sets pairwise disjoint, exact ratio, over many seeds", () => {
  const before = tf.memory().numTensors;
  let checked = 0;
  for (let seed = 0; seed < 60; seed++) {
    const rng = new Rng(seed);
    const streams = 2 + rng.int(2);
    const L = 4 + rng.int(60);
    const ratio = rng.uniform(1 - 1 / streams, 0.95);
    const n = 1 + rng.int(4);
    let lKeep: number;
    try {
      lKeep = keptTokenCount(L, ratio);
    } catch {
      continue; // ratio keeps no token for this L
    }
    const masks = complementaryMasks({ n, L, ratio, streams, rng });
    assert.equal(masks.length, streams);
    const m = masks.map((g) => g.mask.arraySync());
    const keep = masks.map((g) => g.idsKeep.arraySync());
    for (let i = 0; i < n; i++) {
      const seen = new Set<number>();
      for (let s = 0; s < streams; s++) {
        assert.equal(m[s][i].reduce((a, b) => a + b, 0), lKeep, "exact kept count");
        for (const k of keep[s][i]) {
          assert.equal(m[s][i][k], 1);
          assert.ok(!seen.has(k), `token ${k} visible in two streams`);
          seen.add(k);
        }
      }
      for (let j = 0; j < L; j++) {
        let visible = 0;
        for (let s = 0; s < streams; s++) visible += m[s][i][j];
        assert.ok(visible <= 1);
      }
    }
    // idsRestore inverts idsShuffle, whose head is the stream's kept set.
    for (const g of masks) {
      const sh = g.idsShuffle.arraySync();
      const re = g.idsRestore.arraySync();
      const kp = g.idsKeep.arraySync();
      for (let i = 0; i < n; i++) {
        assert.deepEqual(sh[i].slice(0, lKeep), kp[i]);
        for (let j = 0; j < L; j++) assert.equal(sh[i][re[i][j]], j);
      }
    }
    disposeGridMasks(masks);
    checked++;
  }
  assert.ok(checked > 40);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("complementaryMasks: rejects infeasible ratios with the bound in the message", () => {
  const rng = new Rng(1);
  assert.throws(
    () => complementaryMasks({ n: 2, L: 64, ratio: 0.5, streams: 3, rng }),
    /3 streams need ratio >= 0\.667 \(L_keep\*3 <= L\); got 0\.5/,
  );
  assert.throws(
    () => complementaryMasks({ n: 2, L: 64, ratio: 0.4, streams: 2, rng }),
    /2 streams need ratio >= 0\.500/,
  );
  // Boundary: ratio exactly 1 - 1/streams is feasible and covers every token.
  const masks = complementaryMasks({ n: 3, L: 64, ratio: 0.5, streams: 2, rng });
  const sum = tf.tidy(() => tf.add(masks[0].mask, masks[1].mask).dataSync());
  assert.ok(sum.every((v) => v === 1));
  disposeGridMasks(masks);
  assert.throws(() => complementaryMasks({ n: 1, L: 8, ratio: 0.75, streams: 1, rng }), /streams/);
});

Deno.test("overlappingMasks: independent streams with the same exact ratio", () => {
  const rng = new Rng(5);
  const [n, L, ratio] = [400, 16, 0.75];
  const masks = overlappingMasks({ n, L, ratio, streams: 3, rng });
  const m = masks.map((g) => g.mask.arraySync());
  let overlapping = 0;
  let intersect = 0;
  for (let i = 0; i < n; i++) {
    let inter = 0;
    for (let s = 0; s < 3; s++) assert.equal(m[s][i].reduce((a, b) => a + b, 0), 4);
    for (let j = 0; j < L; j++) inter += m[0][i][j] * m[1][i][j];
    intersect += inter;
    if (inter > 0) overlapping++;
  }
  // Independence: E|V1 ∩ V2| = L_keep^2 / L = 1 token; P(overlap) = 1 - C(12,4)/C(16,4) ≈ 0.728.
  assert.ok(Math.abs(intersect / n - 1) < 0.15, `${intersect / n}`);
  assert.ok(Math.abs(overlapping / n - 0.728) < 0.07, `${overlapping / n}`);
  disposeGridMasks(masks);
});
