import assert from "node:assert/strict";
import { readTarBytes, readTarFile, type TarEntry, TarParser } from "./tar.ts";
import { gzipBytes, type LongNameStyle, type TarWriteEntry, writeTar } from "./tar_write.ts";
import { Rng } from "../rng.ts";

function randomEntries(rng: Rng, n: number): TarWriteEntry[] {
  const entries: TarWriteEntry[] = [{ name: "top/" }];
  for (let i = 0; i < n; i++) {
    // Names up to ~250 bytes so that some need GNU long names / pax paths.
    const depth = 1 + rng.int(6);
    const parts = ["top"];
    for (let d = 0; d < depth; d++) parts.push(`d${rng.int(1e9)}`.repeat(1 + rng.int(4)));
    parts.push(`f${i}.bin`);
    const data = new Uint8Array(rng.int(3000));
    for (let j = 0; j < data.length; j++) data[j] = rng.int(256);
    entries.push({ name: parts.join("/"), data });
  }
  return entries;
}

async function collect(gen: AsyncIterable<TarEntry>): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of gen) out.push(e);
  return out;
}

function assertSameFiles(written: TarWriteEntry[], read: TarEntry[]): void {
  assert.equal(read.length, written.length);
  for (let i = 0; i < written.length; i++) {
    assert.equal(read[i].name.replace(/\/$/, ""), written[i].name.replace(/\/$/, ""));
    if (written[i].name.endsWith("/")) assert.equal(read[i].type, "directory");
    else {
      assert.equal(read[i].type, "file");
      assert.deepEqual(read[i].data, written[i].data);
    }
  }
}

for (const style of ["gnu", "pax"] as LongNameStyle[]) {
  Deno.test(`tar: round trip of random members with ${style} long names, plain and gzip`, async () => {
    const rng = new Rng(style === "gnu" ? 1 : 2);
    const entries = randomEntries(rng, 40);
    const tar = writeTar(entries, style);
    assertSameFiles(entries, await collect(readTarBytes(tar, "x.tar")));
    assertSameFiles(entries, await collect(readTarBytes(await gzipBytes(tar), "x.tar.gz")));
  });
}

Deno.test("tar: push parser gives the same members whatever the chunking", () => {
  const rng = new Rng(3);
  const entries = randomEntries(rng, 25);
  const tar = writeTar(entries);
  for (let trial = 0; trial < 5; trial++) {
    const parser = new TarParser("x.tar");
    const read: TarEntry[] = [];
    let pos = 0;
    while (pos < tar.length) {
      const len = 1 + rng.int(trial === 0 ? 7 : 5000);
      read.push(...parser.push(tar.subarray(pos, pos + len)));
      pos += len;
    }
    parser.finish();
    assertSameFiles(entries, read);
  }
});

Deno.test("tar: truncation anywhere is an error naming the file", async () => {
  const rng = new Rng(4);
  const tar = writeTar(randomEntries(rng, 5));
  for (let trial = 0; trial < 20; trial++) {
    const cut = rng.int(tar.length - 1024); // strictly before the end marker
    await assert.rejects(
      () => collect(readTarBytes(tar.subarray(0, cut), "broken.tar")),
      (err: Error) => err.message.includes("broken.tar") && /truncated|corrupt/.test(err.message),
    );
  }
  const gz = await gzipBytes(tar);
  await assert.rejects(
    () => collect(readTarBytes(gz.subarray(0, gz.length >> 1), "broken.tar.gz")),
    (err: Error) => err.message.includes("broken.tar.gz"),
  );
});

Deno.test("tar: corrupted header checksum is reported with its offset", async () => {
  const tar = writeTar([{ name: "a.txt", data: new Uint8Array(10) }]);
  tar[5] ^= 0xff;
  await assert.rejects(
    () => collect(readTarBytes(tar, "bad.tar")),
    /bad\.tar: corrupt tar header at byte 0/,
  );
});

Deno.test("tar: reads archives written by the system tar (gnu and pax formats)", async (t) => {
  const hasTar = await new Deno.Command("tar", { args: ["--version"], stdout: "null" }).output()
    .then((o) => o.success, () => false);
  if (!hasTar) {
    console.log("SKIP: no system `tar` to cross-check against");
    return;
  }
  const dir = await Deno.makeTempDir();
  try {
    const rng = new Rng(5);
    const long = "sub/" + "x".repeat(150) + "/" + "y".repeat(120);
    await Deno.mkdir(`${dir}/src/${long}`, { recursive: true });
    const files = new Map<string, Uint8Array>();
    for (let i = 0; i < 10; i++) {
      const data = new Uint8Array(rng.int(2000));
      for (let j = 0; j < data.length; j++) data[j] = rng.int(256);
      const name = `${i % 2 ? long : "sub"}/file${i}.bin`;
      await Deno.writeFile(`${dir}/src/${name}`, data);
      files.set(name, data);
    }
    for (const format of ["gnu", "pax", "ustar"]) {
      await t.step(format, async () => {
        const out = `${dir}/a-${format}.tar.gz`;
        const args = ["-czf", out, `--format=${format}`, "-C", `${dir}/src`, "sub"];
        const res = await new Deno.Command("tar", { args, stderr: "piped" }).output();
        if (!res.success) {
          // ustar cannot store the long path: that is tar's limit, not ours.
          assert.equal(format, "ustar");
          return;
        }
        const got = new Map<string, Uint8Array>();
        for await (const e of readTarFile(out)) if (e.type === "file") got.set(e.name, e.data);
        assert.deepEqual(got, files);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
