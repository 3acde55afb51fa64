/**
 * Headless notebook execution with the Deno kernel, through the Python
 * executor `kernel_executor.py` (jupyter_client). Unlike nbclient it keeps
 * every output the Deno kernel sends after reporting idle (see the executor's
 * docstring for the flush protocol).
 *
 * Needs python3 with jupyter_client (Debian: `apt-get install -y
 * python3-jupyter-client`); no Jupyter server, no nbconvert.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { KERNEL_NAME, writePrivateKernelSpec } from "./kernelspec.ts";

/** Path of the Python executor shipped beside this module. */
export const EXECUTOR_PATH: string = fileURLToPath(
  new URL("./kernel_executor.py", import.meta.url),
);

/** Pythons tried, in order, after env KIT_PYTHON. */
export const PYTHON_CANDIDATES: readonly string[] = ["/usr/bin/python3", "python3"];

/** A python3 that can import jupyter_client, or undefined. */
export async function findPython(): Promise<string | undefined> {
  const env = Deno.env.get("KIT_PYTHON");
  for (const py of env ? [env] : PYTHON_CANDIDATES) {
    try {
      const { success } = await new Deno.Command(py, {
        args: ["-c", "import jupyter_client"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return py;
    } catch {
      // not installed
    }
  }
  return undefined;
}

/** Like {@link findPython} but throws the install instruction. */
export async function requirePython(): Promise<string> {
  const py = await findPython();
  if (py) return py;
  throw new Error(
    "no python3 with jupyter_client found (tried " +
      `${Deno.env.get("KIT_PYTHON") ?? PYTHON_CANDIDATES.join(", ")}); ` +
      `install it with "apt-get install -y python3-jupyter-client" or set KIT_PYTHON`,
  );
}

/** Options of {@link executeNotebook}. */
export interface ExecuteOptions {
  /** Where the executed notebook is written (may equal the input for in-place runs). */
  outPath: string;
  /** Extra environment for the kernel (e.g. `{ KIT_PROFILE: "tiny" }`). */
  env?: Record<string, string>;
  /** Seconds per cell (default 1800). */
  cellTimeoutSeconds?: number;
  /** Python with jupyter_client (default: {@link requirePython}). */
  python?: string;
  /** Receives the executor's progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** What {@link executeNotebook} reports. */
export interface ExecuteResult {
  notebook: string;
  out: string;
  ok: boolean;
  /** Code cells in the notebook and how many ran. */
  cells: number;
  executed: number;
  /** Index (in `cells`) of the cell that failed, with its error. */
  failedCell?: number;
  ename?: string;
  evalue?: string;
  /** First source line of the failed cell. */
  firstLine?: string;
  seconds: number;
}

/**
 * Runs every code cell of the notebook at `path` in a fresh Deno kernel
 * (working directory: the notebook's folder), stopping at the first error,
 * and writes the notebook with its outputs to `opts.outPath`.
 */
export async function executeNotebook(path: string, opts: ExecuteOptions): Promise<ExecuteResult> {
  const python = opts.python ?? await requirePython();
  const specRoot = await Deno.makeTempDir({ prefix: "kit-kernelspec-" });
  try {
    await writePrivateKernelSpec(specRoot);
    const jupyterPath = [specRoot, Deno.env.get("JUPYTER_PATH")].filter(Boolean).join(":");
    const child = new Deno.Command(python, {
      args: [
        EXECUTOR_PATH,
        path,
        "--out",
        opts.outPath,
        "--kernel",
        KERNEL_NAME,
        "--timeout",
        String(opts.cellTimeoutSeconds ?? 1800),
      ],
      env: { ...opts.env, JUPYTER_PATH: jupyterPath },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const log = opts.log ?? ((l: string) => console.error(l));
    const stderrDone = (async () => {
      let rest = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const l of lines) if (!/"deno jupyter" is unstable/.test(l)) log(l);
      }
      if (rest) log(rest);
    })();
    const stdout = await new Response(child.stdout).text();
    const status = await child.status;
    await stderrDone;
    const last = stdout.trim().split("\n").at(-1) ?? "";
    try {
      return JSON.parse(last) as ExecuteResult;
    } catch {
      throw new Error(
        `${path}: the notebook executor exited with code ${status.code} and no summary ` +
          `(stdout: ${stdout.slice(-500) || "empty"}); see the log lines above`,
      );
    }
  } finally {
    await Deno.remove(specRoot, { recursive: true }).catch(() => {});
  }
}
