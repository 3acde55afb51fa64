/**
 * Run-size profiles of the notebooks, the ablation profiles of
 * lib/ablation/profiles.ts: `tiny` (CI, seconds), `quick` (a smoke test on a
 * CPU, minutes), `10k-5ep` (a pilot: does a method learn at all), `10k-15ep` (the default: the committed evidence, read back
 * from results/ or trained at 10-40 min a run), `paper` (full settings).
 *
 * Each notebook's first code cell holds the switch, visible and editable:
 *
 * ```ts
 * const PROFILE = Deno.env.get("KIT_PROFILE") ?? "10k-15ep";
 * ```
 *
 * and passes it to {@link chooseProfile} (which checks it). Without a
 * notebook, {@link notebookProfile} reads env KIT_PROFILE; its default is
 * `tiny` under CI (env CI set) and {@link EVIDENCE_PROFILE} otherwise.
 *
 * @module
 */

import { EVIDENCE_PROFILE, PROFILE_NAMES, type ProfileName } from "../ablation/spec.ts";

/** Notebook run sizes (= the ablation profiles). */
export type Profile = ProfileName;

/** All profiles, smallest first. */
export const PROFILES: readonly Profile[] = PROFILE_NAMES;

/** The active profile (see module docs); throws on an unknown KIT_PROFILE. */
export function notebookProfile(): Profile {
  const env = Deno.env.get("KIT_PROFILE");
  if (env) {
    if (!(PROFILES as readonly string[]).includes(env)) {
      throw new Error(`KIT_PROFILE=${env} is not a profile; use one of ${PROFILES.join(", ")}`);
    }
    return env as Profile;
  }
  return Deno.env.get("CI") ? "tiny" : EVIDENCE_PROFILE;
}

/** Picks the value of the active profile from `{ tiny, quick, "10k-15ep", paper }`. */
export function byProfile<T>(values: Record<Profile, T>, profile = notebookProfile()): T {
  return values[profile];
}

/** What each profile is for, in one phrase (shown by the notebooks' first cell). */
export const PROFILE_USES: Readonly<Record<Profile, string>> = {
  tiny: "seconds; synthetic data, checks that everything runs, numbers meaningless",
  quick: "a smoke test on a CPU, minutes a run; CIFAR-10 subset, encoders barely trained",
  "10k-5ep": "a pilot on a CPU: 10,000 CIFAR-10 images x 5 epochs, 4-7 min a run",
  "10k-15ep": "the evidence on a CPU: 10,000 CIFAR-10 images x 15 epochs, 10-40 min a run",
  paper: "the papers' budgets; a GPU",
};

/**
 * Checks a profile chosen in a notebook's first cell (`PROFILE`) and makes
 * it the process's profile (env KIT_PROFILE), so that library code calling
 * {@link notebookProfile} agrees with the notebook. Throws naming the choices.
 */
export function chooseProfile(choice: string): Profile {
  const p = choice.trim();
  if (!(PROFILES as readonly string[]).includes(p)) {
    throw new Error(
      `profile "${choice}" is not one of ${PROFILES.join(", ")}; set PROFILE in the first cell ` +
        `(or env KIT_PROFILE before starting Jupyter)`,
    );
  }
  Deno.env.set("KIT_PROFILE", p);
  return p as Profile;
}
