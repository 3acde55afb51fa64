/** The option tables of README.md are the ones the method schemas give (no drift). */
import assert from "node:assert/strict";
import { listMethods } from "./all.ts";
import { optionTable } from "./option_schema.ts";

/** Markdown table rows as trimmed cells (alignment padding and the separator row dropped). */
function rows(table: string): string[][] {
  return table.split("\n")
    .filter((l) => l.startsWith("|") && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
}

Deno.test("README.md has each method's option table exactly as its schema gives it", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  for (const spec of listMethods()) {
    const marker = `<!-- options:${spec.name} -->`;
    const at = readme.indexOf(marker);
    assert.ok(
      at >= 0,
      `README.md lacks the ${marker} table; paste it from deno task train --option-tables`,
    );
    const start = readme.indexOf("\n|", at);
    const end = readme.indexOf("\n\n", start + 1);
    const table = readme.slice(start + 1, end < 0 ? undefined : end);
    assert.deepEqual(
      rows(table),
      rows(optionTable(spec.options)),
      `${spec.name} table differs; update README.md from deno task train --option-tables`,
    );
  }
});
