import assert from "node:assert/strict";
import { join } from "node:path";
import { findPython } from "../lib/notebook/execute.ts";
import { findChromium } from "../lib/plot/chromium.ts";
import { describeResult, selectNotebooks } from "./notebooks.ts";

const python = await findPython();
const chromium = findChromium();
if (!python) {
  console.warn("SKIPPED cli/notebooks_test.ts quickstart run: no python3 with jupyter_client");
}

Deno.test("selectNotebooks picks by unique name or prefix and rejects ambiguous names", async () => {
  const dir = await Deno.makeTempDir();
  for (const n of ["00_a.ipynb", "01_b.ipynb", "01_c.ipynb", "notes.md"]) {
    await Deno.writeTextFile(join(dir, n), "{}");
  }
  assert.deepEqual((await selectNotebooks(dir, [])).map((p) => p.slice(dir.length + 1)), [
    "00_a.ipynb",
    "01_b.ipynb",
    "01_c.ipynb",
  ]);
  assert.deepEqual(await selectNotebooks(dir, ["00"]), [join(dir, "00_a.ipynb")]);
  assert.deepEqual(await selectNotebooks(dir, ["01_c.ipynb"]), [join(dir, "01_c.ipynb")]);
  await assert.rejects(selectNotebooks(dir, ["01"]), /matches 2/);
  assert.match(
    describeResult({
      notebook: "n.ipynb",
      out: "o",
      ok: false,
      cells: 3,
      executed: 2,
      failedCell: 4,
      ename: "Error",
      evalue: "x",
      firstLine: "run()",
      seconds: 1,
    }),
    /FAILED n\.ipynb: cell 4 \(run\(\)\) raised Error: x/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "00_quickstart runs headless on the tiny profile and its figures export (CI check)",
  ignore: !python,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    const results = join(tmp, "results");
    const env = { KIT_RESULTS_DIR: results, XDG_DATA_HOME: join(tmp, "share"), NO_COLOR: "1" };
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "cli/notebooks.ts", "--profile", "tiny", "--out", tmp, "00_quickstart"],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, log);
    const nb = JSON.parse(await Deno.readTextFile(join(tmp, "00_quickstart.ipynb")));
    const outputs = nb.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []) as {
      output_type: string;
      data?: Record<string, unknown>;
    }[];
    const figures = outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    assert.equal(figures.length, 2);
    if (chromium) assert.ok(figures.every((o) => typeof o.data?.["image/png"] === "string"));
    const markdown = outputs.map((o) => o.data?.["text/markdown"]).filter(Boolean).join("");
    assert.match(markdown, /Linear probe \d+\.\d% vs chance 10\.0%/);
    assert.ok(outputs.some((o) => String(o.data?.["text/html"] ?? "").includes("<table")));

    if (!chromium) {
      console.warn("SKIPPED figure export part: no Chromium (apt-get install -y chromium)");
    } else {
      const fig = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "cli/figures.ts", "--results", results],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(fig.code, 0, new TextDecoder().decode(fig.stderr));
      for (const name of ["loss_per_epoch", "masked_views"]) {
        for (const ext of ["svg", "pdf", "png"]) {
          const st = await Deno.stat(join(results, "quickstart", "figures", `${name}.${ext}`));
          assert.ok(st.size > 1000, `${name}.${ext} is ${st.size} bytes`);
        }
      }
    }
    await Deno.remove(tmp, { recursive: true });
  },
});
