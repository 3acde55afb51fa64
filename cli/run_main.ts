/**
 * The entry point of a CLI module: runs its `main`, exits with the status it
 * returns, and turns a thrown error into one `error: ...` line on stderr (the
 * stack too with env KIT_DEBUG set) and an exit status.
 *
 * ```ts
 * if (import.meta.main) await runMain(() => main(Deno.args));
 * ```
 *
 * @module
 */
import { UsageError } from "./args.ts";

/** Options of {@link runMain}. */
export interface RunMainOptions {
  /**
   * Exit status for an error other than a {@link UsageError} (always 2), e.g.
   * 130 for an interrupted run. Default: 2.
   */
  exitCode?: (err: Error) => number;
  /** Where the error lines go (default console.error). */
  log?: (line: string) => void;
  /** Ends the process (default Deno.exit; tests pass their own). */
  exit?: (code: number) => never;
}

/** Runs `main` and exits with its status, or with an error status (see module docs). */
export async function runMain(
  main: () => Promise<number>,
  opts: RunMainOptions = {},
): Promise<never> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const exit = opts.exit ?? ((code: number) => Deno.exit(code));
  let code: number;
  try {
    code = await main();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    log(`error: ${e.message}`);
    if (Deno.env.get("KIT_DEBUG") && e.stack) log(e.stack);
    code = e instanceof UsageError ? 2 : opts.exitCode?.(e) ?? 2;
  }
  return exit(code);
}
