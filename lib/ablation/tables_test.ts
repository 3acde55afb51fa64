import assert from "node:assert/strict";
import { join } from "node:path";
import { Rng } from "../rng.ts";
import { randomRows } from "./fixture_rows.ts";
import { summarize } from "./summary.ts";
import { compareArms } from "./compare.ts";
import { readRunRows } from "../notebook/ablation_results.ts";
import {
  comparisonsFrame,
  readTable,
  runsFrame,
  summaryFrame,
  SUPERSEDED_FILE,
  supersededReason,
  writeAblationTables,
} from "./tables.ts";

Deno.test("runs and summary tables round-trip through CSV and Parquet", async () => {
  const dir = await Deno.makeTempDir();
  const rng = new Rng(8);
  const rows = randomRows(rng, [["a", 50], ["b", 55]], [0, 1, 2]);
  rows[1].metrics.knnTop1 = null; // a run without a metric stays empty, not 0
  const single = randomRows(rng, [["c", 40]], [0]);
  const all = [...rows, ...single];
  const summary = summarize(all, ["linearTop1", "knnTop1"]);
  const paths = await writeAblationTables(dir, {
    runs: runsFrame(all, ["linearTop1", "knnTop1"]),
    summary: summaryFrame(summary),
  });
  const header = (await Deno.readTextFile(paths.summaryCsv)).split("\n")[0].split(",");
  for (
    const col of [
      "ablation",
      "arm",
      "dataset",
      "metric",
      "seeds",
      "mean",
      "std",
      "ci_low",
      "ci_high",
    ]
  ) {
    assert.ok(header.includes(col), `summary.csv has ${col}`);
  }
  for (const path of [paths.runsCsv, paths.runsParquet]) {
    const back = readTable(path).toRecords();
    assert.equal(back.length, all.length);
    for (const [i, r] of all.entries()) {
      assert.equal(back[i].arm, r.arm);
      assert.equal(Number(back[i].seed), r.seed);
      assert.equal(back[i].config_hash, r.configHash);
      assert.equal(back[i].synthetic, true);
      for (const m of ["linearTop1", "knnTop1"]) {
        const want = r.metrics[m];
        if (want === null) assert.equal(back[i][m], null, `${path} ${m} null`);
        else assert.ok(Math.abs((back[i][m] as number) - want) < 1e-12, `${path} ${m}`);
      }
    }
  }
  for (const path of [paths.summaryCsv, paths.summaryParquet]) {
    const back = readTable(path).toRecords();
    assert.equal(back.length, summary.length);
    for (const [i, s] of summary.entries()) {
      assert.equal(back[i].metric, s.metric);
      assert.equal(Number(back[i].seeds), s.seeds);
      assert.ok(Math.abs((back[i].mean as number) - s.mean) < 1e-12);
      assert.equal(back[i].std === null, s.std === null, `${path} row ${i} std empty iff 1 seed`);
    }
  }
  // No temporary files are left behind.
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepEqual(names.filter((n) => n.includes(".tmp-")), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readTable names the fix for other file types", () => {
  assert.throws(() => readTable(join("x", "t.xlsx")), /\.csv or \.parquet/);
});

Deno.test("comparisons table keeps its columns and adds the evidence of each comparison", async () => {
  const dir = await Deno.makeTempDir();
  const rng = new Rng(12);
  const rows = randomRows(rng, [["base", 50], ["a", 55], ["b", 50.5], ["tie", 0]], [0, 1, 2]);
  for (const r of rows) {
    // "tie" is the tiny profile's case: every seed the baseline's value plus 2.5.
    if (r.arm === "tie") {
      r.metrics.linearTop1 = rows.find((x) =>
        x.arm === "base" && x.seed === r.seed
      )!.metrics.linearTop1! + 2.5;
    }
  }
  const list = ["a", "b", "tie"].map((arm) => compareArms(rows, arm, "base", "linearTop1"));
  assert.equal(list[2].evidence, "no-spread");
  const paths = await writeAblationTables(dir, {
    runs: runsFrame(rows, ["linearTop1"]),
    summary: summaryFrame(summarize(rows, ["linearTop1"])),
    comparisons: comparisonsFrame("t", list),
  });
  const header = (await Deno.readTextFile(paths.comparisonsCsv!)).split("\n")[0];
  assert.equal(
    header,
    "ablation,metric,arm,baseline,diff,ci_low,ci_high,mde,df,method,excludes_zero,evidence,text",
  );
  for (const path of [paths.comparisonsCsv!, paths.comparisonsParquet!]) {
    const back = readTable(path).toRecords();
    assert.deepEqual(back.map((r) => r.evidence), list.map((c) => c.evidence), path);
    assert.deepEqual(back.map((r) => r.excludes_zero), list.map((c) => c.excludesZero), path);
    assert.equal(back[2].excludes_zero, false, "a zero-width interval excludes nothing");
    for (const i of [0, 1]) {
      assert.ok(Math.abs((back[i].mde as number) - list[i].mde) < 1e-9, `${path} mde ${i}`);
    }
    assert.equal(back[2].mde, null, "no spread: the MDE is undefined (empty)");
  }
  // Rewritten without comparisons (a partial table with only the baseline): the old ones go.
  const again = await writeAblationTables(dir, {
    runs: runsFrame(rows, ["linearTop1"]),
    summary: summaryFrame(summarize(rows, ["linearTop1"])),
  });
  assert.equal(again.comparisonsCsv, undefined);
  for (const name of ["comparisons.csv", "comparisons.parquet"]) {
    await assert.rejects(Deno.stat(join(dir, name)), Deno.errors.NotFound);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runs table: run_dir is written relative to the tables' folder and read back whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = randomRows(new Rng(12), [["a", 50], ["b", 52]], [0, 1]).map((r) => ({
      ...r,
      runDir: join(dir, "runs", `${r.arm}-s${r.seed}`),
    }));
    const paths = await writeAblationTables(dir, {
      runs: runsFrame(rows, ["linearTop1"], dir),
      summary: summaryFrame(summarize(rows, ["linearTop1"])),
    });
    const csv = await Deno.readTextFile(paths.runsCsv);
    assert.ok(!csv.includes(dir), "the machine's path must not appear in the table");
    assert.ok(csv.includes("runs/a-s0"), csv);
    const back = await readRunRows(dir);
    assert.deepEqual(back!.map((r) => r.runDir), rows.map((r) => r.runDir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a superseded marker gives its reason until new tables replace the old ones", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await supersededReason(dir), undefined);
    await Deno.writeTextFile(
      join(dir, SUPERSEDED_FILE),
      "# Superseded\n\nTrained with zero-initialised\nresidual scales.\n\nMore detail.\n",
    );
    assert.equal(await supersededReason(dir), "Trained with zero-initialised residual scales.");
    const rows = randomRows(new Rng(3), [["a", 50]], [0, 1]);
    await writeAblationTables(dir, {
      runs: runsFrame(rows, ["linearTop1"]),
      summary: summaryFrame(summarize(rows, ["linearTop1"])),
    });
    assert.equal(await supersededReason(dir), undefined, "new tables remove the marker");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
