import assert from "node:assert/strict";

async function train(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./train.ts", import.meta.url).pathname, ...args],
    env: { KIT_BACKEND: "wasm", KIT_THREADS: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("train --list-methods prints one method name per line", async () => {
  const r = await train(["--list-methods"]);
  assert.equal(r.code, 0);
  const names = r.stdout.trim().split("\n");
  assert.ok(names.includes("simclr"), r.stdout);
  for (const n of names) assert.match(n, /^[a-z0-9-]+$/);
});

Deno.test("train rejects bad flags with a message naming the flag", async () => {
  let r = await train(["--epochs", "two"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--epochs expects an integer, got "two"/);
  r = await train(["--method", "nope", "--epochs", "1"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unknown method "nope".*simclr/);
  r = await train(["--backend", "tpu"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown --backend "tpu"/);
});

Deno.test("train ends with one JSON line holding the contract fields (auto -> synthetic)", async () => {
  const out = await Deno.makeTempDir();
  const empty = await Deno.makeTempDir();
  const r = await train([
    "--method=simclr",
    "--dataset=auto",
    "--epochs=1",
    "--train-size=64",
    "--test-size=40",
    "--batch-size=16",
    "--arch=resnet6",
    "--width=4",
    "--linear-max-iter=20",
    `--out=${out}`,
  ], { KIT_DATA_DIR: empty, KIT_CACHE_DIR: empty });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /dataset auto -> synthetic \(none of cifar10-jpeg/);
  const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  for (const k of ["linearTop1", "knnTop1", "randomInitLinearTop1", "backend", "seconds"]) {
    assert.ok(k in last, `missing ${k}`);
  }
  const cfg = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  assert.equal(cfg.encoder.backbone.zeroInitResidual, false, "residual scales start at 1");
  assert.equal(last.backend, "wasm");
  assert.equal(last.synthetic, true);
  await Deno.remove(out, { recursive: true });
  await Deno.remove(empty, { recursive: true });
});

Deno.test("train refuses a malformed --crop-scale before doing anything", async () => {
  const r = await train(["--crop-scale=0.5,0.2"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--crop-scale expects "lo,hi" with 0 < lo <= hi <= 1/);
});

Deno.test("train --method <name> --help lists that method's options from its schema", async () => {
  const r = await train(["--method", "kdc-mae", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: deno task train/);
  assert.match(r.stdout, /Options of kdc-mae/);
  assert.match(r.stdout, /^ {2}lambdaKd = 10\n {6}weight lambda_kd/m);
  assert.match(r.stdout, /^ {2}streams = 2\n.*\n {6}values: one of "2", "3"/m);
  const plain = await train(["--help"]);
  assert.doesNotMatch(plain.stdout, /Options of/);
});
