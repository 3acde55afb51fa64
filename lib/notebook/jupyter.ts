/**
 * Access to the Deno Jupyter kernel API (`Deno.jupyter`), which exists only
 * inside `deno jupyter`; everywhere else {@link jupyterApi} returns undefined
 * so callers can fall back to logging or saving files.
 *
 * @module
 */

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
  return true;
}
