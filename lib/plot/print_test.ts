/**
 * The exported PDFs as they print: page size, text size and colours, read
 * back with poppler (Debian `poppler-utils`: pdfinfo, pdftotext, pdftoppm).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { findChromium } from "./chromium.ts";
import { FigureRenderer } from "./export.ts";
import type { Figure } from "./figure.ts";
import { barChart } from "./bar_chart.ts";
import { heatmap } from "./heatmap.ts";
import { intervalNote, lineChart, seriesOverSeeds } from "./line_chart.ts";
import { FIGURE_SIZES, MIN_TEXT_PT, PALETTE, PT_PER_PX } from "./style.ts";

async function has(tool: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(tool, { args: ["-v"], stderr: "null" }).output();
    return success;
  } catch {
    return false;
  }
}
const chromium = findChromium();
const poppler = await has("pdftoppm") && await has("pdftotext") && await has("pdfinfo");
if (!chromium || !poppler) {
  console.warn(
    "SKIPPED lib/plot/print_test.ts: needs chromium and poppler-utils " +
      "(apt-get install -y chromium poppler-utils)",
  );
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** Page size of a one-page PDF in pt. */
async function pageSize(pdf: string): Promise<[number, number]> {
  const m = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(await run("pdfinfo", [pdf]));
  if (!m) throw new Error(`pdfinfo gave no page size for ${pdf}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * Font size in pt of every word of the PDF, from pdftotext's word boxes: a
 * box is as tall as the font's ascent + descent (1.117 em for Liberation
 * Sans, the house font); rotated words (y-axis titles: boxes taller than any
 * horizontal line of text) have it as their width.
 */
async function wordSizes(pdf: string): Promise<{ word: string; pt: number }[]> {
  const xml = await run("pdftotext", ["-bbox", pdf, "-"]);
  const words = [...xml.matchAll(
    /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g,
  )];
  return words.map((m) => {
    const w = Number(m[3]) - Number(m[1]);
    const h = Number(m[4]) - Number(m[2]);
    // Horizontal text up to 10 pt (the largest the style uses) has boxes under 11.2 pt.
    const rotated = h > w && h > 11.5;
    return { word: m[5], pt: (rotated ? w : h) / 1.117 };
  });
}

/** The PDF rendered to PNG at `dpi` by poppler: width, height and RGB(A) pixels. */
async function rasterize(pdf: string, dpi: number) {
  const base = pdf.replace(/\.pdf$/, `-${dpi}`);
  await run("pdftoppm", ["-r", String(dpi), "-png", "-singlefile", pdf, base]);
  return decode(await Deno.readFile(`${base}.png`));
}

/** Pixels within `tol` of `hex` per channel. */
function countColour(img: ReturnType<typeof decode>, hex: string, tol = 12): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const ch = img.channels;
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const p = i * ch;
    const d = img.data;
    if (
      Math.abs(d[p] - r) <= tol && Math.abs(d[p + 1] - g) <= tol && Math.abs(d[p + 2] - b) <= tol
    ) n++;
  }
  return n;
}

const accuracy = { title: "kNN monitor top-1", unit: "%" } as const;
const epochs = [1, 2, 3, 4, 5];
const seeds = (base: number) =>
  [0, 1, 2].map((s) => epochs.map((e) => base + 6 * e + 3 * Math.sin(7 * s + e)));

/** One figure of each kind the notebooks save, at both print sizes. */
function figures(): Record<string, { fig: Figure; size: "column" | "page" }> {
  return {
    band: {
      size: "column",
      fig: lineChart(
        [seriesOverSeeds("No mask", epochs, seeds(10)), seriesOverSeeds("Mask", epochs, seeds(12))],
        {
          x: { title: "Epoch", unit: null, integer: true },
          y: accuracy,
          errorNote: intervalNote(3, "band"),
        },
      ),
    },
    bars: {
      size: "column",
      fig: barChart(
        ["Baseline (GAP)", "SAM", "GAM", "HSAGM (MLP + GRU + GAM)"],
        [
          {
            name: "linear probe",
            samples: [[30, 31, 33], [29, 31, 30], [31, 32, 30], [28, 29, 31]],
          },
          { name: "kNN", samples: [[25, 27, 26], [24, 26, 25], [27, 26, 25], [22, 23, 24]] },
        ],
        { x: { title: "Gating module", unit: null }, y: { title: "Top-1 accuracy", unit: "%" } },
      ),
    },
    grid: {
      size: "page",
      fig: heatmap([[31.2, 31.4], [31.1, 31.3]], {
        size: "page",
        x: { title: "Token number", unit: null },
        y: { title: "Token size", unit: "px" },
        value: { title: "Linear probe top-1", unit: "%" },
        xLabels: ["100 (1/4)", "200 (2/9)"],
        yLabels: ["10x10 (1x1)", "20x20 (3x3)"],
        annotateDigits: 1,
        note: "Cells: mean of 3 seeds",
      }),
    },
  };
}

Deno.test({
  name: "exported PDFs print at 3.5 / 7 in with text >= 8 pt, and lines keep their colour",
  ignore: !chromium || !poppler,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const renderer = await FigureRenderer.launch();
    try {
      for (const [name, { fig, size }] of Object.entries(figures())) {
        const pdf = join(dir, `${name}.pdf`);
        await Deno.writeFile(pdf, await renderer.render(fig, "pdf"));
        const [w, h] = await pageSize(pdf);
        const want = FIGURE_SIZES[size];
        assert.ok(Math.abs(w - want.width * PT_PER_PX) < 0.5, `${name}: page ${w} pt wide`);
        // The width is the journal's column / page; the height is the print size plus the room
        // the layout added for wrapped titles, legend rows and tick labels.
        const height = fig.layout.height as number;
        assert.ok(height >= want.height, `${name}: layout height ${height} below print size`);
        assert.ok(Math.abs(h - height * PT_PER_PX) < 0.5, `${name}: page ${h} pt high`);
        assert.equal(w / 72, size === "column" ? 3.5 : 7);

        const words = await wordSizes(pdf);
        assert.ok(words.length > 10, `${name}: only ${words.length} words of text in the PDF`);
        const small = words.filter((x) => x.pt < MIN_TEXT_PT - 0.1);
        assert.deepEqual(small, [], `${name}: text below ${MIN_TEXT_PT} pt at print size`);
        const text = words.map((x) => x.word).join(" ");
        if (name !== "grid") assert.match(text, /95% t-interval of the mean/, name);

        const img = await rasterize(pdf, 300);
        assert.equal(img.width, Math.round((w / 72) * 300), `${name}: PNG width at 300 dpi`);
        if (name === "band") {
          // Both lines are drawn in their own palette colours (no band laid over them):
          // at 300 dpi a 2 px line over ~300 px is thousands of pixels of exactly that colour.
          for (const colour of PALETTE.slice(0, 2)) {
            const n = countColour(img, colour);
            assert.ok(n > 1500, `band figure: only ${n} pixels of line colour ${colour}`);
          }
        }
      }

      // The text check can fail: 6 pt tick labels are reported.
      const tiny = figures().band.fig;
      tiny.layout.xaxis = {
        ...(tiny.layout.xaxis as Record<string, unknown>),
        tickfont: { size: 8 },
      };
      const pdf = join(dir, "tiny.pdf");
      await Deno.writeFile(pdf, await renderer.render(tiny, "pdf"));
      const small = (await wordSizes(pdf)).filter((x) => x.pt < MIN_TEXT_PT - 0.1);
      assert.deepEqual(small.map((x) => x.word).sort(), ["1", "2", "3", "4", "5"]);
    } finally {
      await renderer.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
