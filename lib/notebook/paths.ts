/**
 * Repository paths for notebooks, independent of the kernel's working
 * directory: the repo root, `runs/` and the results folder (env
 * KIT_RESULTS_DIR overrides `results/`, e.g. for CI runs of the notebooks).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root. */
export function repoRoot(): string {
  return fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
}

/** `<root>/runs/<parts...>`: where training runs go (git-ignored). */
export function runsDir(...parts: string[]): string {
  return join(repoRoot(), "runs", ...parts);
}

/** Results folder (`KIT_RESULTS_DIR` or `<root>/results`) joined with `parts`. */
export function resultsDir(...parts: string[]): string {
  return join(Deno.env.get("KIT_RESULTS_DIR") ?? join(repoRoot(), "results"), ...parts);
}
