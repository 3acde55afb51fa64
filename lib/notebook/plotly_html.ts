/**
 * The `text/html` form of a figure that works offline: a div holding a static
 * image (shown wherever scripts do not run, e.g. GitHub) that a script
 * replaces with the interactive plot. plotly.js itself (npm
 * `plotly.js-dist-min`) is embedded once, gzip+base64 (~1.9 MB instead of
 * 4.8 MB), by {@link plotlyLoaderHtml}; later figures wait for it.
 *
 * @module
 */
import { encodeBase64 } from "../plot/base64.ts";
import type { Figure } from "../plot/figure.ts";
import { PLOTLY_VERSION, plotlySource } from "../plot/plotly_source.ts";
import { plainFigureTitle, STYLE } from "../plot/style.ts";

let loader: Promise<string> | undefined;

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A `<script>` that defines `window.Plotly` (plotly.js {@link PLOTLY_VERSION})
 * from an embedded gzip, unless the page has it already; sets
 * `window.__kitPlotly` to a promise of it. Built once per process.
 */
export function plotlyLoaderHtml(): Promise<string> {
  loader ??= (async () => {
    const b64 = encodeBase64(await gzip(await plotlySource()));
    return `<script type="text/javascript">/* plotly.js ${PLOTLY_VERSION} (MIT), embedded by lib/notebook */
if (!window.Plotly && !window.__kitPlotly && typeof DecompressionStream !== "undefined") {
  window.__kitPlotly = (async function () {
    var bin = atob("${b64}");
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var src = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
    (0, eval)(src);
    return window.Plotly;
  })();
}
</script>`;
  })();
  return loader;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/**
 * HTML for one figure: static `<img>` fallback (when `pngBase64` is given)
 * inside a div that the script turns into the interactive plot once plotly.js
 * is available (from `window.Plotly` or the embedded loader).
 */
export function figureHtml(fig: Figure, id: string, pngBase64?: string): string {
  const w = Number(fig.layout.width ?? STYLE.width);
  const h = Number(fig.layout.height ?? STYLE.height);
  const title = plainFigureTitle(fig.layout) ?? "figure";
  const img = pngBase64
    ? `<img src="data:image/png;base64,${pngBase64}" width="${w}" height="${h}" alt="${
      escapeAttr(title)
    }"/>`
    : `<div style="padding:1em;color:#666">${
      escapeAttr(title)
    } (interactive plot needs JavaScript)</div>`;
  // JSON inside <script>: keep "</script>" from closing it.
  const spec = JSON.stringify({ data: fig.data, layout: fig.layout }).replace(/</g, "\\u003c");
  return `<div id="${id}" class="kit-figure" style="width:${w}px;max-width:100%">${img}</div>
<script type="text/javascript">
(function () {
  var el = document.getElementById("${id}");
  if (!el) return;
  var spec = ${spec};
  function draw(P) {
    if (!P) return;
    el.innerHTML = "";
    el.style.height = "${h}px";
    P.newPlot(el, spec.data, spec.layout, { displaylogo: false, responsive: false });
  }
  if (window.Plotly) draw(window.Plotly);
  else if (window.__kitPlotly) window.__kitPlotly.then(draw, function () {});
})();
</script>`;
}
