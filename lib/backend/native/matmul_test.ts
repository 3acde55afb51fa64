import assert from "node:assert/strict";
import * as tf from "../../tfjs.ts";
import { Rng } from "../../rng.ts";
import { gaussian, nativeForTests, nativeVsCpu } from "./cpu_reference.ts";

const status = await nativeForTests("matmul_test.ts");

Deno.test({
  name: "native BatchMatMul matches the cpu kernel for every transpose and batch broadcast",
  ignore: !status.available,
  fn: async () => {
    const rng = new Rng(10);
    const cases: [number[], number[]][] = [
      [[64, 48], [48, 80]],
      [[3, 33, 40], [3, 40, 17]],
      [[1, 32, 40], [5, 40, 32]],
      [[4, 32, 40], [40, 64]],
      [[1, 64], [64, 300]], // batch-1 row vector
    ];
    for (const [sa, sb] of cases) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = [...sa];
          const b = [...sb];
          if (ta) [a[a.length - 1], a[a.length - 2]] = [a[a.length - 2], a[a.length - 1]];
          if (tb) [b[b.length - 1], b[b.length - 2]] = [b[b.length - 2], b[b.length - 1]];
          const diff = await nativeVsCpu(
            [gaussian(rng, a), gaussian(rng, b)],
            (x, y) => tf.matMul(x, y, ta, tb),
          );
          assert(diff < 1e-4, `matmul [${a}]${ta ? "^T" : ""} x [${b}]${tb ? "^T" : ""}: ${diff}`);
        }
      }
    }
  },
});
