import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { diagonalMatrix } from "./diagonal.ts";

Deno.test("diagonalMatrix matches tf.eye and a shifted one-hot", async () => {
  const eye = tf.eye(3, 4);
  assert.deepEqual(Array.from(diagonalMatrix(3, 4).dataSync()), Array.from(eye.dataSync()));
  const shifted = diagonalMatrix(4, 4, -2, (i) => (i + 2) % 4);
  // deno-fmt-ignore
  const want = [
    0, 0, -2, 0,
    0, 0, 0, -2,
    -2, 0, 0, 0,
    0, -2, 0, 0,
  ];
  assert.deepEqual(Array.from(await shifted.data()), want);
  tf.dispose([eye, shifted]);
});

Deno.test("diagonalMatrix rejects a column outside the matrix", () => {
  assert.throws(() => diagonalMatrix(3, 2), /row 2 maps to column 2/);
});
