import assert from "node:assert/strict";
import { join } from "node:path";
import {
  appendJsonLine,
  readJsonLines,
  writeJsonAtomic,
  writeJsonLinesAtomic,
} from "./run_record.ts";
import { canMountTmpfs, withTmpfs } from "../testing/tmpfs.ts";
import { withTempDir } from "../testing/temp_dirs.ts";

Deno.test("readJsonLines drops a last line cut short by a kill, refuses damage elsewhere", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "m.jsonl");
    assert.deepEqual(await readJsonLines(path), []);
    await appendJsonLine(path, { epoch: 0 });
    await appendJsonLine(path, { epoch: 1 });
    assert.deepEqual(await readJsonLines(path), [{ epoch: 0 }, { epoch: 1 }]);
    await Deno.writeTextFile(path, '{"epoch":2', { append: true });
    assert.deepEqual(await readJsonLines(path), [{ epoch: 0 }, { epoch: 1 }]);
    await Deno.writeTextFile(path, '{"epoch":0}\n{"ep\n{"epoch":2}\n');
    await assert.rejects(readJsonLines(path), /m\.jsonl line 2 is not valid JSON/);
    await writeJsonLinesAtomic(path, [{ epoch: 0 }, { epoch: 1 }]);
    assert.equal(await Deno.readTextFile(path), '{"epoch":0}\n{"epoch":1}\n');
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["m.jsonl"], "temp files left");
  });
});

const strace = await new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "JSON writes fsync the file before the rename and the folder after it; appends fsync",
  ignore: !strace || Deno.build.os !== "linux",
  fn: async () => {
    await withTempDir(async (dir) => {
      const script = join(dir, "write.ts");
      const mod = new URL("./run_record.ts", import.meta.url).href;
      await Deno.writeTextFile(
        script,
        `import { appendJsonLine, writeJsonAtomic } from "${mod}";\n` +
          `Deno.mkdirSync("${dir}/marker-a");\n` +
          `await writeJsonAtomic("${dir}/run/run.json", { status: "running" });\n` +
          `Deno.mkdirSync("${dir}/marker-b");\n` +
          `await appendJsonLine("${dir}/run/metrics.jsonl", { epoch: 0 });\n` +
          `Deno.mkdirSync("${dir}/marker-c");\n`,
      );
      const trace = join(dir, "trace.txt");
      const out = await new Deno.Command("strace", {
        args: [
          "-f",
          "-qq",
          "-e",
          "trace=fsync,fdatasync,rename,renameat,renameat2,mkdir,mkdirat",
          "-o",
          trace,
          Deno.execPath(),
          "run",
          "-A",
          script,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const calls = (await Deno.readTextFile(trace)).split("\n")
        .map((l) => l.replace(/^\d+\s+/, ""))
        .filter((l) => /^(fsync|fdatasync|rename|mkdir)/.test(l));
      const at = (marker: string) => calls.findIndex((l) => l.includes(marker));
      const [a, b, c] = [at("marker-a"), at("marker-b"), at("marker-c")];
      assert.ok(a >= 0 && a < b && b < c, calls.join("\n"));
      const json = calls.slice(a + 1, b);
      const rename = json.findIndex((l) => l.startsWith("rename") && l.includes("run.json"));
      assert.ok(rename > 0, `no rename of run.json:\n${json.join("\n")}`);
      assert.ok(
        json.slice(0, rename).some((l) => /^f(data)?sync/.test(l)),
        "no fsync before rename",
      );
      assert.ok(json.slice(rename + 1).some((l) => /^f(data)?sync/.test(l)), "folder not fsynced");
      assert.ok(calls.slice(b + 1, c).some((l) => /^f(data)?sync/.test(l)), "append not fsynced");
    });
  },
});

Deno.test({
  name: "a full disk while writing JSON names the file and the fix",
  ignore: !(await canMountTmpfs()),
  fn: async () => {
    await withTmpfs({ sizeKiB: 16 }, async (small) => {
      const path = join(small, "run", "result.json");
      await assert.rejects(
        writeJsonAtomic(path, { pad: "x".repeat(64 * 1024) }),
        (e: Error) =>
          e.message.startsWith(`no space left on the disk of ${path}`) &&
          /free space on that disk or choose --out on another one/.test(e.message),
      );
      assert.deepEqual([...Deno.readDirSync(join(small, "run"))], [], "temp file left behind");
    });
  },
});
