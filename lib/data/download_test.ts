import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { downloadVerified, md5File } from "./download.ts";
import { Rng } from "../rng.ts";
import { canMountTmpfs, withTmpfs } from "../testing/tmpfs.ts";

function serve(body: Uint8Array): { url: string; close: () => Promise<void> } {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => new Response(body as Uint8Array<ArrayBuffer>),
  );
  return { url: `http://127.0.0.1:${server.addr.port}/f.bin`, close: () => server.shutdown() };
}

Deno.test("downloadVerified: keeps a file whose MD5 matches, rejects one that does not", async () => {
  const rng = new Rng(30);
  const body = new Uint8Array(100_000).map(() => rng.int(256));
  const md5 = createHash("md5").update(body).digest("hex");
  const dir = await Deno.makeTempDir();
  const { url, close } = serve(body);
  try {
    await downloadVerified(url, `${dir}/ok.bin`, md5, "deno task data import x <path>");
    assert.deepEqual(await Deno.readFile(`${dir}/ok.bin`), body);
    assert.equal(await md5File(`${dir}/ok.bin`), md5);
    const wrong = "0".repeat(32);
    await assert.rejects(
      () => downloadVerified(url, `${dir}/bad.bin`, wrong, "deno task data import x <path>"),
      /has MD5 [0-9a-f]{32}, expected 0{32}/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["ok.bin"]);
  } finally {
    await close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadVerified: unreachable host says 'no internet' and how to import", async () => {
  // Bind then close a port so that nothing listens there.
  const listener = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () =>
        downloadVerified(
          `http://127.0.0.1:${port}/x`,
          `${dir}/x`,
          "0".repeat(32),
          "deno task data import cifar10 <path>",
        ),
      /no internet.*deno task data import cifar10 <path>/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "downloadVerified: a full disk names the file and the fix, and leaves no partial file",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    const body = new Uint8Array(200_000).fill(7);
    const md5 = createHash("md5").update(body).digest("hex");
    const { url, close } = serve(body);
    try {
      await withTmpfs({ sizeKiB: 64 }, async (dir) => {
        await assert.rejects(
          () => downloadVerified(url, `${dir}/f.bin`, md5, "deno task data import x <path>"),
          (e: Error) =>
            e.message.startsWith(`no space left on the disk of ${dir}/f.bin`) &&
            /KIT_CACHE_DIR/.test(e.message),
        );
        assert.deepEqual([...Deno.readDirSync(dir)], []);
      });
    } finally {
      await close();
    }
  },
});
