import assert from "node:assert/strict";
import { join } from "node:path";
import { checkNotebooks, notebookAsModule } from "./check_notebooks.ts";

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
