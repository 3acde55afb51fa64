import assert from "node:assert/strict";
import { findPython } from "../lib/notebook/execute.ts";
import { runNotebooksTiny } from "./tiny_notebook_run.ts";

const python = await findPython();
if (!python) console.warn("SKIPPED cli/notebooks_05_09_test.ts: no python3 with jupyter_client");

Deno.test({
  name: "notebooks 05-09 run headless on tiny and compute their conclusions",
  ignore: !python,
  fn: async () => {
    const run = await runNotebooksTiny([
      "05_saliency_masking",
      "06_imputation",
      "07_mim_occlusion",
      "08_paper_comparison",
      "09_learned_masks",
    ]);
    assert.match(run.markdown("05_saliency_masking"), /meaningless/);
    assert.match(run.markdown("05_saliency_masking"), /highpass - mocov2 on linearTop1/);
    assert.match(run.markdown("05_saliency_masking"), /\*\*Evaluation inputs\.\*\* The query arm/);
    assert.equal(run.figureCount("05_saliency_masking"), 7); // masks + one chart per ablation (6)
    assert.match(
      run.markdown("06_imputation"),
      /decoder \+ KNN \(lambda 1\) vs KNN alone: [+-]\d/,
    );
    assert.ok(run.figureCount("06_imputation") >= 5);
    assert.match(run.markdown("07_mim_occlusion"), /cosine - pixel-l2 on linearTop1/);
    // 08 reads what 05 and 07 wrote (tiny folders), and lists the others as not run.
    assert.match(run.markdown("08_paper_comparison"), /Of \d+ cited claims/);
    assert.match(run.markdown("08_paper_comparison"), /meaningless as evidence/);
    // 09: the learned-mask arms against the random grid, and what each generator masked.
    assert.match(run.markdown("09_learned_masks"), /meaningless/);
    assert.match(
      run.markdown("09_learned_masks"),
      /F4 conv generator:\*\* the generator masked \d/,
    );
    assert.match(run.markdown("09_learned_masks"), /F3 attention MLP:\*\* the generator masked \d/);
    assert.match(run.markdown("09_learned_masks"), /budget weight 10:\*\* the generator masked \d/);
    assert.equal(run.figureCount("09_learned_masks"), 2); // accuracy bars + masked fraction
    await run.remove();
  },
});
