/**
 * Finding and launching the system Chromium (Debian package `chromium`) for
 * headless figure rendering, through npm `puppeteer-core` (no browser download).
 *
 * @module
 */
import puppeteer, { type Browser } from "puppeteer-core";

/** Places searched for a Chromium/Chrome executable, after env KIT_CHROMIUM. */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

/** Flags every kit Chromium starts with (headless, offline, no GPU, no sandbox for root/CI). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--font-render-hinting=none",
];

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Path of a usable Chromium, or undefined (env KIT_CHROMIUM first, then the candidates). */
export function findChromium(): string | undefined {
  const env = Deno.env.get("KIT_CHROMIUM");
  if (env) return isFile(env) ? env : undefined;
  return CHROMIUM_CANDIDATES.find(isFile);
}

/** Like {@link findChromium} but throws the install instruction when there is none. */
export function requireChromium(): string {
  const path = findChromium();
  if (path) return path;
  const env = Deno.env.get("KIT_CHROMIUM");
  throw new Error(
    env
      ? `KIT_CHROMIUM=${env} does not exist; point it at a Chromium executable or unset it`
      : `no Chromium found (looked in ${CHROMIUM_CANDIDATES.join(", ")}); ` +
        `install it with "apt-get install -y chromium" or set KIT_CHROMIUM=/path/to/chromium`,
  );
}

/** A launched headless browser with its private profile directory. */
export interface LaunchedChromium {
  browser: Browser;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Options of {@link launchChromium}. */
export interface LaunchChromiumOptions {
  /**
   * Longest single DevTools call in ms (puppeteer's default 180,000). A
   * `waitForFunction` is one such call however long its own `timeout`, so a
   * caller that waits longer than 3 minutes for a page must raise this too.
   */
  protocolTimeoutMs?: number;
}

/**
 * Starts headless Chromium with {@link CHROMIUM_FLAGS} and a fresh
 * `--user-data-dir`. The DevTools connection is a pipe, so the browser exits
 * when this process dies.
 */
export async function launchChromium(
  executablePath = requireChromium(),
  opts: LaunchChromiumOptions = {},
): Promise<LaunchedChromium> {
  const profile = await Deno.makeTempDir({ prefix: "kit-chromium-" });
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      pipe: true,
      protocolTimeout: opts.protocolTimeoutMs,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    });
  } catch (err) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw new Error(
      `could not start Chromium at ${executablePath}: ${(err as Error).message}; ` +
        `check that "${executablePath} --headless --no-sandbox --version" works`,
    );
  }
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
