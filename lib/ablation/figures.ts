/**
 * Ablation figures as standalone SVG files (no plotting dependency: polars
 * has none and danfo's plotting needs a browser DOM): per metric, one bar
 * per arm at the mean over seeds, the 95% interval as a whisker and each
 * seed as a dot. Synthetic-data results are marked in the title.
 *
 * @module
 */
import { join } from "node:path";
import type { AblationRow } from "./row.ts";
import type { SummaryRow } from "./summary.ts";

/** One arm in a chart. */
export interface ChartArm {
  label: string;
  mean: number;
  low: number | null;
  high: number | null;
  values: number[];
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function niceStep(range: number): number {
  const raw = range / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/** SVG text of a bar chart with interval whiskers and seed dots (see module docs). */
export function barChartSvg(title: string, yLabel: string, arms: readonly ChartArm[]): string {
  const width = Math.max(320, 90 + arms.length * 90);
  const height = 300;
  const left = 60, right = 20, top = 40, bottom = 60;
  const all = arms.flatMap((a) =>
    [a.mean, a.low, a.high, ...a.values].filter((v): v is number =>
      v !== null && Number.isFinite(v)
    )
  );
  let lo = Math.min(0, ...all);
  let hi = Math.max(...all, lo + 1e-9);
  const step = niceStep(hi - lo || 1);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const y = (v: number) => top + (height - top - bottom) * (1 - (v - lo) / (hi - lo || 1));
  const slot = (width - left - right) / Math.max(arms.length, 1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<text transform="translate(14 ${(top + height - bottom) / 2}) rotate(-90)" ` +
    `text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  for (let v = lo; v <= hi + step / 2; v += step) {
    const yy = y(v).toFixed(1);
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dy="4">${+v.toFixed(6)}</text>`,
    );
  }
  arms.forEach((a, i) => {
    const cx = left + slot * (i + 0.5);
    const bw = Math.min(50, slot * 0.6);
    if (Number.isFinite(a.mean)) {
      const y0 = y(Math.max(lo, 0));
      const ym = y(a.mean);
      parts.push(
        `<rect x="${(cx - bw / 2).toFixed(1)}" y="${Math.min(y0, ym).toFixed(1)}" ` +
          `width="${bw.toFixed(1)}" height="${Math.abs(y0 - ym).toFixed(1)}" fill="#8fb3d9"/>`,
      );
    }
    if (a.low !== null && a.high !== null) {
      const [yl, yh] = [y(a.low).toFixed(1), y(a.high).toFixed(1)];
      parts.push(
        `<line x1="${cx}" x2="${cx}" y1="${yl}" y2="${yh}" stroke="black"/>`,
        `<line x1="${cx - 8}" x2="${cx + 8}" y1="${yl}" y2="${yl}" stroke="black"/>`,
        `<line x1="${cx - 8}" x2="${cx + 8}" y1="${yh}" y2="${yh}" stroke="black"/>`,
      );
    }
    a.values.forEach((v, j) => {
      const dx = (j - (a.values.length - 1) / 2) * 5;
      parts.push(
        `<circle cx="${(cx + dx).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="#c0392b"/>`,
      );
    });
    parts.push(
      `<text x="${cx}" y="${height - bottom + 16}" text-anchor="middle">${esc(a.label)}</text>`,
    );
  });
  parts.push(
    `<text x="${width / 2}" y="${height - 10}" text-anchor="middle" fill="#555">` +
      `bars: mean over seeds; whiskers: 95% t interval; dots: seeds</text>`,
    `</svg>`,
  );
  return parts.join("\n") + "\n";
}

/**
 * Writes `figures/<metric>[-<dataset>].svg` under `dir` for every metric of
 * `summary` and returns the paths.
 */
export async function writeAblationFigures(
  dir: string,
  title: string,
  summary: readonly SummaryRow[],
  rows: readonly AblationRow[],
): Promise<string[]> {
  const figDir = join(dir, "figures");
  await Deno.mkdir(figDir, { recursive: true });
  const datasets = [...new Set(summary.map((s) => s.dataset))];
  const metrics = [...new Set(summary.map((s) => s.metric))];
  const paths: string[] = [];
  for (const dataset of datasets) {
    for (const metric of metrics) {
      const lines = summary.filter((s) => s.dataset === dataset && s.metric === metric);
      const arms: ChartArm[] = lines.map((s) => ({
        label: s.label,
        mean: s.mean,
        low: s.ci_low,
        high: s.ci_high,
        values: rows.filter((r) => r.arm === s.arm && r.dataset === dataset)
          .map((r) => r.metrics[metric]).filter((v): v is number => typeof v === "number"),
      }));
      const synthetic = lines.some((s) => s.synthetic) ? " [SYNTHETIC DATA]" : "";
      const name = datasets.length > 1 ? `${metric}-${dataset}.svg` : `${metric}.svg`;
      const path = join(figDir, name);
      const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
      await Deno.writeTextFile(tmp, barChartSvg(`${title}: ${dataset}${synthetic}`, metric, arms));
      await Deno.rename(tmp, path);
      paths.push(path);
    }
  }
  return paths;
}
