/// <reference lib="dom" />
/**
 * The notebooks as their users meet them: Debian's Jupyter Notebook on
 * 127.0.0.1 with the kit's kernel and config, each notebook opened in
 * headless Chromium (puppeteer-core) and run with the menu's Cell > Run All,
 * on the tiny profile. Checked for every notebook:
 *
 * - no error output;
 * - every output under its own cell: a cell shows tables, figures and
 *   Markdown only if its code displays them, and a cell whose code always
 *   displays one shows it (Run All queues the next cell while the Deno kernel
 *   is still sending the last outputs; see lib/notebook/jupyter.ts);
 * - every figure drawn by plotly (an SVG inside each figure output);
 * - the progress display present in notebooks that train;
 * - saving the first notebook from the page after Run All leaves the file
 *   byte-identical to the committed one (the server strips outputs on save;
 *   the original is written back in any case).
 *
 * On failure a full-page screenshot and the page's notebook JSON are saved
 * under env KIT_TEST_ARTIFACTS (default `runs/test-artifacts/jupyter-browser/`)
 * and named in the error. `KIT_BROWSER_NOTEBOOKS=00,02` runs only those.
 *
 * Needs jupyter-notebook, chromium and python3-jupyter-client (Debian);
 * skipped with a notice otherwise.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { findChromium, launchChromium } from "../lib/plot/chromium.ts";
import { findJupyterNotebook, startNotebookServer } from "../lib/notebook/jupyter_server.ts";
import { writePrivateKernelSpec } from "../lib/notebook/kernelspec.ts";
import { repoRoot } from "../lib/notebook/paths.ts";
import { selectNotebooks } from "./notebooks.ts";

const chromium = findChromium();
const jupyter = await findJupyterNotebook();
if (!chromium || !jupyter) {
  console.warn(
    "SKIPPED cli/jupyter_browser_test.ts: needs jupyter-notebook and chromium " +
      "(apt-get install -y jupyter-notebook chromium)",
  );
}

/** What a cell's code can display, read from its source. */
export function displayKinds(source: string): {
  table: boolean;
  figure: boolean;
  markdown: boolean;
  text: boolean;
  progress: boolean;
  conditional: boolean;
} {
  return {
    table: /\bshowTable\(|\.showSummary\(|\.showComparisons\(/.test(source),
    figure: /\bshow\(/.test(source),
    markdown: /\bshowMarkdown\(/.test(source),
    // An ablation notebook handle is `nb` or `<name>Nb` (e.g. `pilotNb`); its run() shows progress.
    text: /\bshowText\(|\bablationNotebook\(|\b(nb|[a-z]\w*Nb)\.run\(/.test(source),
    progress:
      /\b(lineProgress|ablationProgress|progress)\(|\b(nb|[a-z]\w*Nb)\.run\(|runNotebookAblations\(/
        .test(source),
    conditional: /\bif \(|\? await |\bfor \(/.test(source),
  };
}

/** One output of a cell as Jupyter Notebook holds it. */
interface PageOutput {
  output_type: string;
  name?: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/** Kinds of a displayed output (streams: none; they may come from library warnings). */
export function outputKinds(o: PageOutput): string[] {
  if (o.output_type === "error") return ["error"];
  const d = o.data ?? {};
  const html = String(d["text/html"] ?? "");
  const kinds: string[] = [];
  if (d["application/vnd.plotly.v1+json"]) kinds.push("figure");
  if (html.includes("<table")) kinds.push("table");
  if (html.includes("kit-progress")) kinds.push("progress");
  if (d["text/markdown"] !== undefined) kinds.push("markdown");
  if (o.output_type !== "stream" && kinds.length === 0 && d["text/plain"] !== undefined) {
    kinds.push("text");
  }
  return kinds;
}

/**
 * The problems of one executed notebook's cells (empty: fine): error outputs,
 * outputs a cell's code cannot produce, and missing outputs it always produces.
 */
export function cellProblems(cells: { source: string; outputs: PageOutput[] }[]): string[] {
  const problems: string[] = [];
  cells.forEach((cell, i) => {
    const can = displayKinds(cell.source);
    const kinds = cell.outputs.flatMap(outputKinds);
    for (const o of cell.outputs) {
      if (o.output_type === "error") problems.push(`cell ${i}: error ${o.ename}: ${o.evalue}`);
    }
    for (const k of new Set(kinds)) {
      if (k !== "error" && !can[k as keyof typeof can]) {
        problems.push(`cell ${i}: shows a ${k} its code does not display (another cell's output)`);
      }
    }
    if (!can.conditional) {
      for (const k of ["table", "figure", "markdown"] as const) {
        if (can[k] && !kinds.includes(k)) problems.push(`cell ${i}: its ${k} is missing`);
      }
    }
  });
  return problems;
}

/** Longest Run All of one notebook before the test gives up on it. */
const RUN_ALL_TIMEOUT_MS = 20 * 60_000;

/** Runs one notebook in the page with Cell > Run All; returns its cells and DOM facts. */
async function runAll(page: Page, url: string, timeoutMs: number) {
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(
    // deno-lint-ignore no-explicit-any
    () => (globalThis as any).Jupyter?.notebook?.kernel?.is_connected?.() === true,
    { timeout: 120_000, polling: 250 },
  );
  // Never write the notebook from this page (it is committed without outputs).
  // deno-lint-ignore no-explicit-any
  await page.evaluate(() => (globalThis as any).Jupyter.notebook.set_autosave_interval(0));
  await page.click("#celllink");
  await page.waitForSelector("#run_all_cells > a", { visible: true });
  await page.click("#run_all_cells > a");
  await page.waitForFunction(
    () => {
      // deno-lint-ignore no-explicit-any
      const nb = (globalThis as any).Jupyter.notebook;
      const code = nb.get_cells().filter((c: { cell_type: string }) => c.cell_type === "code");
      const done = code.every((c: { input_prompt_number: unknown }) =>
        typeof c.input_prompt_number === "number"
      );
      const failed = document.querySelector(".output_error") !== null;
      return (done || failed) && !nb.kernel_busy;
    },
    { timeout: timeoutMs, polling: 500 },
  );
  // Late outputs, and plotly drawing the last figures.
  await new Promise((r) => setTimeout(r, 3000));
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll(".kit-figure")].every((el) =>
        el.querySelector("svg.main-svg") !== null
      ),
    { timeout: 30_000, polling: 250 },
  ).catch(() => {});
  return await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const nb = (globalThis as any).Jupyter.notebook;
    const code = nb.get_cells().filter((c: { cell_type: string }) => c.cell_type === "code");
    const figures = [...document.querySelectorAll(".kit-figure")];
    return {
      cells: code.map((c: { get_text(): string; output_area: { outputs: unknown[] } }) => ({
        source: c.get_text(),
        outputs: JSON.parse(JSON.stringify(c.output_area.outputs)),
      })),
      figures: figures.length,
      drawn: figures.filter((el) => el.querySelector("svg.main-svg") !== null).length,
      progress: document.querySelectorAll(".kit-progress progress, .kit-progress").length,
      json: JSON.stringify(nb.toJSON()),
    };
  });
}

/**
 * Saves the executed notebook from the page (as a user pressing Save) and
 * compares the file with the committed text; writes the committed text back.
 */
async function saveRoundTrip(page: Page, path: string): Promise<string[]> {
  const committed = await Deno.readTextFile(path);
  try {
    await page.evaluate(() =>
      // deno-lint-ignore no-explicit-any
      (globalThis as any).Jupyter.notebook.save_notebook()
    );
    await page.waitForFunction(
      // deno-lint-ignore no-explicit-any
      () => (globalThis as any).Jupyter.notebook.dirty === false,
      { timeout: 30_000, polling: 250 },
    );
    await new Promise((r) => setTimeout(r, 500));
    const saved = await Deno.readTextFile(path);
    if (saved === committed) return [];
    const a = committed.split("\n");
    const b = saved.split("\n");
    const line = a.findIndex((l, i) => l !== b[i]);
    return [
      `saving from Jupyter changed the committed file (${committed.length} -> ${saved.length} ` +
      `bytes; first difference at line ${line + 1}: ${JSON.stringify(b[line])})`,
    ];
  } finally {
    await Deno.writeTextFile(path, committed);
  }
}

Deno.test({
  name: "every notebook runs in Jupyter Notebook in headless Chromium: Run All, outputs in place",
  ignore: !chromium || !jupyter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "kit-jupyter-browser-" });
    const artefacts = Deno.env.get("KIT_TEST_ARTIFACTS") ??
      join(repoRoot(), "runs", "test-artifacts", "jupyter-browser");
    const only = (Deno.env.get("KIT_BROWSER_NOTEBOOKS") ?? "").split(",").filter(Boolean);
    const notebooks = await selectNotebooks(join(repoRoot(), "notebooks"), only);
    const spec = await writePrivateKernelSpec(join(tmp, "share"));
    const xdg = join(tmp, "xdg");
    await Deno.mkdir(xdg, { mode: 0o700 });
    const server = await startNotebookServer({
      JUPYTER_PATH: spec,
      JUPYTER_DATA_DIR: join(tmp, "data"),
      KIT_PROFILE: "tiny",
      KIT_RESULTS_DIR: join(tmp, "results"),
      XDG_RUNTIME_DIR: xdg,
      NO_COLOR: "1",
    }, tmp);
    // Run All of one notebook may take minutes on a loaded machine: the wait below is one
    // DevTools call, which puppeteer would otherwise cut at 3 minutes ("Waiting failed").
    const browser = await launchChromium(chromium!, {
      protocolTimeoutMs: RUN_ALL_TIMEOUT_MS + 60_000,
    });
    const failures: string[] = [];
    try {
      for (const path of notebooks) {
        const name = path.split("/").pop()!;
        const page = await browser.browser.newPage();
        await page.setViewport({ width: 1280, height: 900 });
        let problems: string[] = [];
        let json = "";
        try {
          const r = await runAll(
            page,
            `${server.url}notebooks/${name}?token=${server.token}`,
            RUN_ALL_TIMEOUT_MS,
          );
          json = r.json;
          problems = cellProblems(r.cells);
          if (r.drawn !== r.figures) {
            problems.push(`${r.figures - r.drawn} of ${r.figures} figures not drawn by plotly`);
          }
          const plotly = r.cells.flatMap((c: { outputs: PageOutput[] }) => c.outputs)
            .filter((o: PageOutput) => outputKinds(o).includes("figure")).length;
          if (plotly !== r.figures) {
            problems.push(`${plotly} figure outputs but ${r.figures} figures in the page`);
          }
          const trains = r.cells.some((c: { source: string }) => displayKinds(c.source).progress);
          if (trains && r.progress === 0) problems.push("no progress display in the page");
          if (path === notebooks[0]) problems.push(...await saveRoundTrip(page, path));
          console.log(
            `${name}: ${r.cells.length} code cells, ${r.figures} figures drawn, ` +
              `${r.progress} progress displays${
                problems.length ? `, ${problems.length} problems` : ""
              }`,
          );
        } catch (err) {
          const cause = (err as Error).cause;
          problems.push(
            `did not finish: ${(err as Error).message}${
              cause instanceof Error ? ` (${cause.message})` : ""
            }`,
          );
        }
        if (problems.length > 0) {
          await Deno.mkdir(artefacts, { recursive: true });
          const shot = join(artefacts, name.replace(/\.ipynb$/, ".png"));
          await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
          if (json) await Deno.writeTextFile(join(artefacts, name), json);
          failures.push(`${name} (screenshot ${shot}):\n  ${problems.join("\n  ")}`);
        }
        await page.close();
        // Shut the notebook's kernel down before the next one starts.
        const sessions = await (await fetch(`${server.url}api/sessions?token=${server.token}`))
          .json() as { id: string }[];
        for (const s of sessions) {
          const res = await fetch(`${server.url}api/sessions/${s.id}?token=${server.token}`, {
            method: "DELETE",
          });
          await res.body?.cancel();
        }
      }
    } finally {
      await browser.close();
      await server.stop();
      const log = server.log();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      // The server log stays quiet: no Mesa runtime-dir errors, no npm progress lines.
      const noise = log.split("\n").filter((l) =>
        /XDG_RUNTIME_DIR|Initialize|Ignored build scripts|is unstable/.test(l)
      );
      if (noise.length > 0) failures.push(`server log noise:\n  ${noise.slice(0, 5).join("\n  ")}`);
    }
    assert.deepEqual(failures, [], failures.join("\n"));
  },
});

Deno.test("cellProblems: a table under the wrong cell, a missing figure and errors are reported", () => {
  const table = { output_type: "display_data", data: { "text/html": "<table></table>" } };
  const fig = {
    output_type: "display_data",
    data: { "application/vnd.plotly.v1+json": {}, "text/html": "<div class='kit-figure'>" },
  };
  assert.deepEqual(
    cellProblems([
      { source: "await showTable(rows);", outputs: [table] },
      { source: "await r.show(fig, 'a');", outputs: [fig] },
    ]),
    [],
  );
  const moved = cellProblems([
    { source: "await showTable(rows);", outputs: [] },
    { source: "await r.show(fig, 'a');", outputs: [fig, table] },
  ]);
  assert.deepEqual(moved, [
    "cell 0: its table is missing",
    "cell 1: shows a table its code does not display (another cell's output)",
  ]);
  assert.deepEqual(
    cellProblems([{
      source: "if (x) await show(fig);",
      outputs: [{ output_type: "error", ename: "ReferenceError", evalue: "mapSize" }],
    }]),
    ["cell 0: error ReferenceError: mapSize"],
  );
  // Library warnings on stderr are not another cell's output.
  assert.deepEqual(
    cellProblems([{
      source: "const a = 1;",
      outputs: [{ output_type: "stream", name: "stderr" }],
    }]),
    [],
  );
});
