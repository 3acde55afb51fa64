import assert from "node:assert/strict";
import {
  FIGURE_SIZES,
  legendRows,
  plainFigureTitle,
  STYLE,
  styledLayout,
  wrapLabel,
} from "./style.ts";

const longTitle =
  "random-init ResNet features (128 dims): error against lambda (F11), decoder + KNN";
const note = "Points: mean of 5 seeds; error bars: 95% t-interval of the mean";

Deno.test("styledLayout wraps a long title to the figure's width and keeps title / note readable", () => {
  const layout = styledLayout({ title: longTitle, note });
  const text = (layout.title as { text: string }).text;
  const titleLines = text.split("<br>").filter((l) => !l.startsWith("<span"));
  assert.ok(titleLines.length >= 2, "the title is broken onto lines");
  const fits = Math.floor((FIGURE_SIZES.column.width - 8) / (0.46 * STYLE.titleSize));
  for (const l of titleLines) assert.ok(l.length <= fits, `"${l}" longer than ${fits} characters`);
  assert.equal(plainFigureTitle(layout), `${longTitle} / ${note}`);
  // The note of a column figure fits on one line.
  assert.equal(text.split("<br>").filter((l) => l.startsWith("<span")).length, 1);
});

Deno.test("styledLayout: the top margin holds every legend row, and the height grows by the extra room", () => {
  const short = styledLayout({ title: "Loss", note }, {}, ["a", "b"]);
  const names = ["decoder + KNN (k 5)", "KNN alone (k 5)", "decoder alone", "mean filling"];
  const rows = legendRows(names, FIGURE_SIZES.column.width - 54);
  assert.ok(rows >= 2, `four long entries take more than one row of a column figure (${rows})`);
  const long = styledLayout({ title: longTitle, note }, {}, names);
  const t = (l: typeof short) => (l.margin as { t: number }).t;
  assert.equal(
    short.height,
    FIGURE_SIZES.column.height,
    "one title line, one legend row: print size",
  );
  assert.ok(t(long) > t(short) + (rows - 1) * STYLE.tickSize, "room for the extra rows and lines");
  // Grown by the extra room, rounded up to whole eighths of an inch (12 px).
  const grown = FIGURE_SIZES.column.height + t(long) - t(short);
  assert.equal(long.height, Math.ceil(grown / 12) * 12);
  assert.equal(styledLayout({ title: longTitle, height: 200 }, {}, names).height, 200);
  assert.equal(legendRows([], 300), 0);
});

Deno.test("wrapLabel breaks at spaces and splits a word longer than a line with a hyphen", () => {
  assert.equal(wrapLabel("HSAGM (MLP + GRU + GAM)", 12), "HSAGM (MLP +<br>GRU + GAM)");
  assert.equal(
    wrapLabel("dual, complementary, lambda_kd 10", 12),
    "dual,<br>complementa-<br>ry,<br>lambda_kd 10",
  );
  for (const line of wrapLabel("a verylongwordwithoutspaces b", 8).split("<br>")) {
    assert.ok(line.length <= 8, line);
  }
});
