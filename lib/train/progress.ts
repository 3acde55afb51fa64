/**
 * Progress lines with throughput and ETA for long runs. On a terminal the
 * line is rewritten in place; elsewhere (CI logs, notebooks) a line is
 * printed at most every `everySeconds`.
 *
 * @module
 */

/** Formats seconds as `1h02m`, `3m12s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** Reports progress of a known number of units (steps). */
export class ProgressReporter {
  readonly #total: number;
  readonly #label: string;
  readonly #write: (line: string, final: boolean) => void;
  readonly #everyMs: number;
  readonly #start = performance.now();
  #lastPrint = -Infinity;
  #doneAtStart: number;

  /**
   * @param total units of work in the whole run.
   * @param doneAtStart units already done (a resumed run), excluded from the rate.
   * @param write receives each line; defaults to stderr (in place on a TTY).
   */
  constructor(opts: {
    total: number;
    label: string;
    doneAtStart?: number;
    everySeconds?: number;
    write?: (line: string, final: boolean) => void;
  }) {
    this.#total = opts.total;
    this.#label = opts.label;
    this.#doneAtStart = opts.doneAtStart ?? 0;
    this.#everyMs = (opts.everySeconds ?? 10) * 1000;
    this.#write = opts.write ?? defaultWriter();
  }

  /** Seconds since this reporter started. */
  elapsed(): number {
    return (performance.now() - this.#start) / 1000;
  }

  /** Records that `done` units are finished; prints when due or when `force`. */
  update(done: number, detail: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.#lastPrint < this.#everyMs && done < this.#total) return;
    this.#lastPrint = now;
    const elapsed = (now - this.#start) / 1000;
    const rate = (done - this.#doneAtStart) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.#total - done) / rate : Infinity;
    const pct = ((100 * done) / this.#total).toFixed(0).padStart(3);
    this.#write(
      `${this.#label} ${pct}% ${done}/${this.#total} ${detail} | ${
        formatDuration(elapsed)
      } elapsed, ETA ${formatDuration(eta)}`,
      done >= this.#total,
    );
  }
}

function defaultWriter(): (line: string, final: boolean) => void {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  return (line, final) => {
    if (tty) Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}${final ? "\n" : ""}`));
    else Deno.stderr.writeSync(enc.encode(`${line}\n`));
  };
}
