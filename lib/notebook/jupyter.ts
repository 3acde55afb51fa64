/**
 * Access to the Deno Jupyter kernel API (`Deno.jupyter`), which exists only
 * inside `deno jupyter`; everywhere else {@link jupyterApi} returns undefined
 * so callers can fall back to logging or saving files.
 *
 * **Outputs under the right cell.** The Deno kernel labels each output with
 * the request it is handling when the output *leaves* the kernel, not when
 * the code produced it: a display is labelled when its operation is first
 * polled, printed lines when the kernel's output task drains them. With Run
 * All the frontend has already queued the next cell, so an output sent in a
 * cell's last moments can be labelled with the next cell and appear under it
 * (measured with Deno 2.9.6 over jupyter_client: a display awaited near the
 * end of a cell landed in the next cell; 51 of 2,000 printed lines did).
 * Every display of the kit therefore ends with {@link settleOutput}, which
 * yields to the event loop until the kernel has sent it (tested with the next
 * request already queued). Printed lines go through a separate output task
 * that can lag by hundreds of lines under load, and no wait inside the cell
 * can tell when it is done: the kit's notebooks therefore print nothing with
 * `console.log` and show text with `showText` instead.

/** A MIME bundle: MIME type -> content (string, or JSON for `+json` types). */
export type MimeBundle = Record<string, unknown>;

/** The part of `Deno.jupyter` the kit uses. */
export interface JupyterApi {
  display(
    bundle: MimeBundle,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

/** `Deno.jupyter` when running in the Deno kernel, else undefined. */
export function jupyterApi(): JupyterApi | undefined {
  try {
    const api = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return api && typeof api.display === "function" ? api : undefined;
  } catch {
    return undefined;
  }
}

/** True inside a Jupyter kernel. */
export function inJupyter(): boolean {
  return jupyterApi() !== undefined;
}

/** Wall-clock wait of {@link settleOutput} after the event-loop turns, in ms. */
export const SETTLE_MS = 100;

/**
 * Waits until the kernel has sent what this cell displayed so far: a few
 * turns of the event loop (the display operation runs in the first), then
 * `ms` of wall time for the kernel's sending task, which on a loaded machine
 * can lag the cell (CI, 2 busy cores: three turns alone once let a table
 * that ended a cell land under the next one). Resolves at once outside Jupyter.
 */
export async function settleOutput(ms = SETTLE_MS): Promise<void> {
  if (!inJupyter()) return;
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `bundle` as display_data (optionally under `displayId`); no-op outside Jupyter. */
export async function displayBundle(
  bundle: MimeBundle,
  opts: { displayId?: string; update?: boolean; metadata?: Record<string, unknown> } = {},
): Promise<boolean> {
  const api = jupyterApi();
  if (!api) return false;
  await api.display(bundle, {
    raw: true,
    ...(opts.displayId ? { display_id: opts.displayId } : {}),
    ...(opts.update ? { update: true } : {}),
  });
  // Progress updates replace an output already placed: only the turns, not the wall-clock wait.
  await settleOutput(opts.update ? 0 : SETTLE_MS);
  return true;
}
