/**
 * Command-line flag values of the kit's CLIs: `parseArgs` with the usage text
 * on a bad flag, and the checks of number, integer and choice flags. Every
 * bad value throws a {@link UsageError} whose message names the flag and the
 * fix; `runMain` (run_main.ts) prints it and exits with status 2.
 *
 * ```ts
 * const cli = parseCommandLine({ args, options: { seeds: { type: "string" } } }, HELP);
 * if (!cli) return 0; // --help: the usage is printed
 * const seeds = positiveIntegerFlag("seeds", cli.values.seeds); // number | undefined
 * ```
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BACKEND_NAMES, type BackendRequest } from "../lib/backend/select.ts";

/** A bad command line: the message names the flag and the fix (exit status 2). */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * `parseArgs(config)` with `--help` / `-h` added: on `--help` it prints
 * `usage` (the command's help text) with `print` (default console.log) and
 * returns undefined, so the command ends with status 0; an unknown flag or a
 * missing value throws a {@link UsageError} that ends with `usage`.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  config: T,
  usage: string,
  print: (text: string) => void = console.log,
): ReturnType<typeof parseArgs<T>> | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      ...config,
      args: config.args && joinNegativeValues(config.args, config.options ?? {}),
      options: { ...config.options, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) {
    print(usage);
    return undefined;
  }
  delete values.help;
  return parsed as ReturnType<typeof parseArgs<T>>;
}

/**
 * `--flag -1` as `--flag=-1` for string-valued flags: `parseArgs` would take
 * a value that starts with a dash for a flag and refuse it as ambiguous, so a
 * negative number would never reach the flag's own check (which names the
 * allowed range).
 */
function joinNegativeValues(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : undefined;
    const next = args[i + 1];
    if (
      name !== undefined && options[name]?.type === "string" && next !== undefined &&
      /^-(\d|\.\d|Infinity|NaN)/.test(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

type NumberKind = "number" | "integer" | "positive integer";

const FIX: Record<NumberKind, [string, string]> = {
  number: ["a number", "a finite number"],
  integer: ["an integer", "a whole number"],
  "positive integer": ["a positive integer", "a whole number of 1 or more"],
};

function numberOfKind(flag: string, value: string, kind: NumberKind): number {
  const n = value.trim() === "" ? NaN : Number(value);
  const ok = Number.isFinite(n) &&
    (kind === "number" || Number.isInteger(n)) &&
    (kind !== "positive integer" || n >= 1);
  if (!ok) {
    const [what, fix] = FIX[kind];
    throw new UsageError(
      `--${flag} expects ${what}, got "${value}"; give ${fix}, e.g. --${flag} ${
        kind === "number" ? "0.5" : "3"
      }`,
    );
  }
  return n;
}

/** The value of `--<flag>` as a finite number; undefined when the flag is absent. */
export function numberFlag(flag: string, value: string): number;
/** The value of `--<flag>` as a finite number; undefined when the flag is absent. */
export function numberFlag(flag: string, value: string | undefined): number | undefined;
export function numberFlag(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : numberOfKind(flag, value, "number");
}

/** The value of `--<flag>` as an integer (any sign); undefined when the flag is absent. */
export function integerFlag(flag: string, value: string): number;
/** The value of `--<flag>` as an integer (any sign); undefined when the flag is absent. */
export function integerFlag(flag: string, value: string | undefined): number | undefined;
export function integerFlag(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : numberOfKind(flag, value, "integer");
}

/** The value of `--<flag>` as an integer of at least 1; undefined when the flag is absent. */
export function positiveIntegerFlag(flag: string, value: string): number;
/** The value of `--<flag>` as an integer of at least 1; undefined when the flag is absent. */
export function positiveIntegerFlag(flag: string, value: string | undefined): number | undefined;
export function positiveIntegerFlag(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : numberOfKind(flag, value, "positive integer");
}

/** The value of `--<flag>` if it is one of `choices`; undefined when the flag is absent. */
export function choiceFlag<T extends string>(
  flag: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`unknown --${flag} "${value}"; choose one of ${choices.join(", ")}`);
  }
  return value as T;
}

/** What `--backend` accepts: `auto` or a backend name. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = ["auto", ...BACKEND_NAMES];

/** The value of `--backend` (one of {@link BACKEND_REQUESTS}); undefined when absent. */
export function backendFlag(value: string | undefined): BackendRequest | undefined {
  return choiceFlag("backend", value, BACKEND_REQUESTS);
}
