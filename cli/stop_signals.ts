/**
 * Stopping a long CLI run cleanly: the first SIGINT (Ctrl-C) or SIGTERM asks
 * the run to stop (the trainer saves a checkpoint at its next step and the
 * command ends), a second one exits at once with status 130.
 *
 * The main thread sees a signal only when it yields to the event loop (the
 * trainer does so after every step). So that the notice appears at once and
 * the second signal ends the process at once even in the middle of a long
 * step, a small watchdog worker (stop_watchdog.ts) listens on its own thread:
 * it prints the notice and ends the process on the second signal. A live
 * worker keeps the process running: call `dispose`, or end with `Deno.exit`
 * (as `runMain` does).
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
  /**
   * Start the watchdog worker (default: true unless `exit` or `log` is given,
   * as in tests that signal their own process).
   */
  watchdog?: boolean;
}

/** Listens for stop signals (see module docs); platforms without signals get a no-op. */
export function stopOnSignals(opts: StopOnSignalsOptions = {}): StopOnSignals {
  const log = opts.log ?? ((line: string) => console.error(line));
  const exit = opts.exit ?? ((code: number) => Deno.exit(code));
  const signals = opts.signals ?? ["SIGINT", "SIGTERM"] as const;
  let requested = false;
  let watchdog: Worker | undefined;
  if (opts.watchdog ?? (opts.exit === undefined && opts.log === undefined)) {
    try {
      watchdog = new Worker(new URL("./stop_watchdog.ts", import.meta.url).href, {
        type: "module",
      });
      watchdog.onerror = (e) => {
        e.preventDefault(); // a watchdog that cannot start: the main thread reports signals
        watchdog = undefined;
      };
      watchdog.postMessage({ signals: [...signals] });
    } catch {
      watchdog = undefined; // no workers here: signals are seen when the main thread yields
    }
  }
  const listeners: [Deno.Signal, () => void][] = [];
  for (const sig of signals) {
    const onSignal = () => {
      if (requested) return exit(130);
      requested = true;
      if (!watchdog) {
        log(`\n${sig}: saving a checkpoint at the next step (press again to exit at once)`);
      }
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
      watchdog?.terminate();
      watchdog = undefined;
    },
  };
}
