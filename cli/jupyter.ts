/**
 * `./kit jupyter` (`deno task jupyter`): the notebooks in Jupyter.
 *
 * 1. installs this checkout's Deno kernelspec ("smag-kit", shown as "Deno
 *    (S-MAG kit: <checkout>)"; see lib/notebook/kernelspec.ts) into the
 *    user's Jupyter folder, where Jupyter Notebook, JupyterLab and VS Code
 *    find it;
 * 2. installs the npm packages the notebooks import (`deno install`), so
 *    that kernels start without download lines;
 * 3. starts Debian's Jupyter Notebook on 127.0.0.1 in `notebooks/`, with the
 *    kit's config (outputs are stripped when a notebook is saved), or, with
 *    `--print` or without Jupyter Notebook, prints how to start your own
 *    Jupyter, JupyterLab or VS Code with the kernel.
 *
 * ```
 * ./kit jupyter                         # installs jupyter-notebook (Debian) when run as root
 * ./kit jupyter --no-browser --port 8890
 * ./kit jupyter --print                 # kernelspec only, then how to start a front-end
 * ```
 *
 * The profile of every notebook is the `PROFILE` switch in its first code
 * cell; its default comes from env KIT_PROFILE (`KIT_PROFILE=tiny ./kit
 * jupyter` makes `tiny` the default of all notebooks).
 *
 * @module
 */
import { join } from "node:path";
import { installKernelSpec, KERNEL_NAME } from "../lib/notebook/kernelspec.ts";
import {
  findJupyterNotebook,
  notebookServerArgs,
  writeJupyterConfig,
} from "../lib/notebook/jupyter_server.ts";
import { repoRoot } from "../lib/notebook/paths.ts";
import { parseCommandLine, positiveIntegerFlag } from "./args.ts";
import { runMain } from "./run_main.ts";

const USAGE = `usage: ./kit jupyter [--port N] [--no-browser] [--print]

Installs this checkout's Deno kernel ("${KERNEL_NAME}") and starts Jupyter Notebook on
127.0.0.1 in notebooks/ (--print: only install the kernel and say how to start a front-end).
The notebooks' profile switch defaults to env KIT_PROFILE (else "quick").`;

/** How to open the notebooks with the installed kernel in each front-end. */
export function frontEndHelp(root: string = repoRoot()): string {
  return [
    `Kernel "${KERNEL_NAME}" installed; open ${join(root, "notebooks")} with one of:`,
    `  Jupyter Notebook  jupyter notebook --notebook-dir=${join(root, "notebooks")}`,
    "                    (./kit jupyter starts it with the kit's config: outputs are stripped on",
    "                    save; Debian: apt-get install jupyter-notebook)",
    `  JupyterLab        jupyter lab ${join(root, "notebooks")}  (pip install jupyterlab)`,
    `  VS Code           open the folder ${root}, install the Jupyter extension, open a notebook`,
    `                    and pick the kernel "Deno (S-MAG kit: ${root})"`,
    "Each notebook's first code cell holds its profile switch (PROFILE; default env KIT_PROFILE,",
    'else "quick"). Run the cells in order, or Run All.',
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  const cli = parseCommandLine({
    args,
    options: {
      port: { type: "string" },
      "no-browser": { type: "boolean", default: false },
      print: { type: "boolean", default: false },
    },
  }, USAGE);
  if (!cli) return 0;
  const { values } = cli;
  const root = repoRoot();
  const spec = await installKernelSpec();
  console.error(`[kit] kernelspec ${KERNEL_NAME}: ${spec}`);
  const install = await new Deno.Command(Deno.execPath(), {
    args: ["install", "-q"],
    cwd: root,
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!install.success) console.error("[kit] deno install failed; kernels will fetch on first use");
  const jupyter = values.print ? undefined : await findJupyterNotebook();
  if (!jupyter) {
    if (!values.print) {
      console.error(
        "[kit] Jupyter Notebook is not installed (Debian: apt-get install -y jupyter-notebook; " +
          "./kit jupyter installs it when run as root)",
      );
    }
    console.log(frontEndHelp(root));
    return 0;
  }
  const config = await writeJupyterConfig(join(root, ".tools", "jupyter"), root);
  console.error(frontEndHelp(root).split("\n").slice(-2).join("\n"));
  const child = new Deno.Command(jupyter, {
    args: notebookServerArgs({
      config,
      port: positiveIntegerFlag("port", values.port),
      noBrowser: values["no-browser"] === true,
    }),
    cwd: root,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const stop = () => {
    try {
      child.kill("SIGINT");
    } catch {
      // gone
    }
  };
  Deno.addSignalListener("SIGTERM", stop);
  const status = await child.status;
  Deno.removeSignalListener("SIGTERM", stop);
  return status.code;
}

if (import.meta.main) await runMain(() => main(Deno.args));
