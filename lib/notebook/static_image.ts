/**
 * Static PNG renders of figures for notebook outputs (GitHub and other
 * viewers show only static images). One headless Chromium is shared by all
 * renders of a process and closed after a minute without use.
 *
 * @module
 */
import { encodeBase64 } from "../plot/base64.ts";
import { findChromium } from "../plot/chromium.ts";
import { FigureRenderer } from "../plot/export.ts";
import type { Figure } from "../plot/figure.ts";

let shared: Promise<FigureRenderer> | undefined;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
let warned = false;

/** Closes the shared renderer now (tests, end of scripts). */
export async function closeStaticRenderer(): Promise<void> {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = undefined;
  const r = shared;
  shared = undefined;
  if (r) await (await r).close();
}

/**
 * PNG (base64) of `fig` at `scale` x its size, or undefined when no
 * Chromium is installed (warns once with the install command).
 */
export async function staticPng(fig: Figure, idleMs = 60_000): Promise<string | undefined> {
  if (!findChromium()) {
    if (!warned) {
      warned = true;
      console.warn(
        "static figure images are off: no Chromium (apt-get install -y chromium); " +
          "figures still show interactively",
      );
    }
    return undefined;
  }
  shared ??= FigureRenderer.launch({ pngScale: 2 });
  const renderer = await shared;
  const png = await renderer.render(fig, "png");
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  const timer = setTimeout(() => void closeStaticRenderer(), idleMs);
  Deno.unrefTimer(timer);
  idleTimer = timer;
  return encodeBase64(png);
}
