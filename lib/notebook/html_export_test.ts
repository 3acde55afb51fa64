import assert from "node:assert/strict";
import { join } from "node:path";
import { markdownHtml, notebookHtml, PLOTLY_FILE, writeNotebookHtml } from "./html_export.ts";
import type { NotebookDoc } from "./ipynb.ts";

Deno.test("markdownHtml: headings, paragraphs, lists, tables, code and emphasis", () => {
  const html = markdownHtml([
    "# 01 · Title",
    "",
    "**Question.** Does `x < y` hold? See [the paper](https://example.org).",
    "",
    "- first item",
    "  continued",
    "- second",
    "",
    "| a | b |",
    "| - | - |",
    "| 1 | 2 |",
    "",
    "```sh",
    "deno task notebooks <name>",
    "```",
  ].join("\n"));
  assert.match(html, /<h1>01 · Title<\/h1>/);
  assert.match(html, /<p><strong>Question\.<\/strong> Does <code>x &lt; y<\/code> hold\?/);
  assert.match(html, /<a href="https:\/\/example\.org">the paper<\/a>/);
  assert.match(html, /<ul><li>first item continued<\/li><li>second<\/li><\/ul>/);
  assert.match(html, /<thead><tr><th>a<\/th><th>b<\/th><\/tr><\/thead><tbody><tr><td>1<\/td>/);
  assert.match(html, /<pre><code>deno task notebooks &lt;name&gt;<\/code><\/pre>/);
});

Deno.test("notebookHtml: outputs by richest type, embedded plotly.js dropped, loaded once from a file", async () => {
  const loader =
    '<script type="text/javascript">/* plotly.js 3.7.0 (MIT), embedded by lib/notebook */' +
    "\nvar big = 1;\n</script>";
  const doc: NotebookDoc = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", source: "## Results" },
      {
        cell_type: "code",
        source: "await show(fig);",
        execution_count: 3,
        outputs: [
          {
            output_type: "display_data",
            data: { "text/html": `${loader}<div class="kit-figure">fig</div>`, "text/plain": "x" },
          },
          { output_type: "stream", name: "stderr", text: ["warn <b>\n"] },
          { output_type: "display_data", data: { "text/markdown": "**done**", "text/plain": "d" } },
          { output_type: "error", ename: "Error", evalue: "boom" },
        ],
      },
    ],
  };
  const html = notebookHtml(doc, "nb");
  assert.ok(!html.includes("var big"), "the embedded plotly.js was kept");
  assert.match(html, new RegExp(`<script src="${PLOTLY_FILE.replaceAll(".", "\\.")}"></script>`));
  assert.match(html, /<div class="kit-figure">fig<\/div>/);
  assert.match(html, /<pre class="stream stderr">warn &lt;b&gt;/);
  assert.match(html, /<strong>done<\/strong>/);
  assert.match(html, /<pre class="error">Error: boom<\/pre>/);
  assert.match(html, /In \[3\]:/);
  const dir = await Deno.makeTempDir();
  try {
    const page = await writeNotebookHtml(doc, dir, "nb");
    await writeNotebookHtml(doc, dir, "nb2");
    assert.equal(page, join(dir, "nb.html"));
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(files, ["nb.html", "nb2.html", PLOTLY_FILE].sort());
    assert.ok(Deno.statSync(join(dir, PLOTLY_FILE)).size > 1_000_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
