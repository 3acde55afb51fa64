/**
 * Locating a user-installed `@tensorflow/tfjs-node-gpu` / `@tensorflow/tfjs-node` (native
 * libtensorflow, backend name "tensorflow") without ever triggering its installation.
 *
 * Those packages download libtensorflow in an install script (CUDA 11.2 builds only), which
 * cannot run offline; the kit therefore never imports them through `npm:` (that could start
 * a download) but only loads one that already sits, built, under a `node_modules` folder.
 *
 * @module
 */

/** Packages providing the "tensorflow" backend, preferred first. */
export const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

/** A located, importable tfjs-node package. */
export interface TfjsNodeInstall {
  /** Package name, e.g. "@tensorflow/tfjs-node-gpu". */
  name: string;
  /** Absolute path of the package directory. */
  dir: string;
  /** file: URL of the package's main module. */
  entry: URL;
}

/** Result of `findTfjsNode`: the install, or why there is none. */
export type TfjsNodeProbe =
  | { found: true; install: TfjsNodeInstall; detail: string }
  | { found: false; detail: string };

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

/** Directories to search for node_modules: `start` and each of its parents. */
function ancestors(start: string): string[] {
  const out: string[] = [];
  let dir = start.replace(/\/+$/, "");
  while (dir !== "") {
    out.push(dir);
    const up = dir.slice(0, dir.lastIndexOf("/"));
    if (up === dir) break;
    dir = up;
  }
  out.push("/");
  return out;
}

/** Does the package directory contain its built native binding? */
function hasNativeBinding(dir: string): boolean {
  const lib = `${dir}/lib`;
  if (!exists(lib)) return false;
  for (const entry of Deno.readDirSync(lib)) {
    if (entry.isDirectory && exists(`${lib}/${entry.name}/tfjs_binding.node`)) return true;
  }
  return false;
}

/**
 * Looks for an installed and built tfjs-node(-gpu) under `node_modules` of `startDirs` and
 * their parents (default: the working directory). Never downloads anything; needs read
 * permission (answers "not found" without it).
 */
export function findTfjsNode(startDirs?: string[]): TfjsNodeProbe {
  let starts: string[];
  try {
    starts = startDirs ?? [Deno.cwd()];
  } catch {
    return { found: false, detail: "no read permission to look for node_modules (run with -A)" };
  }
  const incomplete: string[] = [];
  for (const name of TFJS_NODE_PACKAGES) {
    for (const start of starts) {
      for (const dir of ancestors(start)) {
        const pkgDir = `${dir === "/" ? "" : dir}/node_modules/${name}`;
        const pkg = readJson(`${pkgDir}/package.json`);
        if (pkg === undefined) continue;
        if (!hasNativeBinding(pkgDir)) {
          incomplete.push(`${pkgDir} (no lib/*/tfjs_binding.node: its install script did not run)`);
          continue;
        }
        const main = typeof pkg.main === "string" ? pkg.main : "dist/index.js";
        return {
          found: true,
          install: { name, dir: pkgDir, entry: new URL(`file://${pkgDir}/${main}`) },
          detail: `${name} installed at ${pkgDir}`,
        };
      }
    }
  }
  if (incomplete.length > 0) {
    return { found: false, detail: `tfjs-node found but not built: ${incomplete.join("; ")}` };
  }
  return {
    found: false,
    detail: "neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed in " +
      "node_modules (their install script downloads libtensorflow, CUDA 11.2 builds only; " +
      "install one with network access: npm i @tensorflow/tfjs-node-gpu@4.22.0)",
  };
}

/** Imports an installed tfjs-node package, which registers the "tensorflow" backend. */
export async function importTfjsNode(install: TfjsNodeInstall): Promise<void> {
  try {
    await import(install.entry.href);
  } catch (e) {
    throw new Error(
      `could not import ${install.name} from ${install.dir}: ${(e as Error).message}; ` +
        `reinstall it (npm i ${install.name}@4.22.0) or choose another backend.`,
    );
  }
}
