/**
 * Running Debian's Jupyter Notebook (package `jupyter-notebook`, 6.x) for the
 * kit: the configuration it starts with, its command line, and a background
 * server for tests (`startNotebookServer`, on 127.0.0.1 with a random token).
 *
 * The configuration (`jupyterConfig`) makes the file manager strip outputs,
 * execution counts and UI metadata when it saves a notebook of this checkout
 * and restores the kit's kernelspec entry, so that the committed notebooks
 * stay clean however they are run (see ipynb.ts; a saved notebook is
 * byte-identical to the committed form unless its code or text changed).
 *
 * @module
 */
import { join } from "node:path";
import { KERNEL_DISPLAY_NAME, KERNEL_NAME } from "./kernelspec.ts";
import { repoRoot } from "./paths.ts";

/** Executables tried for Jupyter Notebook, in order. */
export const NOTEBOOK_COMMANDS: readonly string[] = [
  "/usr/bin/jupyter-notebook",
  "jupyter-notebook",
];

/** A Jupyter Notebook executable, or undefined (Debian: `apt-get install -y jupyter-notebook`). */
export async function findJupyterNotebook(): Promise<string | undefined> {
  for (const cmd of NOTEBOOK_COMMANDS) {
    try {
      const { success } = await new Deno.Command(cmd, {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return cmd;
    } catch {
      // not installed
    }
  }
  return undefined;
}

/** Python source of the kit's `jupyter_notebook_config.py` for checkout `root`. */
export function jupyterConfig(root: string = repoRoot()): string {
  const notebooks = JSON.stringify(join(root, "notebooks"));
  const spec = JSON.stringify({
    name: KERNEL_NAME,
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
  });
  return `# Written by the S-MAG kit (lib/notebook/jupyter_server.ts); rewritten on every start.
import json, os

_KIT_NOTEBOOKS = os.path.realpath(${notebooks})
_KIT_KERNELSPEC = json.loads(${JSON.stringify(spec)})
_UI_METADATA = ("collapsed", "scrolled", "execution", "jupyter", "trusted")


def _kit_strip_outputs(model, path, contents_manager, **kwargs):
    """Notebooks of the kit are saved without outputs (they are committed that way)."""
    if model.get("type") != "notebook":
        return
    full = os.path.realpath(os.path.join(contents_manager.root_dir, path))
    if os.path.dirname(full) != _KIT_NOTEBOOKS:
        return
    nb = model["content"]
    for cell in nb.get("cells", []):
        for key in _UI_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    meta = nb.setdefault("metadata", {})
    meta["kernelspec"] = dict(_KIT_KERNELSPEC)
    # The kernel reports its TypeScript version; the committed notebooks carry none.
    meta.get("language_info", {}).pop("version", None)


c = get_config()  # noqa: F821 (provided by Jupyter)
c.FileContentsManager.pre_save_hook = _kit_strip_outputs
c.NotebookApp.open_browser = os.environ.get("KIT_JUPYTER_BROWSER", "1") == "1"
`;
}

/** Writes the config into `<dir>/jupyter_notebook_config.py` and returns its path. */
export async function writeJupyterConfig(dir: string, root: string = repoRoot()): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "jupyter_notebook_config.py");
  await Deno.writeTextFile(path, jupyterConfig(root));
  return path;
}

/** Options of {@link notebookServerArgs}. */
export interface ServerArgsOptions {
  /** The kit's config file ({@link writeJupyterConfig}). */
  config: string;
  /** Port (default 8888; Jupyter tries the next ones when it is taken). */
  port?: number;
  /** Access token (default: Jupyter's own, printed in its log). */
  token?: string;
  /** Start without opening a browser. */
  noBrowser?: boolean;
  /** Folder shown (default: the checkout's notebooks/). */
  notebookDir?: string;
  /** Allow running as root (default: when this process runs as root, as in containers and CI). */
  allowRoot?: boolean;
}

/** Command-line arguments of Jupyter Notebook for the kit (local only: 127.0.0.1). */
export function notebookServerArgs(opts: ServerArgsOptions): string[] {
  return [
    `--config=${opts.config}`,
    "--ip=127.0.0.1",
    `--port=${opts.port ?? 8888}`,
    `--notebook-dir=${opts.notebookDir ?? join(repoRoot(), "notebooks")}`,
    ...(opts.token !== undefined ? [`--NotebookApp.token=${opts.token}`] : []),
    ...(opts.noBrowser ? ["--no-browser"] : []),
    ...((opts.allowRoot ?? Deno.uid() === 0) ? ["--allow-root"] : []),
  ];
}

/** A Jupyter Notebook server started in the background. */
export interface NotebookServer {
  /** Base URL, e.g. `http://127.0.0.1:8899/`. */
  url: string;
  token: string;
  /** Everything the server logged so far. */
  log(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts Jupyter Notebook on 127.0.0.1 with the kit's config, a random token
 * and `env` (e.g. JUPYTER_PATH holding the kit's kernelspec, KIT_PROFILE),
 * and waits until it answers (up to `timeoutMs`).
 */
export async function startNotebookServer(
  env: Record<string, string>,
  dir: string,
  timeoutMs = 60_000,
): Promise<NotebookServer> {
  const command = await findJupyterNotebook();
  if (!command) {
    throw new Error("jupyter-notebook is not installed (apt-get install -y jupyter-notebook)");
  }
  const config = await writeJupyterConfig(join(dir, "config"));
  const token = crypto.randomUUID().replaceAll("-", "");
  const port = freePort();
  const child = new Deno.Command(command, {
    args: notebookServerArgs({ config, port, token, noBrowser: true }),
    env: {
      ...env,
      JUPYTER_CONFIG_DIR: join(dir, "config"),
      JUPYTER_RUNTIME_DIR: join(dir, "runtime"),
      KIT_JUPYTER_BROWSER: "0",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const url = `http://127.0.0.1:${port}/`;
  let exited = false;
  child.status.then(() => (exited = true));
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    await child.status;
    clearTimeout(timer);
    await pumps.catch(() => {});
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`${url}api/status?token=${token}`);
      await res.body?.cancel();
      if (res.ok) return { url, token, log: () => text, stop };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  await stop();
  throw new Error(
    `Jupyter Notebook did not answer on ${url} within ${timeoutMs} ms; its log:\n${text}`,
  );
}
