import assert from "node:assert/strict";
import { join } from "node:path";
import { executeNotebook, findPython } from "./execute.ts";

const python = await findPython();
if (!python) {
  console.warn(
    "SKIPPED lib/notebook/execute_test.ts: no python3 with jupyter_client " +
      "(apt-get install -y python3-jupyter-client)",
  );
}

function notebook(sources: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: sources.map((source, i) => ({
      cell_type: "code",
      id: `c${i}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      source,
    })),
  });
}

interface Output {
  output_type: string;
  name?: string;
  text?: string;
  data?: Record<string, string>;
  evalue?: string;
}

Deno.test({
  name:
    "executeNotebook keeps every output the Deno kernel sends after idle (2,000 lines + result)",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "logs.ipynb");
    const lines = 2000;
    await Deno.writeTextFile(
      path,
      notebook([
        `for (let i = 0; i < ${lines}; i++) { console.log("line " + i); if (i % 500 === 0) console.error("err " + i); }\n` +
        `await Deno.jupyter.display({ "text/plain": "shown" }, { raw: true, display_id: "d1" });\n` +
        `await Deno.jupyter.display({ "text/plain": "updated" }, { raw: true, display_id: "d1", update: true });\n` +
        `({ result: Deno.env.get("KIT_TEST_VALUE") })`,
        `console.log("second cell"); 6 * 7`,
      ]),
    );
    const out = join(dir, "out.ipynb");
    const r = await executeNotebook(path, {
      outPath: out,
      python,
      env: { KIT_TEST_VALUE: "from-env" },
      log: () => {},
    });
    assert.ok(r.ok, JSON.stringify(r));
    const cells = JSON.parse(await Deno.readTextFile(out)).cells as { outputs: Output[] }[];
    const stdout = cells[0].outputs.filter((o) => o.name === "stdout").map((o) => o.text).join("");
    assert.deepEqual(
      stdout.trimEnd().split("\n"),
      Array.from({ length: lines }, (_, i) => `line ${i}`),
    );
    const stderr = cells[0].outputs.filter((o) => o.name === "stderr").map((o) => o.text).join("");
    assert.deepEqual(stderr.trimEnd().split("\n"), ["err 0", "err 500", "err 1000", "err 1500"]);
    const display = cells[0].outputs.find((o) => o.output_type === "display_data");
    assert.equal(display?.data?.["text/plain"], "updated");
    const result = cells[0].outputs.find((o) => o.output_type === "execute_result");
    assert.match(result?.data?.["text/plain"] ?? "", /from-env/);
    assert.equal(
      cells[1].outputs.find((o) => o.output_type === "execute_result")?.data?.["text/plain"],
      "42",
    );
    assert.ok(!JSON.stringify(cells).includes("KIT-FLUSH-"), "flush markers leaked into outputs");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "executeNotebook stops at a failing cell and names it",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const path = join(dir, "fail.ipynb");
    await Deno.writeTextFile(
      path,
      notebook(["1 + 1", "throw new Error('boom here')", "console.log('never')"]),
    );
    const out = join(dir, "out.ipynb");
    const r = await executeNotebook(path, { outPath: out, python, log: () => {} });
    assert.equal(r.ok, false);
    assert.equal(r.failedCell, 1);
    assert.match(r.evalue ?? "", /boom here/);
    const cells = JSON.parse(await Deno.readTextFile(out)).cells as { outputs: Output[] }[];
    assert.ok(cells[1].outputs.some((o) => o.output_type === "error"));
    assert.deepEqual(cells[2].outputs, []);
    await Deno.remove(dir, { recursive: true });
  },
});
