/**
 * Repository paths for notebooks, independent of the kernel's working
 * directory: the repo root, `runs/` and the results folder (env
 * KIT_RESULTS_DIR overrides `results/`, e.g. for CI runs of the notebooks).
 *
 * Results of the `tiny` profile (meaningless numbers, written by every test
 * run) go to `runs/notebook-results/` (git-ignored with all of `runs/`), so
 * running a notebook never adds untracked folders under `results/`; see
 * {@link profileResultsDir}.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Profile } from "./profile.ts";

/** Absolute path of the repository root. */
export function repoRoot(): string {
  return fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
}

/**
 * `text` with every absolute path under the repository root written relative to it (outputs
 * then read the same on every machine: `results/smag-mask`, not `/home/me/kit/results/...`).
 */
export function repoRelative(text: string): string {
  const root = `${repoRoot()}/`;
  return text.split(root).join("");
}

/** `<root>/runs/<parts...>`: where training runs go (git-ignored). */
export function runsDir(...parts: string[]): string {
  return join(repoRoot(), "runs", ...parts);
}

/** Results folder (`KIT_RESULTS_DIR` or `<root>/results`) joined with `parts`. */
export function resultsDir(...parts: string[]): string {
  return join(Deno.env.get("KIT_RESULTS_DIR") ?? join(repoRoot(), "results"), ...parts);
}

/**
 * Where a notebook on `profile` writes results: {@link resultsDir} for
 * every profile but `tiny` (and for every profile when KIT_RESULTS_DIR is set,
 * as CI does), `runs/notebook-results/` (git-ignored) for `tiny`.
 */
export function profileResultsDir(profile: Profile, ...parts: string[]): string {
  if (profile === "tiny" && !Deno.env.get("KIT_RESULTS_DIR")) {
    return runsDir("notebook-results", ...parts);
  }
  return resultsDir(...parts);
}
