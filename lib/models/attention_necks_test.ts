import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { ParamStore, valueAndGrads } from "../nn/params.ts";
import { Rng } from "../rng.ts";
import { buildEncoder, type PartConfig } from "./encoder.ts";
import { AttentionPool } from "./attention_pool.ts";
import { GatedAttentionPool } from "./gated_attention_pool.ts";
import { Hsagm } from "./hsagm.ts";
import type { MaskedTokens } from "./token_attention.ts";

await tf.setBackend("cpu");

type AttentionNeck = AttentionPool | GatedAttentionPool | Hsagm;
const CTX = { training: true };

function build(
  kind: string,
  store: ParamStore,
  channels: number,
  mode: MaskedTokens,
): AttentionNeck {
  switch (kind) {
    case "sam":
      return new AttentionPool(store, "neck", channels, {
        type: "sam",
        hidden: 6,
        maskedTokens: mode,
      });
    case "gam":
      return new GatedAttentionPool(store, "neck", channels, {
        type: "gam",
        hidden: 6,
        maskedTokens: mode,
      });
    default:
      return new Hsagm(store, "neck", channels, {
        type: "hsagm",
        mlpDim: 7,
        gruDim: 5,
        attnDim: 4,
        outDim: 3,
        maskedTokens: mode,
        ...(kind === "hsagm-gated" ? { scorer: "gated" as const } : {}),
      });
  }
}

function randomMap(rng: Rng, shape: [number, number, number, number]): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = rng.gaussian();
  return tf.tensor4d(v, shape);
}

/** Random 0/1 mask [n,t] with at least one visible and one masked token per row. */
function randomMask(rng: Rng, n: number, t: number): tf.Tensor2D {
  const m = new Float32Array(n * t);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < t; k++) m[i * t + k] = rng.bernoulli(0.5) ? 1 : 0;
    m[i * t + rng.int(t)] = 1;
    let masked = rng.int(t);
    while (m[i * t + masked] === 1 && t > 1) {
      m[i * t + masked] = 0;
      if (m.subarray(i * t, i * t + t).some((x) => x === 1)) break;
      m[i * t + masked] = 1;
      masked = (masked + 1) % t;
    }
  }
  return tf.tensor2d(m, [n, t]);
}

const KINDS = ["sam", "gam", "hsagm", "hsagm-gated"];
const SEEDS = [1, 2, 3];

for (const kind of KINDS) {
  Deno.test(`${kind}: attention rows sum to 1 and excluded tokens get weight exactly 0`, () => {
    for (const seed of SEEDS) {
      const rng = new Rng(seed);
      const store = new ParamStore(seed);
      const neck = build(kind, store, 8, "exclude");
      const before = tf.memory().numTensors;
      const [n, h, w] = [3, 1 + rng.int(3), 2 + rng.int(3)];
      const fmap = randomMap(rng, [n, h, w, 8]);
      const mask = randomMask(rng, n, h * w);
      const a = neck.attention(fmap, CTX, mask);
      assert.deepEqual(a.shape, [n, h * w]);
      const av = a.dataSync();
      const mv = mask.dataSync();
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let k = 0; k < h * w; k++) {
          sum += av[i * h * w + k];
          if (mv[i * h * w + k] === 0) {
            assert.equal(av[i * h * w + k], 0, `masked token ${k} has weight`);
          } else assert.ok(av[i * h * w + k] > 0);
        }
        assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
      }
      // without a mask every token gets a positive weight
      const freeT = neck.attention(fmap, CTX);
      const free = freeT.dataSync();
      freeT.dispose();
      assert.ok(free.every((x) => x > 0));
      tf.dispose([fmap, mask, a]);
      assert.equal(tf.memory().numTensors, before, "attention leaked tensors");
      store.dispose();
    }
  });

  Deno.test(`${kind}: with maskedTokens "keep" the token mask has no effect`, () => {
    for (const seed of SEEDS) {
      const rng = new Rng(seed + 10);
      const store = new ParamStore(seed);
      const neck = build(kind, store, 8, "keep");
      const fmap = randomMap(rng, [2, 3, 3, 8]);
      const mask = randomMask(rng, 2, 9);
      assert.deepEqual(neck.apply(fmap, CTX, mask).dataSync(), neck.apply(fmap, CTX).dataSync());
      assert.deepEqual(
        neck.attention(fmap, CTX, mask).dataSync(),
        neck.attention(fmap, CTX).dataSync(),
      );
      // "exclude" with the same weights does change the output (the test can fail)
      const excl = build(kind, new ParamStore(seed), 8, "exclude");
      const diff = tf.max(tf.abs(tf.sub(excl.apply(fmap, CTX, mask), neck.apply(fmap, CTX, mask))));
      assert.ok(diff.dataSync()[0] > 1e-6);
      store.dispose();
    }
  });

  Deno.test(`${kind}: gradients reach every parameter through the neck`, () => {
    for (const seed of SEEDS) {
      const rng = new Rng(seed + 20);
      const store = new ParamStore(seed);
      const neck = build(kind, store, 8, "exclude");
      const fmap = randomMap(rng, [2, 2, 3, 8]);
      const mask = randomMask(rng, 2, 6);
      const target = randomMap(rng, [2, 1, 1, neck.outFeatures]).reshape([2, neck.outFeatures]);
      const params = store.params();
      const { value, grads } = valueAndGrads(
        () => tf.sum(tf.square(tf.sub(neck.apply(fmap, CTX, mask), target))) as tf.Scalar,
        params,
      );
      assert.ok(Number.isFinite(value.dataSync()[0]));
      for (const [name, p] of params) {
        const g = grads.get(name);
        assert.ok(g, `no gradient for ${name}`);
        assert.deepEqual(g.shape, p.shape);
        const norm = tf.sum(tf.abs(g)).dataSync()[0];
        assert.ok(norm > 0 && Number.isFinite(norm), `gradient of ${name} is ${norm}`);
      }
      store.dispose();
    }
  });

  Deno.test(`${kind}: registered in the encoder and its FLOPs are counted`, () => {
    const store = new ParamStore(0);
    const neckCfg: PartConfig = kind.startsWith("hsagm")
      ? {
        type: "hsagm",
        mlpDim: 7,
        gruDim: 5,
        attnDim: 4,
        outDim: 3,
        ...(kind === "hsagm-gated" ? { scorer: "gated" } : {}),
      }
      : { type: kind, hidden: 6 };
    const enc = buildEncoder(store, {
      backbone: { type: "resnet", blocks: [1, 1], width: 4 },
      neck: neckCfg,
    });
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 1) as tf.Tensor4D;
    assert.deepEqual(enc.embed(x, { training: false }).shape, [2, enc.neck.outFeatures]);
    assert.ok(store.paramsUnder("neck.").size > 0);
    const f = enc.flops(8, 8);
    assert.equal(f.neck, 2 * enc.neck.macs(16, 8));
    store.dispose();
  });
}

/** Applies permutation `perm` to the tokens of fmap [N,h,w,C] (row-major tokens). */
function permuteTokens(fmap: tf.Tensor4D, perm: Int32Array): tf.Tensor4D {
  const [n, h, w, c] = fmap.shape;
  const tokens = tf.reshape(fmap, [n, h * w, c]);
  return tf.reshape(tf.gather(tokens, tf.tensor1d(perm, "int32"), 1), [n, h, w, c]);
}

for (const kind of ["sam", "gam"]) {
  Deno.test(`${kind}: output is invariant to permuting tokens (mask permuted alike)`, () => {
    for (const seed of SEEDS) {
      const rng = new Rng(seed + 30);
      const store = new ParamStore(seed);
      const neck = build(kind, store, 8, "exclude");
      const fmap = randomMap(rng, [2, 3, 4, 8]);
      const mask = randomMask(rng, 2, 12);
      const perm = rng.permutation(12);
      const permMask = tf.gather(mask, tf.tensor1d(perm, "int32"), 1) as tf.Tensor2D;
      const z = neck.apply(fmap, CTX, mask).dataSync();
      const zp = neck.apply(permuteTokens(fmap, perm), CTX, permMask).dataSync();
      for (let i = 0; i < z.length; i++) assert.ok(Math.abs(z[i] - zp[i]) < 1e-5);
      store.dispose();
    }
  });
}

Deno.test("hsagm: output depends on token order (the GRU is sequential)", () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed + 40);
    const store = new ParamStore(seed);
    const neck = build("hsagm", store, 8, "keep");
    const fmap = randomMap(rng, [2, 3, 4, 8]);
    const perm = rng.permutation(12);
    const diff = tf.max(
      tf.abs(tf.sub(neck.apply(fmap, CTX), neck.apply(permuteTokens(fmap, perm), CTX))),
    );
    assert.ok(
      diff.dataSync()[0] > 1e-5,
      `permuting tokens changed nothing (${diff.dataSync()[0]})`,
    );
    store.dispose();
  }
});

Deno.test("parameter names and creation order are stable (checkpoints key on them)", () => {
  const names = (kind: string) => {
    const store = new ParamStore(0);
    build(kind, store, 8, "exclude");
    const out = [...store.params()].map(([name, v]) => `${name}:${v.shape}`);
    store.dispose();
    return out;
  };
  assert.deepEqual(names("sam"), ["neck.v.weight:8,6", "neck.v.bias:6", "neck.w.weight:6,1"]);
  assert.deepEqual(names("gam"), [
    "neck.v.weight:8,6",
    "neck.v.bias:6",
    "neck.u.weight:8,6",
    "neck.u.bias:6",
    "neck.w.weight:6,1",
  ]);
  assert.deepEqual(names("hsagm").map((n) => n.split(":")[0]), [
    "neck.mlp.weight",
    "neck.mlp.bias",
    ...["z", "r", "h"].flatMap((g) => ["wx", "wh", "b"].map((p) => `neck.gru.${g}.${p}`)),
    "neck.attn_hidden.weight",
    "neck.attn_hidden.bias",
    "neck.attn_score.weight",
    "neck.fc.weight",
    "neck.fc.bias",
  ]);
});

Deno.test("MACs of small configs equal a count by hand", () => {
  const store = new ParamStore(0);
  // 3x4 map (T = 12 tokens), C = 8 channels.
  const sam = new AttentionPool(store, "sam", 8, { type: "sam", hidden: 6 });
  // V: 12 tokens x 8x6, w: 12 x 6x1, weighted sum: 12 x 8
  assert.equal(sam.macs(12, 8), 12 * 48 + 12 * 6 + 12 * 8);
  const gam = new GatedAttentionPool(store, "gam", 8, { type: "gam", hidden: 6 });
  // V and U: 2 x 12 x 48, w: 12 x 6, weighted sum: 12 x 8
  assert.equal(gam.macs(12, 8), 2 * 12 * 48 + 12 * 6 + 12 * 8);
  const hs = new Hsagm(store, "hs", 8, {
    type: "hsagm",
    mlpDim: 7,
    gruDim: 5,
    attnDim: 4,
    outDim: 3,
  });
  const mlp = 12 * 8 * 7; // F5
  const gru = 12 * 3 * (7 * 5 + 5 * 5); // F6-F8: 3 gates x (input + hidden products)
  const attn = 12 * (5 * 4 + 4 * 1); // F9: W_b then W_a
  const pool = 12 * 5; // weighted sum of GRU states
  const fc = 5 * 3;
  assert.equal(hs.macs(12, 8), mlp + gru + attn + pool + fc);
  const gated = new Hsagm(store, "hg", 8, {
    type: "hsagm",
    mlpDim: 7,
    gruDim: 5,
    attnDim: 4,
    outDim: 3,
    scorer: "gated",
  });
  // The gated scorer adds U: 12 tokens x 5x4.
  assert.equal(gated.macs(12, 8), mlp + gru + attn + 12 * 5 * 4 + pool + fc);
  store.dispose();
});

Deno.test("hsagm scorers: relu is F9 (W_a ReLU(W_b F'')), gated is w^T(tanh(V F'') * sigmoid(U F''))", () => {
  for (const scorer of ["relu", "gated"] as const) {
    const store = new ParamStore(7);
    const neck = new Hsagm(store, "neck", 8, {
      type: "hsagm",
      mlpDim: 7,
      gruDim: 5,
      attnDim: 4,
      outDim: 3,
      maskedTokens: "keep",
      ...(scorer === "gated" ? { scorer } : {}),
    });
    assert.equal(neck.scorer, scorer);
    assert.equal(neck.attnGate !== undefined, scorer === "gated");
    const fmap = randomMap(new Rng(5), [2, 3, 4, 8]);
    const states = neck.states(fmap);
    // Scores by hand from the weights, then a softmax over the 12 tokens.
    const rows = tf.reshape(states, [24, 5]);
    const lin = (l: { weight: tf.Tensor; bias?: tf.Tensor }, x: tf.Tensor) =>
      l.bias ? tf.add(tf.matMul(x as tf.Tensor2D, l.weight as tf.Tensor2D), l.bias) : tf.matMul(
        x as tf.Tensor2D,
        l.weight as tf.Tensor2D,
      );
    const hidden = scorer === "gated"
      ? tf.mul(tf.tanh(lin(neck.attnHidden, rows)), tf.sigmoid(lin(neck.attnGate!, rows)))
      : tf.relu(lin(neck.attnHidden, rows));
    const e = tf.reshape(lin(neck.attnScore, hidden), [2, 12]);
    const want = tf.softmax(e).dataSync();
    const got = neck.attention(fmap, CTX).dataSync();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i] - got[i]) < 1e-5, `${i}`);
    store.dispose();
  }
  assert.throws(
    () =>
      new Hsagm(new ParamStore(0), "x", 8, {
        type: "hsagm",
        mlpDim: 2,
        gruDim: 2,
        attnDim: 2,
        outDim: 2,
        scorer: "tanh" as never,
      }),
    /hsagm: scorer must be one of "relu", "gated"/,
  );
});

Deno.test("bad neck configs and token masks are rejected with a fix", () => {
  const store = new ParamStore(0);
  assert.throws(
    () => new AttentionPool(store, "a", 8, { type: "sam", hidden: 0 }),
    /sam neck: "hidden" must be a positive integer/,
  );
  assert.throws(
    () =>
      new GatedAttentionPool(store, "b", 8, {
        type: "gam",
        hidden: 4,
        maskedTokens: "drop" as never,
      }),
    /maskedTokens must be one of exclude, keep/,
  );
  const neck = new AttentionPool(store, "c", 4, { type: "sam", hidden: 3 });
  const fmap = tf.zeros([2, 2, 2, 4]) as tf.Tensor4D;
  assert.throws(
    () => neck.apply(fmap, CTX, tf.ones([2, 5]) as tf.Tensor2D),
    /tokenMask has shape \[2,5\]/,
  );
  store.dispose();
});
