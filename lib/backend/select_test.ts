import assert from "node:assert/strict";
import * as tf from "../tfjs.ts";
import { BACKEND_NAMES, backendLine, describeBackends, initBackend } from "./select.ts";
import { findTfjsNode } from "./tensorflow_probe.ts";

Deno.test("describeBackends lists every backend; wasm and cpu are available", async () => {
  const rows = await describeBackends();
  assert.deepEqual(rows.map((r) => r.name), [...BACKEND_NAMES]);
  for (const r of rows) {
    assert.ok(r.detail.length > 0, r.name);
    if (r.autoEligible) assert.ok(r.available, `${r.name} auto-eligible but unavailable`);
  }
  assert.ok(rows.find((r) => r.name === "wasm")?.available);
  assert.ok(rows.find((r) => r.name === "cpu")?.available);
});

Deno.test("explicit cpu and wasm are honoured and reported", async () => {
  const cpu = await initBackend({ backend: "cpu" });
  assert.equal(cpu.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(cpu.kernelsPatched, []);
  assert.equal(cpu.tfjsVersion, tf.version_core);

  const logs: string[] = [];
  const wasm = await initBackend({ backend: "wasm", threads: 1, log: (m) => logs.push(m) });
  assert.equal(wasm.name, "wasm");
  assert.equal(wasm.requested, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(wasm.threads >= 1);
  assert.ok(wasm.kernelsPatched.includes("Conv2DBackpropFilter"));
  assert.ok(logs.some((l) => l.includes("wasm")));
});

Deno.test("auto never settles on cpu while wasm works, and says why", async () => {
  const prev = Deno.env.get("KIT_BACKEND");
  Deno.env.delete("KIT_BACKEND");
  try {
    const info = await initBackend({ backend: "auto", threads: 1 });
    assert.notEqual(info.name, "cpu");
    assert.equal(info.requested, "auto");
    assert.match(info.reason, /auto/);
    if (!findTfjsNode().found) assert.match(info.reason, /not tensorflow/);
  } finally {
    if (prev !== undefined) Deno.env.set("KIT_BACKEND", prev);
  }
});

Deno.test("an unavailable explicit backend fails naming why and what is available", async () => {
  if (findTfjsNode().found) return; // tfjs-node is installed here: nothing unavailable to ask
  await assert.rejects(
    () => initBackend({ backend: "tensorflow" }),
    (e: Error) => {
      assert.match(e.message, /'tensorflow' is unavailable/);
      assert.match(e.message, /tfjs-node/);
      assert.match(e.message, /Available here: .*wasm/);
      return true;
    },
  );
});

Deno.test("KIT_BACKEND overrides auto and is validated", async () => {
  const prev = Deno.env.get("KIT_BACKEND");
  try {
    Deno.env.set("KIT_BACKEND", "cpu");
    assert.equal((await initBackend()).name, "cpu");
    assert.equal((await initBackend({ backend: "wasm", threads: 1 })).name, "wasm");
    Deno.env.set("KIT_BACKEND", "tpu");
    await assert.rejects(() => initBackend(), /KIT_BACKEND: unknown backend 'tpu'; use one of/);
  } finally {
    if (prev === undefined) Deno.env.delete("KIT_BACKEND");
    else Deno.env.set("KIT_BACKEND", prev);
  }
});

Deno.test("bad thread counts are rejected with the fix", async () => {
  await assert.rejects(() => initBackend({ backend: "cpu", threads: 0 }), /positive integer/);
});

Deno.test("backendLine: one line naming the choice and each skipped backend by its first clause", () => {
  const line = backendLine(
    "native",
    "oneDNN 2.6.3 through Deno FFI (35 native kernels)",
    [
      "tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (x); y",
      "webgpu: only a software adapter (llvmpipe); slower than wasm",
    ],
  );
  assert.equal(
    line,
    "backend: native (oneDNN 2.6.3 through Deno FFI); skipped tensorflow (neither " +
      "@tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed), webgpu (only a " +
      "software adapter)",
  );
  assert.ok(!line.includes("\n"));
  assert.equal(backendLine("wasm", "", []), "backend: wasm");
});
