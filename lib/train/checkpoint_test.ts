import * as tf from "../tfjs.ts";
import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  CheckpointCorruptError,
  hasCheckpoint,
  loadCheckpoint,
  loadResumableCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";

await tf.setBackend("cpu");

function randomTensors(rng: Rng): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  const shape = () => Array.from({ length: rng.int(4) }, () => 1 + rng.int(5));
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  for (let i = 0; i < 6; i++) {
    const s = shape();
    const n = size(s);
    const kind = rng.int(3);
    if (kind === 0) {
      // Include extreme float32 values (denormals, infinities, NaN, -0) to test bit exactness.
      const special = [0, -0, 1e-45, -3.4e38, Infinity, -Infinity, NaN];
      const v = Float32Array.from(
        { length: n },
        () => rng.bernoulli(0.2) ? special[rng.int(special.length)] : rng.gaussian() * 1e3,
      );
      out.set(`model.layer${i}.kernel`, tf.tensor(v, s, "float32"));
    } else if (kind === 1) {
      const v = Int32Array.from({ length: n }, () => (rng.nextUint32() | 0));
      out.set(`optim/step/${i}`, tf.tensor(v, s, "int32"));
    } else {
      out.set(`mask ${i}`, tf.tensor(Uint8Array.from({ length: n }, () => rng.int(2)), s, "bool"));
    }
  }
  out.set("empty", tf.zeros([0, 3]));
  return out;
}

function bitsOf(t: tf.Tensor): Uint8Array {
  const d = t.dataSync();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "ckpt_test_" });
}

Deno.test("checkpoint: round trip is bit-exact for float32, int32 and bool tensors and meta", async () => {
  for (const seed of [1, 2, 3]) {
    const root = await tempDir();
    const dir = `${root}/run`; // not created yet: saveCheckpoint must create it
    assert.equal(await hasCheckpoint(dir), false);
    assert.equal(await loadCheckpoint(dir), null);
    const rng = new Rng(seed);
    const tensors = randomTensors(rng);
    const meta = {
      step: 1234 + seed,
      epoch: 7,
      rng: [1, 2, 3, 4],
      config: { lr: 5e-4, name: "é" },
    };
    await saveCheckpoint(dir, { tensors, meta });
    assert.equal(await hasCheckpoint(dir), true);
    const got = (await loadCheckpoint(dir))!;
    assert.deepEqual(got.meta, meta);
    assert.deepEqual([...got.tensors.keys()], [...tensors.keys()]);
    for (const [name, t] of tensors) {
      const u = got.tensors.get(name)!;
      assert.equal(u.dtype, t.dtype, name);
      assert.deepEqual(u.shape, t.shape, name);
      assert.deepEqual(bitsOf(u), bitsOf(t), `${name} differs after the round trip`);
    }
    tf.dispose([...tensors.values(), ...got.tensors.values()]);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("checkpoint: latest/previous/best tags and garbage collection of old blobs", async () => {
  const dir = await tempDir();
  const save = async (step: number, tags?: string[]) => {
    const t = tf.fill([4], step);
    await saveCheckpoint(dir, { tensors: new Map([["w", t]]), meta: { step } }, { tags });
    t.dispose();
  };
  const stepOf = async (tag: string) => {
    const c = (await loadCheckpoint(dir, { tag }))!;
    const w = c.tensors.get("w")!;
    assert.deepEqual(Array.from(w.dataSync()), [1, 1, 1, 1].map(() => c.meta.step));
    w.dispose();
    return c.meta.step;
  };
  await save(1);
  await save(2, ["latest", "best"]);
  await save(3);
  await save(4);
  assert.equal(await stepOf("latest"), 4);
  assert.equal(await stepOf("previous"), 3);
  assert.equal(await stepOf("best"), 2);
  const blobs = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".bin"));
  assert.equal(blobs.length, 3, "blobs of steps 1 and 2 (latest) should have been removed");
  await assert.rejects(
    () => saveCheckpoint(dir, { tensors: new Map(), meta: {} }, { tags: ["../x"] }),
    /invalid tag/,
  );
  await Deno.remove(dir, { recursive: true });
});

/** Two checkpoints (steps 1, 2) of seeded tensors in a fresh folder; the latest's blob and bytes. */
async function twoCheckpoints(seed: number) {
  const dir = await tempDir();
  const rng = new Rng(seed);
  const tensors = randomTensors(rng);
  await saveCheckpoint(dir, { tensors, meta: { step: 1 } });
  await saveCheckpoint(dir, { tensors, meta: { step: 2 } });
  const index = JSON.parse(await Deno.readTextFile(`${dir}/latest.json`));
  const blobPath = `${dir}/${index.blob}`;
  return { dir, rng, tensors, blobPath, bytes: await Deno.readFile(blobPath) };
}

Deno.test("checkpoint: truncated or corrupted blob is rejected, naming the file and the way out", async () => {
  const { dir, rng, tensors, blobPath, bytes } = await twoCheckpoints(5);

  await Deno.writeFile(blobPath, bytes.subarray(0, bytes.length - 3));
  const truncated = await loadCheckpoint(dir).then(() => null, (e: Error) => e);
  assert.ok(truncated, "a truncated blob was accepted");
  assert.ok(truncated.message.includes(blobPath), truncated.message);
  assert.match(truncated.message, /truncated/);
  assert.match(truncated.message, /previous/);

  const flipped = bytes.slice();
  flipped[rng.int(flipped.length)] ^= 1 << rng.int(8);
  await Deno.writeFile(blobPath, flipped);
  await assert.rejects(() => loadCheckpoint(dir), (e: Error) => {
    assert.ok(e.message.includes(blobPath) && /checksum/.test(e.message), e.message);
    return true;
  });

  // The error's advice works: the previous checkpoint is intact.
  const prev = (await loadCheckpoint(dir, { tag: "previous" }))!;
  assert.equal(prev.meta.step, 1);

  await Deno.writeTextFile(`${dir}/latest.json`, "{ not json");
  await assert.rejects(
    () => loadCheckpoint(dir),
    (e: Error) => e.message.includes(`${dir}/latest.json`),
  );
  tf.dispose([...tensors.values(), ...prev.tensors.values()]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: leftovers of a writer killed mid-write do not hide the previous checkpoint", async () => {
  const dir = await tempDir();
  const t = tf.fill([3, 3], 7);
  await saveCheckpoint(dir, { tensors: new Map([["w", t]]), meta: { step: 7 } });
  // Simulate a kill at each stage: half-written temp blob, renamed blob without index,
  // half-written temp index.
  await Deno.writeFile(`${dir}/.tmp-dead-1`, new Uint8Array(10));
  await Deno.writeFile(`${dir}/ckpt-orphan-0.bin`, new Uint8Array(100));
  await Deno.writeTextFile(`${dir}/.tmp-dead-2`, '{"format":"ssl-kit-checkpoint","blob":"ckpt-or');
  const got = (await loadCheckpoint(dir))!;
  assert.equal(got.meta.step, 7);
  assert.deepEqual(Array.from(got.tensors.get("w")!.dataSync()), new Array(9).fill(7));
  // The next save cleans up.
  await saveCheckpoint(dir, { tensors: new Map([["w", t]]), meta: { step: 8 } });
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.ok(!names.some((n) => n.startsWith(".tmp-") || n === "ckpt-orphan-0.bin"), names.join());
  assert.equal(names.filter((n) => n.endsWith(".bin")).length, 2);
  tf.dispose([t, ...got.tensors.values()]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: a writer process killed (SIGKILL) at random moments leaves a loadable checkpoint", async () => {
  const dir = await tempDir();
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const child = `${dir}/child.ts`;
  await Deno.writeTextFile(
    child,
    `import * as tf from "${new URL("../tfjs.ts", import.meta.url).href}";
import { saveCheckpoint } from "${new URL("./checkpoint.ts", import.meta.url).href}";
await tf.setBackend("cpu");
const out = Deno.args[0];
for (let step = 1; ; step++) {
  const w = tf.fill([512, 512], step);
  const i = tf.fill([1000], step, "int32");
  await saveCheckpoint(out, { tensors: new Map([["w", w], ["i", i]]), meta: { step } });
  tf.dispose([w, i]);
  console.log(step);
}
`,
  );
  const rng = new Rng(42);
  let killedWithLeftovers = 0;
  for (let round = 0; round < 3; round++) {
    const out = `${dir}/out${round}`;
    const proc = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", config, child, out],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    while ((seen.match(/\n/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) throw new Error("checkpoint writer child exited early");
      seen += value;
    }
    await new Promise((r) => setTimeout(r, rng.int(40)));
    proc.kill("SIGKILL");
    await proc.status;
    await reader.cancel().catch(() => {});
    const names = [...Deno.readDirSync(out)].map((e) => e.name);
    if (
      names.some((n) => n.startsWith(".tmp-")) || names.filter((n) => n.endsWith(".bin")).length > 2
    ) {
      killedWithLeftovers++;
    }
    const latest = (await loadCheckpoint(out))!;
    const step = latest.meta.step as number;
    assert.ok(step >= 2, `latest step ${step}`);
    assert.ok(latest.tensors.get("w")!.dataSync().every((x) => x === step));
    assert.ok(latest.tensors.get("i")!.dataSync().every((x) => x === step));
    const prev = (await loadCheckpoint(out, { tag: "previous" }))!;
    assert.ok(prev.meta.step === step - 1 || prev.meta.step === step, `previous ${prev.meta.step}`);
    tf.dispose([...latest.tensors.values(), ...prev.tensors.values()]);
  }
  console.log(`kills that interrupted a write (leftover files): ${killedWithLeftovers}/3`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: a damaged latest falls back to previous, says so, and names no library call", async () => {
  const { dir, tensors, blobPath, bytes } = await twoCheckpoints(6);
  await Deno.writeFile(blobPath, bytes.subarray(0, bytes.length - 5));

  const direct = await loadCheckpoint(dir).then(() => null, (e: Error) => e);
  assert.ok(direct instanceof CheckpointCorruptError, String(direct));
  assert.doesNotMatch(direct.message, /loadCheckpoint|tag:/, "advice a CLI user cannot follow");
  assert.match(direct.message, /--fresh/);

  const lines: string[] = [];
  const got = (await loadResumableCheckpoint(dir, (l) => lines.push(l)))!;
  assert.equal(got.tag, "previous");
  assert.equal(got.meta.step, 1);
  assert.match(lines.join("\n"), /truncated.*previous checkpoint/s);
  tf.dispose([...got.tensors.values()]);
  // The damaged index is gone, so the next save keeps a good "previous".
  assert.equal(await hasCheckpoint(dir), false);
  await saveCheckpoint(dir, { tensors, meta: { step: 3 } });
  const prev = (await loadCheckpoint(dir, { tag: "previous" }))!;
  assert.equal(prev.meta.step, 1);
  tf.dispose([...prev.tensors.values()]);

  // Both damaged: one error naming the way out.
  for (const tag of ["latest", "previous"]) {
    const ix = JSON.parse(await Deno.readTextFile(`${dir}/${tag}.json`));
    await Deno.writeFile(`${dir}/${ix.blob}`, new Uint8Array(3));
  }
  await assert.rejects(
    () => loadResumableCheckpoint(dir, () => {}),
    (e: Error) => /no usable previous checkpoint.*--fresh/.test(e.message),
  );
  tf.dispose([...tensors.values()]);
  await Deno.remove(dir, { recursive: true });
});
