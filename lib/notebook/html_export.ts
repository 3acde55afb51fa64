/**
 * Executed notebooks as standalone HTML pages (`deno task notebooks --html`,
 * written to `results/notebooks/`): Markdown cells rendered, code cells with
 * their outputs (the richest of text/html, image/png, text/markdown,
 * text/plain per output). plotly.js is not embedded in each page: the loader
 * that the first figure of a session carries is removed and every page loads
 * the kit's copy once, from a file beside it (`plotly-<version>.min.js`).
 *
 * The Markdown renderer covers what the kit's notebooks use: headings,
 * paragraphs, bullet and numbered lists, pipe tables, fenced code, inline
 * code, bold, italics and links.
 *
 * @module
 */
import { join } from "node:path";
import { PLOTLY_VERSION, plotlySource } from "../plot/plotly_source.ts";
import type { NotebookDoc } from "./ipynb.ts";

/** File name of the plotly.js copy the pages load. */
export const PLOTLY_FILE = `plotly-${PLOTLY_VERSION}.min.js`;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function inline(text: string): string {
  const codes: string[] = [];
  let s = text.replace(/`([^`]+)`/g, (_, c) => {
    codes.push(`<code>${esc(c)}</code>`);
    return `\uE000${codes.length - 1}\uE001`;
  });
  s = esc(s)
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])[*_]([^*_\s][^*_]*?)[*_](?=[^*\w]|$)/g, "$1<em>$2</em>")
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '<a href="$2">$1</a>');
  return s.replace(/\uE000(\d+)\uE001/g, (_, i) => codes[Number(i)]);
}

/** Markdown (the subset in the module docs) to HTML. */
export function markdownHtml(md: string): string {
  const lines = md.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  let i = 0;
  const isTableRow = (l: string) => /^\s*\|.*\|\s*$/.test(l);
  const cellsOf = (l: string) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*$/.test(line)) {
      i++;
      continue;
    }
    const fence = /^```(\w*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
      i++;
      out.push(`<pre><code>${esc(body.join("\n"))}</code></pre>`);
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
      i++;
      continue;
    }
    if (isTableRow(line) && i + 1 < lines.length && /^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1])) {
      const head = cellsOf(line).map((c) => `<th>${inline(c)}</th>`).join("");
      const body: string[] = [];
      for (i += 2; i < lines.length && isTableRow(lines[i]); i++) {
        body.push(`<tr>${cellsOf(lines[i]).map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`);
      }
      out.push(`<table><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>`);
      continue;
    }
    const item = /^(\s*)([-*]|\d+\.)\s+(.*)$/.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const items: string[] = [];
      while (i < lines.length) {
        const m = /^(\s*)([-*]|\d+\.)\s+(.*)$/.exec(lines[i]);
        if (m) items.push(m[3]);
        else if (/^\s+\S/.test(lines[i]) && items.length > 0) {
          items[items.length - 1] += ` ${lines[i].trim()}`;
        } else break;
        i++;
      }
      const tag = ordered ? "ol" : "ul";
      out.push(`<${tag}>${items.map((t) => `<li>${inline(t)}</li>`).join("")}</${tag}>`);
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length && !/^\s*$/.test(lines[i]) &&
      !/^(#{1,6}\s|```|\s*([-*]|\d+\.)\s)/.test(lines[i]) &&
      !isTableRow(lines[i])
    ) para.push(lines[i++].trim());
    out.push(`<p>${inline(para.join(" "))}</p>`);
  }
  return out.join("\n");
}

/** The embedded plotly.js loader of a figure output (see plotly_html.ts), removed from pages. */
const EMBEDDED_LOADER =
  /<script type="text\/javascript">\/\* plotly\.js [^*]*\*\/[\s\S]*?<\/script>/g;

type Output = {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
};

const joinText = (t: unknown) => (Array.isArray(t) ? t.join("") : String(t ?? ""));

function outputHtml(o: Output): string {
  if (o.output_type === "stream") {
    return `<pre class="stream ${o.name}">${esc(joinText(o.text))}</pre>`;
  }
  if (o.output_type === "error") {
    return `<pre class="error">${esc(`${o.ename}: ${o.evalue}`)}</pre>`;
  }
  const d = o.data ?? {};
  if (d["text/html"] !== undefined) {
    return `<div class="html">${joinText(d["text/html"]).replace(EMBEDDED_LOADER, "")}</div>`;
  }
  if (d["image/png"] !== undefined) {
    return `<img src="data:image/png;base64,${joinText(d["image/png"]).trim()}">`;
  }
  if (d["text/markdown"] !== undefined) {
    return `<div class="md">${markdownHtml(joinText(d["text/markdown"]))}</div>`;
  }
  return `<pre>${esc(joinText(d["text/plain"]))}</pre>`;
}

/** One executed notebook as an HTML page that loads plotly.js from `plotlyHref`. */
export function notebookHtml(doc: NotebookDoc, title: string, plotlyHref = PLOTLY_FILE): string {
  const cells = doc.cells.map((c) => {
    const src = joinText(c.source);
    if (c.cell_type === "markdown") return `<section class="md">${markdownHtml(src)}</section>`;
    if (c.cell_type !== "code") return "";
    const outs = ((c.outputs ?? []) as Output[]).map(outputHtml).join("\n");
    const n = c.execution_count ?? " ";
    return `<section class="code"><pre class="src"><span class="prompt">In [${n}]:</span>\n${
      esc(src)
    }</pre>${outs ? `<div class="outputs">${outs}</div>` : ""}</section>`;
  });
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<script src="${esc(plotlyHref)}"></script>
<style>
body{font-family:Liberation Sans,Arial,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:13px}
pre.src{border-left:3px solid #0072B2}.prompt{color:#0072B2}
pre.error{background:#fdd}pre.stream.stderr{background:#fff3e0}
table{border-collapse:collapse;margin:.5em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:.2em .5em}caption{text-align:left;font-style:italic}
.outputs{margin:0 0 1.5em 1em}
</style></head><body>
${cells.join("\n")}
</body></html>
`;
}

/**
 * Writes `<dir>/<name>.html` for an executed notebook and, once per folder,
 * the plotly.js copy the pages load. Returns the page's path.
 */
export async function writeNotebookHtml(
  doc: NotebookDoc,
  dir: string,
  name: string,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const lib = join(dir, PLOTLY_FILE);
  const have = await Deno.stat(lib).then((s) => s.isFile, () => false);
  if (!have) await Deno.writeTextFile(lib, await plotlySource());
  const path = join(dir, `${name}.html`);
  await Deno.writeTextFile(path, notebookHtml(doc, name));
  return path;
}
