/**
 * Worker side of the stop watchdog (see stop_signals.ts). It runs on its own
 * thread, so it answers signals at once even while the main thread is busy
 * inside a long synchronous training step: at the first stop signal it
 * prints the notice (the main thread sets its stop flag when it next yields),
 * at the second it ends the process with status 130 through libc `_exit`
 * where FFI is allowed, else by SIGKILL (status 137).
 *
 * Message in: `{ signals: Deno.Signal[] }`.
 *
 * @module
 */

/** Ends the whole process now (a worker's `Deno.exit` would end only the worker). */
function exitProcess(code: number): void {
  try {
    const lib = Deno.build.os === "darwin" ? "libSystem.dylib" : "libc.so.6";
    const libc = Deno.dlopen(lib, { _exit: { parameters: ["i32"], result: "void" } });
    libc.symbols._exit(code);
  } catch {
    // No FFI here (permission or platform): the kill below still ends the process.
  }
  Deno.kill(Deno.pid, "SIGKILL");
}

const say = (line: string) => Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));

/** The worker's global scope, typed here because this file is checked with the main-thread lib. */
const workerScope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<{ signals: Deno.Signal[] }>) => void) | null;
};

workerScope.onmessage = (e) => {
  const { signals } = e.data;
  let seen = 0;
  for (const sig of signals) {
    Deno.addSignalListener(sig, () => {
      seen++;
      if (seen === 1) {
        say(`\n${sig}: saving a checkpoint at the next step (press again to exit at once)`);
      } else {
        say(`\n${sig} again: exiting at once (the last saved checkpoint is kept)`);
        exitProcess(130);
      }
    });
  }
};
