/**
 * Stopping a long CLI run cleanly: the first SIGINT (Ctrl-C) or SIGTERM asks
 * the run to stop (the trainer saves a checkpoint at its next step and the
 * command ends), a second one exits at once with status 130.
 *
 * ```ts
 * const stop = stopOnSignals();
 * await runExperiment(cfg, { shouldStop: stop.requested });
 * ```
 *
 * @module
 */

/** A stop request fed by signals. */
export interface StopOnSignals {
  /** Whether a signal has asked the run to stop (pass as `shouldStop`). */
  requested: () => boolean;
  /** Removes the signal listeners. */
  dispose: () => void;
}

/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  /** Signals listened to (default SIGINT and SIGTERM). */
  signals?: readonly Deno.Signal[];
  /** Where the notice goes (default console.error). */
  log?: (line: string) => void;
  /** Ends the process on the second signal (default Deno.exit). */
  exit?: (code: number) => void;
}

/** Listens for stop signals (see module docs); platforms without signals get a no-op. */
export function stopOnSignals(opts: StopOnSignalsOptions = {}): StopOnSignals {
  const log = opts.log ?? ((line: string) => console.error(line));
  const exit = opts.exit ?? ((code: number) => Deno.exit(code));
  let requested = false;
  const listeners: [Deno.Signal, () => void][] = [];
  for (const sig of opts.signals ?? ["SIGINT", "SIGTERM"] as const) {
    const onSignal = () => {
      if (requested) return exit(130);
      requested = true;
      log(`\n${sig}: saving a checkpoint at the next step (press again to exit at once)`);
    };
    try {
      Deno.addSignalListener(sig, onSignal);
      listeners.push([sig, onSignal]);
    } catch { /* signals unsupported on this platform */ }
  }
  return {
    requested: () => requested,
    dispose: () => {
      for (const [sig, onSignal] of listeners) Deno.removeSignalListener(sig, onSignal);
      listeners.length = 0;
    },
  };
}
