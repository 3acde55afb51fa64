/**
 * `deno task notebooks`: executes the notebooks headless with the Deno
 * Jupyter kernel and fails (exit 1, naming notebook and cell) on any cell error.
 *
 * ```
 * deno task notebooks                         # all notebooks/*.ipynb, profile 10k-15ep (tiny under CI)
 * deno task notebooks --profile tiny 00_quickstart
 * deno task notebooks --html                  # also HTML pages in results/notebooks/
 * ```
 *
 * Executed copies go to `runs/notebooks/<name>.ipynb` (git-ignored; `--out`
 * moves them); the notebooks themselves are never written (they are committed
 * without outputs, see lib/notebook/ipynb.ts). `--html` also writes each
 * executed notebook as a page to `results/notebooks/<name>.html` (`--html-dir`
 * moves them), loading plotly.js once from a file beside the pages. The
 * profile reaches the notebooks as env KIT_PROFILE (the default of their
 * `PROFILE` switch). Every output is kept, including those the Deno kernel
 * sends after it reports idle (see lib/notebook/kernel_executor.py). Needs
 * python3 with jupyter_client (`apt-get install -y python3-jupyter-client`).
 *
 * @module
 */
import { basename, join } from "node:path";
import { executeNotebook, type ExecuteResult, requirePython } from "../lib/notebook/execute.ts";
import { writeNotebookHtml } from "../lib/notebook/html_export.ts";
import { parseNotebook } from "../lib/notebook/ipynb.ts";
import { notebookProfile, PROFILES } from "../lib/notebook/profile.ts";
import { repoRoot } from "../lib/notebook/paths.ts";
import { PARTIAL_ENV } from "../lib/notebook/ablation_runs.ts";
import { choiceFlag, numberFlag, parseCommandLine } from "./args.ts";
import { runMain } from "./run_main.ts";

/** Notebooks in `dir` (sorted), filtered by names or name prefixes (e.g. "00" or "00_quickstart"). */
export async function selectNotebooks(dir: string, names: readonly string[]): Promise<string[]> {
  const all: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb")) all.push(e.name);
  }
  all.sort();
  if (names.length === 0) return all.map((n) => join(dir, n));
  return names.map((name) => {
    const stem = basename(name).replace(/\.ipynb$/, "");
    const hits = all.filter((n) => n === `${stem}.ipynb` || n.startsWith(stem));
    if (hits.length !== 1) {
      throw new Error(
        `notebook "${name}" matches ${hits.length} of ${dir}/*.ipynb (${all.join(", ")}); ` +
          `give a unique name or prefix`,
      );
    }
    return join(dir, hits[0]);
  });
}

/** One-line report of an executed notebook. */
export function describeResult(r: ExecuteResult): string {
  if (r.ok) return `ok ${r.notebook}: ${r.executed}/${r.cells} cells in ${r.seconds} s -> ${r.out}`;
  return `FAILED ${r.notebook}: cell ${r.failedCell} (${r.firstLine ?? ""}) raised ` +
    `${r.ename}: ${r.evalue}; outputs so far in ${r.out}`;
}

const USAGE = `usage: deno task notebooks [--profile ${PROFILES.join("|")}] [--out DIR] ` +
  "[--html] [--html-dir DIR] [--timeout SECONDS_PER_CELL] [--partial] [names...]\n" +
  "  --partial  ablation notebooks train nothing: they report the runs finished so far, " +
  "labelled PARTIAL";

async function main(): Promise<number> {
  const cli = parseCommandLine({
    args: Deno.args,
    allowPositionals: true,
    options: {
      profile: { type: "string" },
      html: { type: "boolean", default: false },
      "html-dir": { type: "string" },
      out: { type: "string" },
      timeout: { type: "string", default: "1800" },
      dir: { type: "string" },
      partial: { type: "boolean", default: false },
    },
  }, USAGE);
  if (!cli) return 0;
  const { values, positionals } = cli;
  const chosen = choiceFlag("profile", values.profile, PROFILES);
  if (chosen) Deno.env.set("KIT_PROFILE", chosen);
  const cellTimeoutSeconds = numberFlag("timeout", values.timeout);
  const profile = notebookProfile();
  const dir = values.dir ?? join(repoRoot(), "notebooks");
  const outDir = values.out ?? join(repoRoot(), "runs", "notebooks");
  const notebooks = await selectNotebooks(dir, positionals);
  if (notebooks.length === 0) throw new Error(`no notebooks in ${dir}`);
  const python = await requirePython();
  await Deno.mkdir(outDir, { recursive: true });
  const htmlDir = values["html-dir"] ?? join(repoRoot(), "results", "notebooks");
  let failed = 0;
  for (const nb of notebooks) {
    const outPath = join(outDir, basename(nb));
    console.error(`=== ${basename(nb)} (profile ${profile})`);
    const r = await executeNotebook(nb, {
      outPath,
      python,
      env: { KIT_PROFILE: profile, ...(values.partial ? { [PARTIAL_ENV]: "1" } : {}) },
      cellTimeoutSeconds,
    });
    console.error(describeResult(r));
    if (!r.ok) failed++;
    if (values.html || values["html-dir"]) {
      const doc = parseNotebook(await Deno.readTextFile(outPath), outPath);
      const page = await writeNotebookHtml(doc, htmlDir, basename(nb).replace(/\.ipynb$/, ""));
      console.error(`html: ${page}`);
    }
  }
  console.error(`${notebooks.length - failed} of ${notebooks.length} notebooks ran without errors`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) await runMain(main);
