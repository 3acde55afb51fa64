/**
 * The committed form of the kit's notebooks: no outputs, no execution counts,
 * a cell id on every cell (nbformat 4.5, so nbformat does not warn), the
 * kit's kernelspec, and nbformat's own JSON layout (sorted keys, one-space
 * indent, trailing newline) so that a notebook saved by Jupyter without
 * outputs is byte-identical to the committed file.
 *
 * `deno task check` fails on a notebook that is not in this form
 * (`cli/check_notebooks.ts`, `--fix` rewrites it); the Jupyter server started
 * by `./kit jupyter` strips outputs on save (`jupyterConfig`).
 *
 * @module
 */
import { KERNEL_DISPLAY_NAME, KERNEL_NAME } from "./kernelspec.ts";

/** One cell of an nbformat-4 notebook (the fields the kit reads). */
export interface NotebookCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata?: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
}

/** An nbformat-4 notebook. */
export interface NotebookDoc {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** Cell metadata keys the notebook UI adds while running (dropped on strip). */
const UI_METADATA = ["collapsed", "scrolled", "execution", "jupyter", "trusted"];

/** Parses a notebook; throws naming `path` when it is not one. */
export function parseNotebook(text: string, path: string): NotebookDoc {
  try {
    const doc = JSON.parse(text) as NotebookDoc;
    if (!Array.isArray(doc.cells)) throw new Error('no "cells" array');
    return doc;
  } catch (err) {
    throw new Error(
      `${path} is not a Jupyter notebook (${(err as Error).message}); ` +
        `open and save it in Jupyter, or restore it from git`,
    );
  }
}

/** What keeps `doc` from its committed form, one line each (empty: it is clean). */
export function notebookProblems(doc: NotebookDoc): string[] {
  const problems: string[] = [];
  if (doc.nbformat !== 4 || doc.nbformat_minor < 5) {
    problems.push(`nbformat ${doc.nbformat}.${doc.nbformat_minor}, need 4.5 (cell ids)`);
  }
  const spec = doc.metadata?.kernelspec as { name?: string; display_name?: string } | undefined;
  if (spec?.name !== KERNEL_NAME || spec?.display_name !== KERNEL_DISPLAY_NAME) {
    problems.push(
      `kernelspec ${JSON.stringify(spec)}; need name "${KERNEL_NAME}", display name ` +
        `"${KERNEL_DISPLAY_NAME}"`,
    );
  }
  const ids = new Set<string>();
  doc.cells.forEach((c, i) => {
    if (!c.id) problems.push(`cell ${i} has no id`);
    else if (ids.has(c.id)) problems.push(`cell ${i} repeats id "${c.id}"`);
    else ids.add(c.id);
    if (c.cell_type !== "code") return;
    if ((c.outputs ?? []).length > 0) problems.push(`cell ${i} has ${c.outputs!.length} outputs`);
    if (c.execution_count != null) {
      problems.push(`cell ${i} has execution count ${c.execution_count}`);
    }
    const ui = UI_METADATA.filter((k) => c.metadata && k in c.metadata);
    if (ui.length > 0) problems.push(`cell ${i} has UI metadata ${ui.join(", ")}`);
  });
  return problems;
}

/** `doc` in its committed form: outputs and counts cleared, ids added, kit kernelspec. */
export function stripNotebook(doc: NotebookDoc): NotebookDoc {
  const used = new Set(doc.cells.map((c) => c.id).filter(Boolean));
  let next = 0;
  const freshId = () => {
    while (used.has(`c${String(next).padStart(2, "0")}`)) next++;
    const id = `c${String(next).padStart(2, "0")}`;
    used.add(id);
    return id;
  };
  const seen = new Set<string>();
  const cells = doc.cells.map((c) => {
    const cell: NotebookCell = { ...c, metadata: { ...(c.metadata ?? {}) } };
    if (!cell.id || seen.has(cell.id)) cell.id = freshId();
    seen.add(cell.id);
    for (const k of UI_METADATA) delete cell.metadata![k];
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    } else {
      delete cell.outputs;
      delete cell.execution_count;
    }
    return cell;
  });
  return {
    ...doc,
    nbformat: 4,
    nbformat_minor: Math.max(5, doc.nbformat === 4 ? doc.nbformat_minor : 5),
    metadata: {
      ...doc.metadata,
      kernelspec: { name: KERNEL_NAME, display_name: KERNEL_DISPLAY_NAME, language: "typescript" },
      // The kernel's TypeScript version (added by Jupyter on save) is not committed.
      ...(doc.metadata?.language_info
        ? { language_info: withoutVersion(doc.metadata.language_info) }
        : {}),
    },
    cells,
  };
}

function withoutVersion(info: unknown): unknown {
  if (!info || typeof info !== "object") return info;
  const { version: _version, ...rest } = info as Record<string, unknown>;
  return rest;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      out[k] = sortKeys((value as Record<string, unknown>)[k]);
    }
    return out;
  }
  return value;
}

/** Splits a cell source into lines as nbformat stores them (each but the last ends in "\n"). */
export function sourceLines(source: string | string[]): string[] {
  const text = Array.isArray(source) ? source.join("") : source;
  if (text === "") return [];
  const lines = text.split("\n");
  return [...lines.slice(0, -1).map((l) => `${l}\n`), ...(lines.at(-1) ? [lines.at(-1)!] : [])];
}

/** The notebook as nbformat writes it: sorted keys, indent 1, sources as lines, final newline. */
export function notebookJson(doc: NotebookDoc): string {
  const cells = doc.cells.map((c) => ({ ...c, source: sourceLines(c.source) }));
  return JSON.stringify(sortKeys({ ...doc, cells }), null, 1) + "\n";
}
