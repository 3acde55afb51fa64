import assert, { deepEqual } from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";
import { planBroadcast } from "./dnnl_kernels/broadcast_plan.ts";
import { nativeKernelProfile } from "./register.ts";

const status = await nativeForTests("binary_test.ts");

const OPS: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ["add", tf.add],
  ["sub", tf.sub],
  ["mul", tf.mul],
  ["div", (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ["maximum", tf.maximum],
  ["minimum", tf.minimum],
  ["squaredDifference", tf.squaredDifference],
];

// Full x full, per-channel, scalar, broadcast first operand, per-row, per-(batch, channel),
// and a small pair that stays on the cpu kernel.
const SHAPES: [number[], number[]][] = [
  [[16, 8, 8, 16], [16, 8, 8, 16]],
  [[16, 8, 8, 16], [16]],
  [[16, 8, 8, 16], []],
  [[1, 1, 1, 16], [16, 8, 8, 16]],
  [[], [64, 64]],
  [[128, 64], [128, 1]],
  [[4, 4, 4, 32], [4, 1, 1, 32]],
  [[64, 1, 32], [64, 48, 1]], // both operands broadcast
  [[3, 5], [5]],
];

Deno.test("planBroadcast merges axes so src1 is full or 1 per axis and sizes are preserved", () => {
  const rng = new Rng(3);
  for (let t = 0; t < 200; t++) {
    const rank = 1 + rng.int(4);
    const out = Array.from({ length: rank }, () => 1 + rng.int(4));
    const b = out.map((d) => (rng.bernoulli(0.4) ? 1 : d)).slice(rng.int(rank));
    const plan = planBroadcast(out, b, false);
    assert(plan !== null);
    deepEqual(plan.out, out);
    const n0 = plan.dims0.reduce((x, y) => x * y, 1);
    const n1 = plan.dims1.reduce((x, y) => x * y, 1);
    deepEqual(n0, out.reduce((x, y) => x * y, 1));
    deepEqual(n1, b.reduce((x, y) => x * y, 1));
    plan.dims1.forEach((d, i) => assert(d === 1 || d === plan.dims0[i]));
  }
  assert(planBroadcast([4, 1], [1, 5], true) === null, "both operands broadcast");
  assert(planBroadcast([1, 5], [4, 5], false) === null, "first operand broadcast, not commutative");
});

Deno.test({
  name: "native binary kernels match the cpu kernels with and without broadcasting",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(4);
    nativeKernelProfile(true);
    for (const [name, op] of OPS) {
      for (const [sa, sb] of SHAPES) {
        const diff = await nativeVsCpu([gaussian(rng, sa), gaussian(rng, sb)], op);
        assert(diff < 1e-5, `${name} [${sa}] x [${sb}]: native differs from cpu by ${diff}`);
      }
    }
    // Only the small pair fell back: broadcast first operands and both-broadcast pairs of
    // every op ran on oneDNN (8 large shape pairs per op).
    const prof = nativeKernelProfile(false);
    for (const kernel of ["Sub", "RealDiv", "Maximum"]) {
      assert.equal(prof.get(kernel)?.calls, 8, `${kernel}: native calls`);
      assert.equal(prof.get(`${kernel} (declined)`)?.calls, 1, `${kernel}: declined calls`);
    }
  },
});

Deno.test({
  name: "native sub, div, max and min with broadcast first operands are bit-identical to the cpu",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(6);
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ["sub", tf.sub],
      ["div", tf.div],
      ["maximum", tf.maximum],
      ["minimum", tf.minimum],
    ];
    for (const [name, op] of ops) {
      for (const [sa, sb] of [[[], [64, 64]], [[1, 16], [512, 16]], [[64, 1, 32], [64, 48, 1]]]) {
        const diff = await nativeVsCpu([gaussian(rng, sa), gaussian(rng, sb)], op);
        assert(diff === 0, `${name} [${sa}] x [${sb}]: native differs from cpu by ${diff}`);
      }
    }
  },
});

Deno.test({
  name: "native binary kernel treats a bool tensor cast to float32 as 0/1 floats",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(5);
    const diff = await nativeVsCpu(
      [gaussian(rng, [64, 64]), gaussian(rng, [64, 64])],
      (a, b) => tf.mul(a, tf.cast(tf.greater(b, 0), "float32")),
    );
    assert(diff < 1e-6, `mul by cast bool: diff ${diff}`);
  },
});
