/**
 * Tables for notebooks: rows of records as an HTML table and as aligned
 * plain text (the same data, for terminals and `text/plain`).
 *
 * @module
 */

/** One table row: column name -> value (numbers are rounded for display). */
export type TableRow = Record<string, unknown>;

/** Options of the table formatters. */
export interface TableOptions {
  /** Column order (default: keys in order of first appearance). */
  columns?: readonly string[];
  /** Decimals for non-integer numbers (default 2). */
  digits?: number;
  /** Caption above the table. */
  caption?: string;
}

/** Column names of `rows` in order of first appearance. */
export function tableColumns(rows: readonly TableRow[], opts: TableOptions = {}): string[] {
  if (opts.columns) return [...opts.columns];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Display text of one cell. */
export function formatCell(v: unknown, digits = 2): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  }
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** HTML `<table>`; numeric columns are right-aligned. */
export function tableHtml(rows: readonly TableRow[], opts: TableOptions = {}): string {
  const cols = tableColumns(rows, opts);
  const numeric = cols.map((c) => rows.every((r) => r[c] == null || typeof r[c] === "number"));
  const align = (
    i: number,
  ) => (numeric[i] ? ' style="text-align:right"' : ' style="text-align:left"');
  const head = cols.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((r) =>
    `<tr>${
      cols.map((c, i) => `<td${align(i)}>${escapeHtml(formatCell(r[c], opts.digits))}</td>`).join(
        "",
      )
    }</tr>`
  ).join("\n");
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : "";
  return `<table class="kit-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** Plain-text table with aligned columns. */
export function tablePlain(rows: readonly TableRow[], opts: TableOptions = {}): string {
  const cols = tableColumns(rows, opts);
  const cells = rows.map((r) => cols.map((c) => formatCell(r[c], opts.digits)));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  const out = [line(cols), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  return (opts.caption ? `${opts.caption}\n` : "") + out.join("\n");
}
