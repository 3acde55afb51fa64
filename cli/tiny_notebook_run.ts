/**
 * Support for the notebook CI tests: runs notebooks headless on the `tiny`
 * profile through `cli/notebooks.ts`, into a temporary folder (results under
 * `<tmp>/results`, kernelspec under `<tmp>/share`), and reads back what the
 * executed notebooks show.
 *
 * @module
 */
import { join } from "node:path";

/** One cell output of an executed notebook (the fields the tests read). */
export interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
}

/** Executed notebooks of one {@link runNotebooksTiny} call. */
export interface TinyNotebookRun {
  /** The temporary folder: executed notebooks `<tmp>/<name>.ipynb`. */
  tmp: string;
  /** `KIT_RESULTS_DIR` of the run (`<tmp>/results`). */
  results: string;
  /** Every cell output of notebook `name`, in order. */
  outputs(name: string): NotebookOutput[];
  /** All Markdown that notebook `name` displayed, joined. */
  markdown(name: string): string;
  /** How many plotly figures notebook `name` displayed. */
  figureCount(name: string): number;
  /** Deletes the temporary folder. */
  remove(): Promise<void>;
}

/**
 * Executes the notebooks `names` (names or prefixes in notebooks/) on the
 * tiny profile; throws with the runner's log when any of them fails.
 */
export async function runNotebooksTiny(names: readonly string[]): Promise<TinyNotebookRun> {
  const tmp = await Deno.makeTempDir();
  const results = join(tmp, "results");
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/notebooks.ts", "--profile", "tiny", "--out", tmp, ...names],
    env: { KIT_RESULTS_DIR: results, XDG_DATA_HOME: join(tmp, "share"), NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (run.code !== 0) {
    throw new Error(
      `cli/notebooks.ts exited ${run.code} on ${names.join(", ")}; its log:\n` +
        new TextDecoder().decode(run.stderr),
    );
  }
  const outputs = (name: string): NotebookOutput[] => {
    const nb = JSON.parse(Deno.readTextFileSync(join(tmp, `${name}.ipynb`)));
    return nb.cells.flatMap((c: { outputs?: NotebookOutput[] }) => c.outputs ?? []);
  };
  return {
    tmp,
    results,
    outputs,
    markdown: (name) =>
      outputs(name).map((o) => o.data?.["text/markdown"]).filter(Boolean).join(""),
    figureCount: (name) =>
      outputs(name).filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length,
    remove: () => Deno.remove(tmp, { recursive: true }),
  };
}
