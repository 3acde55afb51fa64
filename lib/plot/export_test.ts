import assert from "node:assert/strict";
import { join } from "node:path";
import { findChromium } from "./chromium.ts";
import { exportFigure, FigureRenderer, withTraceUids } from "./export.ts";
import { barChart } from "./bar_chart.ts";
import { lineChart } from "./line_chart.ts";

const chromium = findChromium();
if (!chromium) {
  console.warn("SKIPPED lib/plot/export_test.ts: no Chromium (apt-get install -y chromium)");
}

Deno.test({
  name: "exportFigure writes non-empty SVG, PDF and PNG files of the right kind",
  ignore: !chromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const renderer = await FigureRenderer.launch();
    try {
      const figs = {
        line: lineChart([{ name: "a", x: [1, 2, 3], y: [3, 2, 1] }], {
          x: { title: "Epoch", unit: "epochs", integer: true },
          y: { title: "Loss", unit: null },
        }),
        bar: barChart(["a", "b"], [{ name: "s", samples: [[1, 2], [3, 4]] }], {
          x: { title: "Method", unit: null },
          y: { title: "Top-1", unit: "%" },
        }),
      };
      for (const [name, fig] of Object.entries(figs)) {
        const paths = await exportFigure(renderer, fig, join(dir, name));
        assert.deepEqual(paths.map((p) => p.split(".").pop()), ["svg", "pdf", "png"]);
        const svg = await Deno.readTextFile(paths[0]);
        assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
        assert.match(svg, name === "line" ? /Epoch \(epochs\)/ : /Top-1 \(%\)/);
        const pdf = await Deno.readFile(paths[1]);
        assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
        const png = await Deno.readFile(paths[2]);
        assert.deepEqual(Array.from(png.subarray(1, 4)), [0x50, 0x4e, 0x47]);
        // PNG width (IHDR) = the printed width at 300 dpi.
        const width = new DataView(png.buffer, png.byteOffset).getUint32(16);
        assert.equal(width, Math.round((Number(fig.layout.width) * 300) / 96));
        // Exporting again gives the same bytes (no random ids, no dates), so committed
        // figures only change when the figure does.
        const again = await exportFigure(renderer, fig, join(dir, `${name}-again`));
        for (let i = 0; i < paths.length; i++) {
          assert.deepEqual(await Deno.readFile(again[i]), await Deno.readFile(paths[i]), again[i]);
        }
      }
    } finally {
      await renderer.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("withTraceUids: fixed uids in trace order, an existing uid kept, input untouched", () => {
  const fig = lineChart([
    { name: "a", x: [1, 2], y: [2, 1] },
    { name: "b", x: [1, 2], y: [1, 2] },
  ], { x: { title: "Epoch", unit: "epochs" }, y: { title: "Loss", unit: null } });
  fig.data[1] = { ...fig.data[1], uid: "mine" };
  const out = withTraceUids(fig);
  assert.deepEqual(out.data.map((t) => t.uid), ["trace0", "mine"]);
  assert.equal(fig.data[0].uid, undefined);
});
