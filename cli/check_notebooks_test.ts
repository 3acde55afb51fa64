import assert from "node:assert/strict";
import { join } from "node:path";
import { checkCommittedForm, checkNotebooks, notebookAsModule } from "./check_notebooks.ts";
import { notebookJson, notebookProblems, stripNotebook } from "../lib/notebook/ipynb.ts";
import { KERNEL_NAME } from "../lib/notebook/kernelspec.ts";

/** An nbformat-4 notebook whose code cells are `code` (a markdown cell first). */
function notebook(code: string[]): string {
  return JSON.stringify({
    cells: [
      { cell_type: "markdown", source: ["# title\n", "text"] },
      ...code.map((c) => ({ cell_type: "code", source: c.split(/(?<=\n)/), outputs: [] })),
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  });
}

Deno.test("notebookAsModule: code cells in order, markdown left out, cell indices named", () => {
  const mod = notebookAsModule(notebook(["const a = 1;\n", "console.log(a + 1);"]), "x.ipynb");
  assert.ok(!mod.includes("# title"));
  const first = mod.indexOf("// cell 1\nconst a = 1;");
  const second = mod.indexOf("// cell 2\nconsole.log(a + 1);");
  assert.ok(first > 0 && second > first, mod);
});

Deno.test("notebookAsModule: a file that is not a notebook names the file and the fix", () => {
  assert.throws(
    () => notebookAsModule("{}", "broken.ipynb"),
    /broken\.ipynb is not a Jupyter notebook .*restore it from git/,
  );
});

Deno.test("checkNotebooks: passes a well-typed notebook, fails a type error, cleans up", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = join(dir, "good.ipynb");
    const bad = join(dir, "bad.ipynb");
    await Deno.writeTextFile(good, notebook(["const n: number = 2;\n", "console.log(n * 2);"]));
    await Deno.writeTextFile(bad, notebook(["const s: string = 'a';\n", "const k: number = s;"]));
    assert.equal(await checkNotebooks([good], { quiet: true }), 0);
    assert.notEqual(await checkNotebooks([good, bad], { quiet: true }), 0);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, ["bad.ipynb", "good.ipynb"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkCommittedForm: outputs, counts, missing ids and layout are problems; --fix cleans", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "run.ipynb");
    const executed = JSON.parse(notebook(["const a = 1;\n", "a + 1"]));
    executed.cells[2].outputs = [{ output_type: "execute_result", data: { "text/plain": "2" } }];
    executed.cells[2].execution_count = 2;
    executed.cells[2].metadata = { scrolled: true };
    await Deno.writeTextFile(path, JSON.stringify(executed, null, 2));
    const problems = await checkCommittedForm([path]);
    for (
      const want of [
        /cell 2 has 1 outputs/,
        /execution count 2/,
        /cell 0 has no id/,
        /kernelspec/,
        /UI metadata scrolled/,
      ]
    ) assert.ok(problems.some((p) => want.test(p)), `${want} not in ${problems.join("; ")}`);
    assert.deepEqual(await checkCommittedForm([path], { fix: true }), []);
    assert.deepEqual(await checkCommittedForm([path]), []);
    const fixed = JSON.parse(await Deno.readTextFile(path));
    assert.equal(fixed.metadata.kernelspec.name, KERNEL_NAME);
    assert.deepEqual(fixed.cells[2].outputs, []);
    assert.equal(fixed.cells[2].execution_count, null);
    assert.deepEqual(fixed.cells.map((c: { id: string }) => c.id), ["c00", "c01", "c02"]);
    assert.deepEqual(fixed.cells[1].source, ["const a = 1;\n"]);
    // Stripping twice changes nothing, and the file is nbformat's layout (sorted keys, indent 1).
    assert.equal(notebookJson(stripNotebook(fixed)), await Deno.readTextFile(path));
    const head = (await Deno.readTextFile(path)).split("\n").slice(0, 4);
    assert.deepEqual(head, ["{", ' "cells": [', "  {", '   "cell_type": "markdown",']);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the repository's notebooks are committed without outputs, with ids and the kit kernel", async () => {
  const dir = new URL("../notebooks/", import.meta.url);
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".ipynb")) continue;
    const text = await Deno.readTextFile(new URL(e.name, dir));
    const doc = JSON.parse(text);
    assert.deepEqual(notebookProblems(doc), [], e.name);
    assert.equal(notebookJson(stripNotebook(doc)), text, `${e.name}: not in nbformat's layout`);
  }
});
