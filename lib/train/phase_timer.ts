/**
 * Wall time per phase of a training run (data, views, forward, backward,
 * optimizer, ...), for the per-phase profile of `deno task bench --e2e`.
 *
 * Times are host wall-clock around each phase. On the CPU backends (native,
 * wasm, cpu) a kernel has finished when its op returns, so each phase's time is
 * its compute; on an asynchronous backend (webgpu) it is the time to enqueue
 * the work, and the waiting shows up wherever the next read-back happens.
 *
 * @module
 */

/** One phase's total. */
export interface PhaseRow {
  phase: string;
  /** Total milliseconds spent in the phase. */
  ms: number;
  /** Times the phase was entered. */
  calls: number;
  /** Share of the total wall time passed to {@link PhaseTimer.rows} (0-1). */
  share: number;
}

/** Accumulates wall time per named phase. */
export class PhaseTimer {
  readonly #ms = new Map<string, number>();
  readonly #calls = new Map<string, number>();

  /** Runs `fn`, adding its wall time to `phase`; returns what `fn` returns. */
  time<T>(phase: string, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(phase, performance.now() - t0);
    }
  }

  /** Like {@link time} for an async `fn` (the time until its promise settles). */
  async timeAsync<T>(phase: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(phase, performance.now() - t0);
    }
  }

  /** Adds `ms` milliseconds (one call) to `phase`. */
  add(phase: string, ms: number): void {
    this.#ms.set(phase, (this.#ms.get(phase) ?? 0) + ms);
    this.#calls.set(phase, (this.#calls.get(phase) ?? 0) + 1);
  }

  /** Milliseconds recorded for `phase` so far (0 when never entered). */
  ms(phase: string): number {
    return this.#ms.get(phase) ?? 0;
  }

  /**
   * The phases in the order first entered, with their share of `totalMs`, and a final
   * `"other"` row holding the part of `totalMs` no phase covers (never negative).
   */
  rows(totalMs: number): PhaseRow[] {
    const rows: PhaseRow[] = [...this.#ms].map(([phase, ms]) => ({
      phase,
      ms,
      calls: this.#calls.get(phase) ?? 0,
      share: totalMs > 0 ? ms / totalMs : 0,
    }));
    const covered = rows.reduce((s, r) => s + r.ms, 0);
    const other = Math.max(0, totalMs - covered);
    rows.push({ phase: "other", ms: other, calls: 0, share: totalMs > 0 ? other / totalMs : 0 });
    return rows;
  }
}
