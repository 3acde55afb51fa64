/**
 * `deno task check-notebooks`: type-checks the code cells of every notebook
 * and checks that each is in its committed form (no outputs, no execution
 * counts, cell ids, the kit's kernelspec, nbformat's JSON layout; see
 * lib/notebook/ipynb.ts), so that running a notebook never dirties the repo
 * unnoticed. `--fix` rewrites notebooks into that form (outputs dropped).
 *
 * `deno check` does not read `.ipynb` files and the Deno Jupyter kernel runs
 * cells without type checking, so a type error in a notebook would otherwise
 * go unnoticed until a reader hits it. This command joins each notebook's
 * code cells, in order, into one module written beside the notebook (so its
 * relative imports resolve), runs `deno check` on all of them at once and
 * removes the files again. Cells of a notebook share one scope in the
 * kernel, which is what one module gives too.
 *
 * ```
 * deno task check-notebooks                 # every notebooks/*.ipynb
 * deno task check-notebooks 02 04           # by name or prefix
 * deno task check-notebooks --fix           # strip outputs, add ids, canonical JSON
 * ```
 *
 * Exit 0 when every notebook type-checks, 1 otherwise (deno check's errors
 * name the generated file and line; the file header names the notebook cell).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { repoRoot } from "../lib/notebook/paths.ts";
import { selectNotebooks } from "./notebooks.ts";
import {
  notebookJson,
  notebookProblems,
  parseNotebook,
  stripNotebook,
} from "../lib/notebook/ipynb.ts";
import { parseCommandLine } from "./args.ts";
import { runMain } from "./run_main.ts";

/** One notebook cell as stored in `.ipynb` (nbformat 4). */
interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

/**
 * The code cells of an nbformat-4 notebook (`text`: its JSON) joined into one
 * TypeScript module, each cell preceded by a `// cell <i>` line (i: the
 * cell's 0-based index in the notebook). Throws naming `path` when the text is
 * not a notebook.
 */
export function notebookAsModule(text: string, path: string): string {
  let cells: NotebookCell[];
  try {
    const doc = JSON.parse(text) as { cells?: NotebookCell[] };
    if (!Array.isArray(doc.cells)) throw new Error('no "cells" array');
    cells = doc.cells;
  } catch (err) {
    throw new Error(
      `${path} is not a Jupyter notebook (${(err as Error).message}); ` +
        `open and save it in Jupyter, or restore it from git`,
    );
  }
  const parts: string[] = [`// Generated from ${path} by cli/check_notebooks.ts; do not edit.`];
  cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    parts.push(`// cell ${i}`, source);
  });
  parts.push("export {};");
  return parts.join("\n") + "\n";
}

/**
 * Checks that each notebook is in its committed form (see module docs);
 * returns one line per problem, naming the notebook. With `fix`, rewrites
 * the notebooks that are not and reports nothing for them.
 */
export async function checkCommittedForm(
  notebooks: readonly string[],
  { fix = false }: { fix?: boolean } = {},
): Promise<string[]> {
  const problems: string[] = [];
  for (const nb of notebooks) {
    const text = await Deno.readTextFile(nb);
    const doc = parseNotebook(text, nb);
    const found = notebookProblems(doc);
    const canonical = notebookJson(stripNotebook(doc));
    if (found.length === 0 && text !== canonical) {
      found.push("not in nbformat's JSON layout (sorted keys, indent 1)");
    }
    if (found.length === 0) continue;
    if (fix) {
      await Deno.writeTextFile(nb, canonical);
      console.log(`${nb}: rewritten (${found.join("; ")})`);
    } else problems.push(...found.map((p) => `${nb}: ${p}`));
  }
  return problems;
}

/**
 * Type-checks `notebooks` (paths); returns deno check's exit code. `quiet`
 * keeps deno check's messages and the file list off the terminal.
 */
export async function checkNotebooks(
  notebooks: readonly string[],
  { quiet = false }: { quiet?: boolean } = {},
): Promise<number> {
  const generated: string[] = [];
  try {
    for (const nb of notebooks) {
      const file = join(dirname(nb), `.typecheck.${crypto.randomUUID()}.ts`);
      await Deno.writeTextFile(file, notebookAsModule(await Deno.readTextFile(nb), nb));
      generated.push(file);
      if (!quiet) console.log(`${nb} -> ${file}`);
    }
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["check", ...generated],
      stdout: quiet ? "null" : "inherit",
      stderr: quiet ? "null" : "inherit",
    }).output();
    return code;
  } finally {
    for (const file of generated) await Deno.remove(file).catch(() => {});
  }
}

async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(
    { args, allowPositionals: true, options: { fix: { type: "boolean", default: false } } },
    "usage: deno task check-notebooks [--fix] [<name or prefix> ...]",
  );
  if (parsed === undefined) return 0;
  const notebooks = await selectNotebooks(join(repoRoot(), "notebooks"), parsed.positionals);
  const problems = await checkCommittedForm(notebooks, { fix: parsed.values.fix === true });
  for (const p of problems) console.log(p);
  if (problems.length > 0) {
    console.log(
      `${problems.length} problems: notebooks are committed without outputs; run ` +
        `"deno task check-notebooks --fix" (executed copies: deno task notebooks --html)`,
    );
  }
  const code = await checkNotebooks(notebooks);
  console.log(
    code === 0
      ? `${notebooks.length} notebooks type-check`
      : `type errors in notebooks (see above)`,
  );
  return code !== 0 ? code : problems.length > 0 ? 1 : 0;
}

if (import.meta.main) runMain(() => main(Deno.args));
