import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { checkGradients } from "../testing/gradcheck.ts";
import { ParamStore, valueAndGrads } from "../nn/params.ts";
import { emaUpdate, KeyQueue, mocoLoss } from "./moco_queue.ts";

await tf.setBackend("cpu");

const SEEDS = [1, 2, 3, 4, 5];

function randRows(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.gaussian()));
}

function unit(r: number[]): number[] {
  const norm = Math.sqrt(r.reduce((s, x) => s + x * x, 0));
  return r.map((x) => x / norm);
}

function twoStores(seedA: number, seedB: number): [ParamStore, ParamStore] {
  const make = (seed: number) => {
    const s = new ParamStore(seed);
    s.param("w", [3, 4], { kind: "normal", std: 1 });
    s.param("b", [4], { kind: "normal", std: 1 });
    s.buffer("bn.mean", [4], { kind: "normal", std: 1 });
    return s;
  };
  return [make(seedA), make(seedB)];
}

Deno.test("emaUpdate: target = m*target + (1-m)*source for every variable, by name", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const m = rng.uniform(0, 1);
    const [key, query] = twoStores(seed, seed + 1000);
    const before = new Map([...key.allVariables()].map(([n, v]) => [n, v.dataSync().slice()]));
    const src = new Map([...query.allVariables()].map(([n, v]) => [n, v.dataSync().slice()]));
    const tensors = tf.memory().numTensors;
    // Source map in a different insertion order: matching is by name, not position.
    emaUpdate(key.allVariables(), new Map([...query.allVariables()].reverse()), m);
    assert.equal(tf.memory().numTensors, tensors, "emaUpdate leaked tensors");
    for (const [name, v] of key.allVariables()) {
      const got = v.dataSync();
      const t0 = before.get(name)!;
      const s0 = src.get(name)!;
      for (let i = 0; i < got.length; i++) {
        const want = m * t0[i] + (1 - m) * s0[i];
        assert.ok(Math.abs(got[i] - want) <= 1e-6, `${name}[${i}]: ${got[i]} vs ${want}`);
      }
    }
    // The source is untouched; m = 0 copies it exactly.
    for (const [name, v] of query.allVariables()) {
      assert.deepEqual(Array.from(v.dataSync()), Array.from(src.get(name)!));
    }
    emaUpdate(key.allVariables(), query.allVariables(), 0);
    for (const [name, v] of key.allVariables()) {
      assert.deepEqual(Array.from(v.dataSync()), Array.from(src.get(name)!));
    }
    key.dispose();
    query.dispose();
  }
});

Deno.test("emaUpdate: a missing or mismatched name throws, naming it, and writes nothing", () => {
  const [key, query] = twoStores(1, 2);
  const before = key.allVariables().get("w")!.dataSync().slice();
  const noB = new Map([...query.allVariables()].filter(([n]) => n !== "b"));
  assert.throws(() => emaUpdate(key.allVariables(), noB, 0.5), /source has no variable "b"/);
  const extra = new Map(query.allVariables());
  const x = tf.variable(tf.zeros([2]));
  extra.set("extra", x);
  assert.throws(() => emaUpdate(key.allVariables(), extra, 0.5), /target has no variable "extra"/);
  const wrong = new Map(query.allVariables());
  const y = tf.variable(tf.zeros([4, 3]));
  wrong.set("w", y);
  assert.throws(() => emaUpdate(key.allVariables(), wrong, 0.5), /"w" has shape \[3,4\]/);
  assert.throws(() => emaUpdate(key.allVariables(), query.allVariables(), 1.5), /\[0, 1\]/);
  assert.deepEqual(Array.from(key.allVariables().get("w")!.dataSync()), Array.from(before));
  tf.dispose([x, y]);
  key.dispose();
  query.dispose();
});

Deno.test("KeyQueue: ring-buffer order with wrap-around matches a plain model", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 10);
    const size = 3 + rng.int(8);
    const dim = 1 + rng.int(4);
    const queue = new KeyQueue(size, dim, rng);
    const init = queue.keys.arraySync() as number[][];
    for (const r of init) {
      assert.ok(Math.abs(Math.hypot(...r) - 1) < 1e-5, "initial keys are unit vectors");
    }
    const model = init.map((r) => r.slice());
    let ptr = 0;
    const before = tf.memory().numTensors;
    for (let step = 0; step < 6; step++) {
      const b = rng.int(size + 1); // 0..size keys, wrapping at arbitrary offsets
      const rows = randRows(rng, b, dim);
      const batch = tf.tensor2d(rows.flat(), [b, dim]);
      queue.enqueue(batch);
      batch.dispose();
      for (const r of rows) {
        model[ptr] = unit(r);
        ptr = (ptr + 1) % size;
      }
      assert.equal(queue.pointer, ptr);
      const got = queue.keys.arraySync() as number[][];
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < dim; j++) {
          assert.ok(Math.abs(got[i][j] - model[i][j]) < 1e-5, `step ${step} row ${i}`);
        }
      }
    }
    assert.equal(tf.memory().numTensors, before, "enqueue leaked tensors");
    queue.dispose();
  }
});

Deno.test("KeyQueue: state() round-trips through restore(); bad batches and states throw", () => {
  const rng = new Rng(7);
  const a = new KeyQueue(5, 3, rng);
  const batch = tf.tensor2d(randRows(rng, 4, 3));
  a.enqueue(batch);
  a.enqueue(batch); // wraps: pointer 3, 8 enqueued
  assert.equal(a.full, true);
  const st = a.state();
  const b = new KeyQueue(5, 3, new Rng(99));
  assert.equal(b.full, false);
  b.restore(st);
  assert.deepEqual(b.keys.arraySync(), a.keys.arraySync());
  assert.equal(b.pointer, 3);
  assert.equal(b.enqueued, 8);
  a.enqueue(batch); // the saved copy is independent of the live queue
  assert.deepEqual(st.keys.arraySync(), b.keys.arraySync());
  tf.tidy(() => {
    assert.throws(() => a.enqueue(tf.zeros([2, 4]) as tf.Tensor2D), /\[B, 3\]/);
    assert.throws(() => a.enqueue(tf.zeros([6, 3]) as tf.Tensor2D), /exceeds the queue size 5/);
  });
  const c = new KeyQueue(6, 3, rng);
  assert.throws(() => c.restore(st), /same size and dim/);
  assert.throws(() => new KeyQueue(0, 3, rng), /positive integers/);
  tf.dispose([batch, st.keys]);
  [a, b, c].forEach((q) => q.dispose());
});

/** Float64 MoCo loss with optional hard negatives. */
function referenceMoco(
  q: number[][],
  k: number[][],
  queue: number[][],
  tau: number,
  hard: number[][] | null,
  alpha: number,
): number {
  let total = 0;
  for (let i = 0; i < q.length; i++) {
    const u = unit(q[i]);
    const dot = (r: number[]) => unit(r).reduce((s, x, j) => s + x * u[j], 0);
    const logits = [dot(k[i]) / tau, ...queue.map((r) => dot(r) / tau)];
    if (hard) logits.push((alpha * dot(hard[i])) / tau);
    const mx = Math.max(...logits);
    total += mx + Math.log(logits.reduce((s, x) => s + Math.exp(x - mx), 0)) - logits[0];
  }
  return total / q.length;
}

Deno.test("mocoLoss: equals a float64 reference, with and without hard negatives", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 20);
    const [n, d, kq] = [2 + rng.int(4), 2 + rng.int(4), 3 + rng.int(6)];
    const tau = rng.uniform(0.07, 0.5);
    const alpha = rng.uniform(1, 3);
    const queue = new KeyQueue(kq, d, rng);
    const q = randRows(rng, n, d);
    const k = randRows(rng, n, d);
    const hard = randRows(rng, n, d);
    const qRows = queue.keys.arraySync() as number[][];
    for (const h of [null, hard]) {
      const got = tf.tidy(() =>
        mocoLoss(tf.tensor2d(q), tf.tensor2d(k), queue, tau, h && tf.tensor2d(h), alpha)
          .dataSync()[0]
      );
      const want = referenceMoco(q, k, qRows, tau, h, alpha);
      assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, want), `${got} vs ${want}`);
    }
    queue.dispose();
  }
});

Deno.test("mocoLoss: with keys computed outside the tape, only query params get gradients", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 30);
    const store = new ParamStore(seed);
    const wq = store.param("query.w", [4, 3], { kind: "normal", std: 1 });
    const wk = store.param("key.w", [4, 3], { kind: "normal", std: 1 });
    const x = tf.tensor2d(randRows(rng, 5, 4));
    const queue = new KeyQueue(8, 3, rng);
    const k = tf.tidy(() => tf.matMul(x, wk) as tf.Tensor2D); // outside the tape
    const { value, grads } = valueAndGrads(
      () => mocoLoss(tf.matMul(x, wq) as tf.Tensor2D, k, queue, 0.2),
      store.params(),
    );
    assert.deepEqual([...grads.keys()], ["query.w"]);
    const g = grads.get("query.w")!;
    assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) > 0, "query gradient is zero");
    // Computing k inside the tape instead would train the key encoder: mocoLoss does not detach.
    const inside = valueAndGrads(
      () => mocoLoss(tf.matMul(x, wq) as tf.Tensor2D, tf.matMul(x, wk) as tf.Tensor2D, queue, 0.2),
      store.params(),
    );
    assert.ok(inside.grads.has("key.w"));
    tf.dispose([value, g, k, x, inside.value, ...inside.grads.values()]);
    queue.dispose();
    store.dispose();
  }
});

Deno.test("mocoLoss: gradient w.r.t. q agrees with central finite differences", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 40);
    const queue = new KeyQueue(6, 3, rng);
    const k = tf.tensor2d(randRows(rng, 3, 3));
    const hard = tf.tensor2d(randRows(rng, 3, 3));
    const q = tf.tensor2d(randRows(rng, 3, 3));
    const r = checkGradients(
      ([x]) => mocoLoss(x as tf.Tensor2D, k, queue, 0.3, hard, 2),
      [q],
      { seed },
    );
    assert.ok(r.maxRelError < 1e-2, `seed ${seed}: ${r.maxRelError}`);
    tf.dispose([k, hard, q]);
    queue.dispose();
  }
});
