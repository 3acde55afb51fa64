/**
 * The Deno Jupyter kernelspec: a private one for headless runs (always the
 * current `deno` executable) and the user's one for JupyterLab / VS Code.
 *
 * @module
 */
import { join } from "node:path";

/** Kernelspec name used by the kit's notebooks (`metadata.kernelspec.name`). */
export const KERNEL_NAME = "deno";

/** `kernel.json` content that starts `deno jupyter --kernel` with the given executable. */
export function kernelJson(denoPath: string = Deno.execPath()): Record<string, unknown> {
  return {
    argv: [denoPath, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno",
    language: "typescript",
  };
}

/**
 * Writes `<root>/kernels/deno/kernel.json` pointing at the current deno and
 * returns `root`, to be put first on `JUPYTER_PATH` for a headless run.
 */
export async function writePrivateKernelSpec(root: string): Promise<string> {
  const dir = join(root, "kernels", KERNEL_NAME);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "kernel.json"), JSON.stringify(kernelJson(), null, 1));
  return root;
}

/** Jupyter data directories searched for kernelspecs (user, then system). */
export function jupyterDataDirs(): string[] {
  const home = Deno.env.get("HOME") ?? "";
  const xdg = Deno.env.get("XDG_DATA_HOME") ?? (home ? join(home, ".local", "share") : "");
  const extra = (Deno.env.get("JUPYTER_PATH") ?? "").split(":").filter(Boolean);
  return [
    ...extra,
    ...(Deno.env.get("JUPYTER_DATA_DIR") ? [Deno.env.get("JUPYTER_DATA_DIR")!] : []),
    ...(xdg ? [join(xdg, "jupyter")] : []),
    "/usr/local/share/jupyter",
    "/usr/share/jupyter",
  ];
}

/** Path of an installed `deno` kernelspec, if any. */
export function findInstalledKernelSpec(): string | undefined {
  for (const dir of jupyterDataDirs()) {
    const path = join(dir, "kernels", KERNEL_NAME, "kernel.json");
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Installs the user kernelspec (for interactive Jupyter) when none exists;
 * returns its path. Writes the same file `deno jupyter --install` would.
 */
export async function ensureUserKernelSpec(): Promise<string> {
  const found = findInstalledKernelSpec();
  if (found) return found;
  const home = Deno.env.get("HOME");
  if (!home && !Deno.env.get("XDG_DATA_HOME")) {
    throw new Error(
      "cannot install the Deno kernelspec: HOME is not set; set HOME or XDG_DATA_HOME",
    );
  }
  const base = Deno.env.get("XDG_DATA_HOME") ?? join(home!, ".local", "share");
  const dir = join(base, "jupyter", "kernels", KERNEL_NAME);
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "kernel.json");
  await Deno.writeTextFile(path, JSON.stringify(kernelJson(), null, 1));
  return path;
}
