/**
 * How an ablation is declared: a question, arms (each a patch of the
 * experiment config), a number of seeds, three compute profiles and the
 * metrics to report. One file per ablation in `lib/ablation/ablations/`
 * default-exports `defineAblation({...})`; the runner expands
 * arms x seeds into configs:
 *
 * ```
 * cfg = defaultExperiment()
 *   -> profile(cfg, dataset)      (tiny | quick | 10k-5ep | 10k-15ep | paper; dataset = --dataset or undefined)
 *   -> data.dataset = --dataset   (when given)
 *   -> arm.patch                  (deep-partial object merged in, or a function)
 *   -> seed = 0 .. seeds-1
 * ```
 *
 * @module
 */
import type { ExperimentConfig } from "../config/experiment.ts";
import { STANDARD_PROFILES } from "./profiles.ts";

/** Recursively optional version of `T`; arrays and primitives are replaced whole. */
export type DeepPartial<T> = T extends readonly unknown[] ? T
  : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> }
  : T;

/** An arm's change to the config: an object merged in (see {@link applyPatch}) or a function. */
export type ConfigPatch =
  | DeepPartial<ExperimentConfig>
  | ((cfg: ExperimentConfig) => ExperimentConfig);

/** One arm (condition) of an ablation. */
export interface AblationArm {
  /** Short id used in run directories and tables (letters, digits, `.`, `_`, `-`). */
  name: string;
  /** Human label for tables and figures (e.g. "tau = 0.1"). */
  label: string;
  patch: ConfigPatch;
}

/** Names of the compute profiles. */
export type ProfileName = "tiny" | "quick" | "10k-5ep" | "10k-15ep" | "paper";

/** All profile names, smallest first. */
export const PROFILE_NAMES: readonly ProfileName[] = [
  "tiny",
  "quick",
  "10k-5ep",
  "10k-15ep",
  "paper",
];

/**
 * The profile whose tables are the kit's evidence on a CPU: the default of
 * `deno task ablate` and of the notebooks, written to `results/<ablation>/`.
 * Every other profile writes to `results/<ablation>-<profile>/` by default.
 */
export const EVIDENCE_PROFILE: ProfileName = "10k-15ep";

/** Name of the results folder of ablation `name` on `profile`: `<name>` or `<name>-<profile>`. */
export function resultsFolderName(name: string, profile: ProfileName): string {
  return profile === EVIDENCE_PROFILE ? name : `${name}-${profile}`;
}

/** Default results folder of ablation `name` on `profile` (see {@link EVIDENCE_PROFILE}). */
export function defaultResultsDir(name: string, profile: ProfileName): string {
  return `results/${resultsFolderName(name, profile)}`;
}

/**
 * A compute profile: sets data size, network, epochs and evaluation budget.
 * `dataset` is the `--dataset` override (undefined: the profile's default);
 * a profile may adapt to it (e.g. fewer epochs on SVHN in `paper`).
 */
export type Profile = (cfg: ExperimentConfig, dataset?: string) => ExperimentConfig;

/** A fully specified ablation (what {@link defineAblation} returns). */
export interface AblationSpec {
  /** Registry name; also the default results folder `results/<name>`. */
  name: string;
  title: string;
  /** The question the ablation answers, in one or two sentences. */
  question: string;
  arms: AblationArm[];
  /** Default number of seeds (seeds 0 .. seeds-1); `--seeds` overrides. */
  seeds: number;
  profiles: Record<ProfileName, Profile>;
  /** Numeric fields of the run result to summarise (e.g. `linearTop1`, `knnTop1`). */
  metrics: string[];
  /** Arm the others are compared with (first arm when unset). */
  baseline?: string;
  /**
   * Pairs `[a, b]` compared (a minus b, paired by seed) besides each arm against the baseline,
   * e.g. the kit's default against its closest rival; they go into `comparisons.csv` too.
   */
  alsoCompare?: readonly (readonly [string, string])[];
}

/** What an ablation file passes to {@link defineAblation}; profiles default to the standard ones. */
export type AblationDefinition = Omit<AblationSpec, "profiles"> & {
  profiles?: Partial<Record<ProfileName, Profile>>;
};

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Validates a definition and fills in the standard profiles; throws naming the fix. */
export function defineAblation(def: AblationDefinition): AblationSpec {
  const where = `ablation "${def.name}"`;
  if (!NAME_PATTERN.test(def.name)) {
    throw new Error(
      `ablation name "${def.name}" must start with a letter or digit and use only letters, ` +
        `digits, ".", "_", "-" (it names the results folder)`,
    );
  }
  if (def.arms.length === 0) throw new Error(`${where}: declare at least one arm`);
  const seen = new Set<string>();
  for (const arm of def.arms) {
    if (!NAME_PATTERN.test(arm.name)) {
      throw new Error(
        `${where}: arm name "${arm.name}" must use only letters, digits, ".", "_", "-" ` +
          `(it names run directories); put free text in its label`,
      );
    }
    if (seen.has(arm.name)) throw new Error(`${where}: arm name "${arm.name}" is used twice`);
    seen.add(arm.name);
  }
  if (!Number.isInteger(def.seeds) || def.seeds < 1) {
    throw new Error(`${where}: seeds must be a positive integer, got ${def.seeds}`);
  }
  if (def.metrics.length === 0) {
    throw new Error(`${where}: list at least one metric (e.g. "linearTop1", "knnTop1")`);
  }
  if (def.baseline !== undefined && !seen.has(def.baseline)) {
    throw new Error(
      `${where}: baseline "${def.baseline}" is not an arm; arms are ${[...seen].join(", ")}`,
    );
  }
  for (const [a, b] of def.alsoCompare ?? []) {
    for (const arm of [a, b]) {
      if (!seen.has(arm)) {
        throw new Error(
          `${where}: alsoCompare names "${arm}", which is not an arm; arms are ${
            [...seen].join(", ")
          }`,
        );
      }
    }
    if (a === b) throw new Error(`${where}: alsoCompare compares "${a}" with itself`);
  }
  return { ...def, profiles: { ...STANDARD_PROFILES, ...def.profiles } };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const current = target[k];
    const sameKind = isPlainObject(v) && isPlainObject(current) &&
      (v.type === undefined || v.type === current.type);
    if (sameKind) mergeInto(current as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = structuredClone(v);
  }
}

/**
 * Applies an arm patch to a copy of `cfg` (the input is not modified).
 * Objects merge recursively; arrays and primitives are set whole;
 * `undefined` fields are ignored. An object whose `type` differs from the
 * current one (e.g. `encoder.neck: { type: "gated", ... }` over `gap`)
 * replaces it whole, so a new part never inherits the old part's fields.
 */
export function applyPatch(cfg: ExperimentConfig, patch: ConfigPatch): ExperimentConfig {
  const copy = structuredClone(cfg);
  if (typeof patch === "function") return patch(copy);
  mergeInto(copy as unknown as Record<string, unknown>, patch as Record<string, unknown>);
  return copy;
}
