/**
 * Figure export for papers: renders figure JSON to SVG, PDF and PNG with one
 * headless Chromium (see `chromium.ts`) running plotly.js. SVG and PDF stay
 * vector; figures are laid out at print size (CSS px, 96 per inch; see
 * `FIGURE_SIZES` in style.ts), so a PDF page is the printed size (a
 * one-column figure is 3.5 in wide) and PNG is rendered at {@link PNG_DPI}.
 *
 * ```ts
 * const renderer = await FigureRenderer.launch();
 * try {
 *   await exportFigure(renderer, fig, "results/abl/figures/loss", ["svg", "pdf", "png"]);
 * } finally {
 *   await renderer.close();
 * }
 * ```
 *
 * @module
 */
import type { Page } from "puppeteer-core";
import { decodeBase64 } from "./base64.ts";
import { launchChromium, type LaunchedChromium, requireChromium } from "./chromium.ts";
import { type Figure, validateFigure } from "./figure.ts";
import { plotlySource } from "./plotly_source.ts";
import { STYLE } from "./style.ts";
import { fixedPdfDates, stableSvgIds } from "./reproducible_files.ts";

/** Resolution of exported PNGs: 300 dots per printed inch (scale 300 / 96). */
export const PNG_DPI = 300;

/** File formats the exporter writes. */
export type ImageFormat = "svg" | "pdf" | "png";

/** All formats, in the order they are written. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ["svg", "pdf", "png"];

/** Options of {@link FigureRenderer.launch}. */
export interface RendererOptions {
  /** Chromium executable (default: found by `requireChromium`). */
  chromiumPath?: string;
  /** PNG pixel scale (default {@link PNG_DPI} / 96). */
  pngScale?: number;
}

/** One headless Chromium with plotly.js loaded; renders figures one at a time. */
export class FigureRenderer {
  #chromium: LaunchedChromium;
  #plotPage: Page;
  #pdfPage: Page;
  #queue: Promise<unknown> = Promise.resolve();
  #pngScale: number;
  #closed = false;

  private constructor(chromium: LaunchedChromium, plotPage: Page, pdfPage: Page, scale: number) {
    this.#chromium = chromium;
    this.#plotPage = plotPage;
    this.#pdfPage = pdfPage;
    this.#pngScale = scale;
  }

  /** Starts Chromium and loads plotly.js (about 1-2 s). */
  static async launch(opts: RendererOptions = {}): Promise<FigureRenderer> {
    const chromium = await launchChromium(opts.chromiumPath ?? requireChromium());
    try {
      const plotPage = await chromium.browser.newPage();
      await plotPage.setContent(
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body></body></html>",
      );
      await plotPage.addScriptTag({ content: await plotlySource() });
      const pdfPage = await chromium.browser.newPage();
      return new FigureRenderer(chromium, plotPage, pdfPage, opts.pngScale ?? PNG_DPI / 96);
    } catch (err) {
      await chromium.close();
      throw err;
    }
  }

  /** Renders `fig` to the bytes of one file format. */
  render(fig: Figure, format: ImageFormat): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new Error("FigureRenderer: render after close()"));
    validateFigure(fig, "FigureRenderer.render");
    const job = this.#queue.then(() => this.#renderNow(fig, format));
    this.#queue = job.catch(() => {});
    return job;
  }

  async #toImage(fig: Figure, format: "svg" | "png", scale: number): Promise<string> {
    const width = Number(fig.layout.width ?? STYLE.width);
    const height = Number(fig.layout.height ?? STYLE.height);
    return await this.#plotPage.evaluate(
      (f, o) => {
        // deno-lint-ignore no-explicit-any
        const P = (globalThis as any).Plotly;
        return P.toImage(f, o) as Promise<string>;
      },
      withTraceUids(fig) as unknown as Record<string, unknown>,
      { format, width, height, scale },
    );
  }

  async #renderNow(fig: Figure, format: ImageFormat): Promise<Uint8Array> {
    if (format === "png") {
      const url = await this.#toImage(fig, "png", this.#pngScale);
      return decodeBase64(url.slice(url.indexOf(",") + 1));
    }
    const svg = stableSvgIds(svgFromDataUrl(await this.#toImage(fig, "svg", 1)));
    if (format === "svg") return new TextEncoder().encode(svg);
    const width = Number(fig.layout.width ?? STYLE.width);
    const height = Number(fig.layout.height ?? STYLE.height);
    await this.#pdfPage.setContent(
      `<!DOCTYPE html><html><head><meta charset="utf-8"><style>` +
        `@page{size:${width}px ${height}px;margin:0}html,body{margin:0;padding:0}` +
        `svg{display:block}</style></head><body>${svg}</body></html>`,
    );
    const pdf = await this.#pdfPage.pdf({
      width: `${width}px`,
      height: `${height}px`,
      printBackground: true,
      pageRanges: "1",
      margin: { top: 0, right: 0, bottom: 0, left: 0 },
    });
    return fixedPdfDates(new Uint8Array(pdf));
  }

  /** Closes the browser (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.#chromium.close();
  }
}

/**
 * `fig` with every trace given a fixed `uid` (`trace<i>` unless it has one):
 * plotly otherwise draws a random uid per trace into the SVG's class names.
 */
export function withTraceUids(fig: Figure): Figure {
  return {
    ...fig,
    data: fig.data.map((trace, i) => ({ uid: `trace${i}`, ...trace })),
  };
}

/** SVG text from plotly's `data:image/svg+xml,...` URL. */
export function svgFromDataUrl(url: string): string {
  const comma = url.indexOf(",");
  const head = url.slice(0, comma);
  const body = url.slice(comma + 1);
  if (!head.startsWith("data:image/svg+xml")) {
    throw new Error(`expected an SVG data URL from plotly, got "${head}"`);
  }
  return head.endsWith(";base64")
    ? new TextDecoder().decode(decodeBase64(body))
    : decodeURIComponent(body);
}

/**
 * Writes `fig` as `<outBase>.<format>` for each format; returns the paths.
 * Files are written atomically (temp file, then rename).
 */
export async function exportFigure(
  renderer: FigureRenderer,
  fig: Figure,
  outBase: string,
  formats: readonly ImageFormat[] = IMAGE_FORMATS,
): Promise<string[]> {
  const paths: string[] = [];
  for (const format of formats) {
    const bytes = await renderer.render(fig, format);
    const path = `${outBase}.${format}`;
    await Deno.writeFile(`${path}.tmp`, bytes);
    await Deno.rename(`${path}.tmp`, path);
    paths.push(path);
  }
  return paths;
}
