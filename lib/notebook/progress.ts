/**
 * Progress of long runs: in Jupyter one display updated in place
 * (display_id + update_display_data); elsewhere a log line at most every
 * few seconds and at the end.
 *
 * ```ts
 * const p = progress("training", 100);
 * for (let i = 1; i <= 100; i++) { step(); p.update(i, `loss ${loss}`); }
 * await p.finish("done");
 * ```
 *
 * @module
 */
import { displayBundle, inJupyter } from "./jupyter.ts";

/** A running progress display. */
export interface Progress {
  /** Records `done` of `total` units (and an optional note); cheap to call often. */
  update(done: number, note?: string): void;
  /** Shows the final state; resolves once it is displayed. */
  finish(note?: string): Promise<void>;
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** Minimum ms between display updates in Jupyter (default 250). */
  jupyterIntervalMs?: number;
  /** Minimum ms between log lines outside Jupyter (default 5000). */
  logIntervalMs?: number;
  /** Log sink outside Jupyter (default console.error). */
  log?: (line: string) => void;
  /** Force the Jupyter display on or off (default: detected). */
  jupyter?: boolean;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Plain-text progress line, e.g. `training [#####-----] 50% 5/10 loss 1.2`. */
export function progressText(label: string, done: number, total?: number, note?: string): string {
  const parts = [label];
  if (total && total > 0) {
    const frac = Math.max(0, Math.min(1, done / total));
    const filled = Math.round(frac * 20);
    parts.push(`[${"#".repeat(filled)}${"-".repeat(20 - filled)}]`, `${Math.floor(frac * 100)}%`);
    parts.push(`${done}/${total}`);
  } else if (done > 0) {
    parts.push(String(done));
  }
  if (note) parts.push(note);
  return parts.join(" ");
}

/** A progress display for `total` units (omit `total` for an open-ended run). */
export function progress(label: string, total?: number, opts: ProgressOptions = {}): Progress {
  const jupyter = opts.jupyter ?? inJupyter();
  const log = opts.log ?? ((l: string) => console.error(l));
  const displayId = `kit-progress-${crypto.randomUUID()}`;
  let chain: Promise<unknown> = Promise.resolve();
  let shown = false;
  let last = -Infinity;
  let done = 0;
  let note: string | undefined;
  const bundle = () => {
    const text = progressText(label, done, total, note);
    const bar = total
      ? `<progress value="${Math.min(done, total)}" max="${total}" style="width:20em"></progress> `
      : "";
    return {
      "text/plain": text,
      "text/html": `<div class="kit-progress"><b>${escapeHtml(label)}</b> ${bar}${
        escapeHtml(text.slice(label.length + 1))
      }</div>`,
    };
  };
  const emit = () => {
    if (jupyter) {
      const b = bundle();
      const update = shown;
      shown = true;
      chain = chain.then(() => displayBundle(b, { displayId, update })).catch(() => {});
    } else {
      log(progressText(label, done, total, note));
    }
  };
  return {
    update(d: number, n?: string) {
      done = d;
      note = n;
      const now = performance.now();
      const interval = jupyter ? opts.jupyterIntervalMs ?? 250 : opts.logIntervalMs ?? 5000;
      if (!shown && jupyter || now - last >= interval) {
        last = now;
        emit();
      }
    },
    async finish(n?: string) {
      if (n !== undefined) note = n;
      if (total !== undefined && done < total && n === undefined) note = note ?? "stopped";
      emit();
      await chain;
    },
  };
}

/**
 * Adapter for callbacks that report whole lines (e.g. `runExperiment`'s
 * `progress(line, final)`): shows the latest line in one updating display.
 */
export function lineProgress(label: string, opts: ProgressOptions = {}): {
  onLine: (line: string, final: boolean) => void;
  finish: () => Promise<void>;
} {
  const p = progress(label, undefined, opts);
  let lastLine = "";
  return {
    onLine: (line, final) => {
      lastLine = line;
      p.update(0, line);
      if (final) void p.finish(line);
    },
    finish: () => p.finish(lastLine),
  };
}
