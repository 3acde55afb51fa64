import assert from "node:assert/strict";
import { join } from "node:path";
import { findPython } from "../lib/notebook/execute.ts";
import { findChromium } from "../lib/plot/chromium.ts";
import { describeResult, selectNotebooks } from "./notebooks.ts";
import { runNotebooksTiny } from "./tiny_notebook_run.ts";

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
    const run = await runNotebooksTiny(["00_quickstart"]);
    const results = run.results;
    const outputs = run.outputs("00_quickstart");
    const figures = outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]);
    assert.equal(figures.length, 2);
    if (chromium) assert.ok(figures.every((o) => typeof o.data?.["image/png"] === "string"));
    assert.match(run.markdown("00_quickstart"), /Linear probe \d+\.\d% vs chance 10\.0%/);
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
    await run.remove();
  },
});

/** The paper-ablation notebooks, with the figures each must save and a phrase of its conclusion. */
const ABLATION_NOTEBOOKS = [
  {
    name: "01_mask_vs_no_mask",
    dir: "smag-mask-tiny",
    figures: ["knn_vs_progress", "final_accuracy"],
  },
  {
    name: "02_sam_vs_gam",
    dir: "smag-gating-tiny",
    figures: ["accuracy_by_neck", "accuracy_vs_flops", "attention_maps"],
  },
  {
    name: "03_token_size_number",
    dir: "smag-tokens-tiny",
    figures: ["grid_linearTop1", "grid_knnTop1"],
  },
  {
    name: "04_overlap_vs_complementary",
    dir: "kdc-masks-tiny",
    figures: ["accuracy_by_configuration", "accuracy_vs_lambda_kd"],
  },
];

Deno.test({
  name:
    "ablation notebooks 01-04 run headless on the tiny profile, save figures, conclude from data",
  ignore: !python,
  fn: async () => {
    const run = await runNotebooksTiny(ABLATION_NOTEBOOKS.map((n) => n.name));
    const results = run.results;
    for (const nbSpec of ABLATION_NOTEBOOKS) {
      const outputs = run.outputs(nbSpec.name);
      const markdown = run.markdown(nbSpec.name);
      assert.match(markdown, /synthetic dataset .* meaningless/, nbSpec.name);
      assert.match(markdown, /95% CI/, nbSpec.name);
      assert.ok(
        outputs.some((o) => String(o.data?.["text/html"] ?? "").includes("95% CI")),
        `${nbSpec.name}: no results table with a 95% CI column`,
      );
      for (const fig of nbSpec.figures) {
        const st = await Deno.stat(join(results, nbSpec.dir, "figures", `${fig}.json`));
        assert.ok(st.size > 200, `${nbSpec.name}: figure ${fig}.json is ${st.size} bytes`);
      }
      const summary = await Deno.readTextFile(join(results, nbSpec.dir, "summary.csv"));
      assert.match(summary, /linearTop1/, `${nbSpec.name}: summary.csv lacks linearTop1`);
    }
    await run.remove();
  },
});
