import assert from "node:assert/strict";
import { main } from "./data.ts";
import { gzipBytes, writeTar } from "../lib/data/tar_write.ts";
import { encode as encodePng } from "fast-png";
import { Rng } from "../lib/rng.ts";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("cli data: --help, unknown command, bad options exit non-zero with a message", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /import <name> <source>/);
  assert.equal((await run([])).code, 2);
  const bad = await run(["frobnicate"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown command "frobnicate"/);
  assert.match((await run(["info", "x", "--bogus"])).err, /unknown option --bogus/);
  const unknown = await run(["info", "nosuch", "--cache-dir", "/nonexistent-kit-cache"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /unknown dataset "nosuch"; known: .*deno task data import/);
});

Deno.test("cli data: import an image folder tar.gz, then info --json and list show it", async () => {
  const rng = new Rng(110);
  const cache = await Deno.makeTempDir();
  try {
    const files = [];
    for (const split of ["train", "test"]) {
      for (const cls of ["cat", "dog"]) {
        for (let i = 0; i < 3; i++) {
          const data = encodePng({
            width: 6,
            height: 6,
            data: new Uint8Array(108).map(() => rng.int(256)),
            channels: 3,
            depth: 8,
          });
          files.push({ name: `pets/${split}/${cls}/${i}.png`, data });
        }
      }
    }
    const src = `${cache}/pets.tar.gz`;
    await Deno.writeFile(src, await gzipBytes(writeTar(files)));
    const imp = await run(["import", "pets", src, "--size", "4x4", "--cache-dir", cache]);
    assert.equal(imp.code, 0, imp.err);
    assert.match(imp.out, /imported pets .*6 train \/ 6 test, 2 classes, 4x4x3/);
    const info = await run(["info", "pets", "--json", "--cache-dir", cache]);
    assert.equal(info.code, 0, info.err);
    const j = JSON.parse(info.out);
    assert.deepEqual(
      {
        name: j.name,
        train: j.train,
        test: j.test,
        classes: j.classes,
        imageShape: j.imageShape,
        synthetic: j.synthetic,
      },
      {
        name: "pets",
        train: 6,
        test: 6,
        classes: ["cat", "dog"],
        imageShape: [4, 4, 3],
        synthetic: false,
      },
    );
    const list = JSON.parse((await run(["list", "--json", "--cache-dir", cache])).out);
    assert.ok(
      list.some((r: { name: string; status: string }) =>
        r.name === "pets" && r.status === "imported"
      ),
    );
    assert.ok(list.some((r: { name: string }) => r.name === "cifar10"));
    const syn = JSON.parse((await run(["info", "synthetic", "--json"])).out);
    assert.equal(syn.displayName, "Synthetic shapes (procedural)");
    assert.equal(syn.synthetic, true);
    const badSize = await run(["import", "pets2", src, "--size", "4by4", "--cache-dir", cache]);
    assert.equal(badSize.code, 1);
    assert.match(badSize.err, /--size 4by4 is not HxW/);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
