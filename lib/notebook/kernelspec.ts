/**
 * The kit's Jupyter kernelspec: the Deno kernel of this checkout, named
 * {@link KERNEL_NAME} ("smag-kit", the name every notebook asks for) so that
 * it neither replaces nor is replaced by a plain `deno jupyter --install`
 * ("deno"). Two copies are written:
 *
 * - the user's (`installKernelSpec`, by `./kit jupyter`), found by Jupyter
 *   Notebook, JupyterLab and VS Code; it is rewritten on every call so that it
 *   points at this checkout's `deno` (the display name says which checkout);
 * - a private one for headless runs and tests (`writePrivateKernelSpec`), put
 *   first on `JUPYTER_PATH`.
 *
 * The kernel starts with `deno jupyter -q` (no "unstable" warning and no npm
 * progress lines in the server log) and a valid, private `XDG_RUNTIME_DIR`
 * (without one, Mesa's Vulkan driver logs an error each time the kernel probes
 * for WebGPU).
 *
 * @module
 */
import { join } from "node:path";
import { repoRoot } from "./paths.ts";

/** Kernelspec name used by the kit's notebooks (`metadata.kernelspec.name`). */
export const KERNEL_NAME = "smag-kit";

/** Display name of the kernel in notebook metadata (the installed one adds the checkout). */
export const KERNEL_DISPLAY_NAME = "Deno (S-MAG kit)";

/** The private runtime folder kernels get as XDG_RUNTIME_DIR (created with mode 700). */
export function kernelRuntimeDir(): string {
  return join(repoRoot(), ".tools", "xdg-runtime");
}

/**
 * `kernel.json` content that starts `deno jupyter --kernel` of `denoPath`
 * for the checkout at `root`.
 */
export function kernelJson(
  denoPath: string = Deno.execPath(),
  root: string = repoRoot(),
): Record<string, unknown> {
  return {
    argv: [denoPath, "jupyter", "-q", "--kernel", "--conn", "{connection_file}"],
    display_name: `${KERNEL_DISPLAY_NAME.replace(/\)$/, "")}: ${root})`,
    language: "typescript",
    env: { XDG_RUNTIME_DIR: join(root, ".tools", "xdg-runtime"), NO_COLOR: "1" },
    metadata: { "smag-kit": { checkout: root } },
  };
}

async function writeSpec(dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.mkdir(kernelRuntimeDir(), { recursive: true, mode: 0o700 });
  const path = join(dir, "kernel.json");
  await Deno.writeTextFile(path, JSON.stringify(kernelJson(), null, 1) + "\n");
  return path;
}

/**
 * Writes `<root>/kernels/smag-kit/kernel.json` pointing at the current deno and
 * returns `root`, to be put first on `JUPYTER_PATH` for a headless run.
 */
export async function writePrivateKernelSpec(root: string): Promise<string> {
  await writeSpec(join(root, "kernels", KERNEL_NAME));
  return root;
}

/** The user's Jupyter data folder (`JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`). */
export function userJupyterDataDir(): string {
  const explicit = Deno.env.get("JUPYTER_DATA_DIR");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME");
  const xdg = Deno.env.get("XDG_DATA_HOME") ?? (home ? join(home, ".local", "share") : undefined);
  if (!xdg) {
    throw new Error(
      "cannot install the kernelspec: HOME is not set; set HOME, XDG_DATA_HOME or JUPYTER_DATA_DIR",
    );
  }
  return join(xdg, "jupyter");
}

/**
 * Installs (or rewrites) the user's kernelspec for this checkout and returns
 * the path of its `kernel.json`. Writes what `jupyter kernelspec install
 * --user` would, without needing the `jupyter` command.
 */
export async function installKernelSpec(): Promise<string> {
  return await writeSpec(join(userJupyterDataDir(), "kernels", KERNEL_NAME));
}
