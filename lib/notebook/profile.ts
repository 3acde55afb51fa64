/**
 * Run-size profiles of the notebooks: `tiny` (CI, seconds), `quick`
 * (interactive default, minutes), `paper` (full settings). Chosen by env
 * KIT_PROFILE; the default is `tiny` under CI (env CI set) and `quick` otherwise.
 *
 * @module
 */

/** Notebook run sizes. */
export type Profile = "tiny" | "quick" | "paper";

/** All profiles, smallest first. */
export const PROFILES: readonly Profile[] = ["tiny", "quick", "paper"];

/** The active profile (see module docs); throws on an unknown KIT_PROFILE. */
export function notebookProfile(): Profile {
  const env = Deno.env.get("KIT_PROFILE");
  if (env) {
    if (!(PROFILES as readonly string[]).includes(env)) {
      throw new Error(`KIT_PROFILE=${env} is not a profile; use one of ${PROFILES.join(", ")}`);
    }
    return env as Profile;
  }
  return Deno.env.get("CI") ? "tiny" : "quick";
}

/** Picks the value of the active profile from `{ tiny, quick, paper }`. */
export function byProfile<T>(values: Record<Profile, T>, profile = notebookProfile()): T {
  return values[profile];
}
