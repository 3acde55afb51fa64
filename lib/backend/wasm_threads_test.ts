import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { Rng } from "../rng.ts";
import { initBackend } from "./select.ts";

/**
 * Child mode (`deno run -A wasm_threads_test.ts --child N`): start wasm with N threads, run
 * a conv forward and its patched filter gradient, print {threads, fwd, grad} as JSON, and
 * return (the process must then exit on its own, pool threads notwithstanding).
 */
async function child(threads: number): Promise<void> {
  const info = await initBackend({ backend: "wasm", threads });
  const rng = new Rng(5);
  const x = tf.tensor4d(Float32Array.from({ length: 4 * 12 * 12 * 8 }, () => rng.gaussian()), [
    4,
    12,
    12,
    8,
  ]);
  const f = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 8 * 8 }, () => rng.gaussian()), [
    3,
    3,
    8,
    8,
  ]);
  const y = tf.conv2d(x, f, 2, "same");
  const grad = tf.grad((w: tf.Tensor) =>
    tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, 2, "same")))
  )(f);
  console.log(JSON.stringify({
    threads: info.threads,
    fwd: [...(y.dataSync() as Float32Array)],
    grad: [...(grad.dataSync() as Float32Array)],
  }));
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--child");
  if (i >= 0) await child(Number(Deno.args[i + 1]));
}

async function runChild(
  threads: number,
): Promise<{ threads: number; fwd: number[]; grad: number[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", String(threads)],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(
    out.code,
    0,
    `child with ${threads} threads failed: ${new TextDecoder().decode(out.stderr)}`,
  );
  const line = text.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `child printed no result: ${text}`);
  return JSON.parse(line);
}

Deno.test("threaded wasm starts under Deno, computes what 1 thread computes, and exits", async () => {
  const [one, two] = await Promise.all([runChild(1), runChild(2)]);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  for (const key of ["fwd", "grad"] as const) {
    assert.equal(two[key].length, one[key].length);
    const scale = Math.max(1, ...one[key].map(Math.abs));
    for (let i = 0; i < one[key].length; i++) {
      assert.ok(Math.abs(two[key][i] - one[key][i]) <= 1e-4 * scale, `${key}[${i}]`);
    }
  }
});
