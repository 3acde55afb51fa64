import assert from "node:assert/strict";
import { lineChart } from "../plot/line_chart.ts";
import { findChromium } from "../plot/chromium.ts";
import { PLOTLY_VERSION } from "../plot/plotly_source.ts";
import { figureBundle, PLOTLY_MIME, resetPlotlyLoader, tableBundle } from "./display.ts";
import { closeStaticRenderer } from "./static_image.ts";
import { progress } from "./progress.ts";
import { repoRelative, repoRoot } from "./paths.ts";

const fig = lineChart([{ name: "a", x: [1, 2, 3], y: [2, 1, 0.5] }], {
  title: "Loss </script> check",
  x: { title: "Epoch", unit: "epochs" },
  y: { title: "Loss", unit: null },
});

Deno.test({
  name: "figureBundle: plotly JSON, offline HTML with plotly.js embedded once, static PNG",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    resetPlotlyLoader();
    try {
      const first = await figureBundle(fig);
      const second = await figureBundle(fig);
      for (const b of [first, second]) {
        assert.deepEqual((b[PLOTLY_MIME] as { data: unknown }).data, fig.data);
        assert.match(b["text/html"] as string, /Plotly|__kitPlotly/);
        assert.match(b["text/plain"] as string, /Figure/);
        // The figure JSON cannot close the script element early.
        assert.equal((b["text/html"] as string).split("</script>").length, b === first ? 3 : 2);
      }
      assert.ok((first["text/html"] as string).includes(`plotly.js ${PLOTLY_VERSION}`));
      assert.ok((first["text/html"] as string).length > 1_000_000);
      assert.ok((second["text/html"] as string).length < 100_000);
      if (findChromium()) {
        const png = atob(first["image/png"] as string);
        assert.equal(png.slice(1, 4), "PNG");
        assert.ok((first["text/html"] as string).includes(`data:image/png;base64,`));
      } else {
        console.warn("SKIPPED static image part of display_test: no Chromium");
      }
    } finally {
      await closeStaticRenderer();
      resetPlotlyLoader();
    }
  },
});

Deno.test("tableBundle: HTML table and aligned plain text with the same cells", () => {
  const rows = [{ method: "simclr", top1: 41.234 }, { method: "byol", top1: 40, extra: "x" }];
  const b = tableBundle(rows, { caption: "results" });
  const html = b["text/html"] as string;
  assert.equal((html.match(/<tr>/g) ?? []).length, 3);
  assert.match(html, /<th[^>]*>extra<\/th>/);
  assert.match(html, /41\.23/);
  const lines = (b["text/plain"] as string).split("\n");
  assert.equal(lines[0], "results");
  assert.equal(lines.length, 5);
  assert.equal(lines[1].indexOf("top1"), lines[3].indexOf("41.23"));
});

Deno.test("progress outside Jupyter logs throttled lines and always the final state", async () => {
  const lines: string[] = [];
  const p = progress("train", 10, { log: (l) => lines.push(l), logIntervalMs: 60_000 });
  for (let i = 1; i <= 10; i++) p.update(i, `step ${i}`);
  await p.finish("done");
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^train \[#{2}-{18}\] 10% 1\/10 step 1$/);
  assert.match(lines[1], /100% 10\/10 done$/);
});

Deno.test("paths under the repository are shown relative to its root", () => {
  const abs = `${repoRoot()}/results/smag-mask/figures`;
  assert.equal(
    repoRelative(`Figures: \`${abs}\`; again ${abs}`),
    "Figures: `results/smag-mask/figures`; again results/smag-mask/figures",
  );
  assert.equal(repoRelative("/elsewhere/results"), "/elsewhere/results");
});
