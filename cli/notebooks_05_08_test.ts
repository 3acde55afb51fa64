import assert from "node:assert/strict";
import { join } from "node:path";
import { findPython } from "../lib/notebook/execute.ts";

const python = await findPython();
if (!python) console.warn("SKIPPED cli/notebooks_05_08_test.ts: no python3 with jupyter_client");

/** Runs notebooks headless on the tiny profile into a temporary results folder. */
async function runTiny(names: string[]) {
  const tmp = await Deno.makeTempDir();
  const env = {
    KIT_RESULTS_DIR: join(tmp, "results"),
    XDG_DATA_HOME: join(tmp, "share"),
    NO_COLOR: "1",
  };
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/notebooks.ts", "--profile", "tiny", "--out", tmp, ...names],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, log);
  const markdown = (name: string) => {
    const nb = JSON.parse(Deno.readTextFileSync(join(tmp, `${name}.ipynb`)));
    const outputs = nb.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []) as {
      data?: Record<string, unknown>;
    }[];
    return {
      markdown: outputs.map((o) => o.data?.["text/markdown"]).filter(Boolean).join(""),
      figures: outputs.filter((o) => o.data?.["application/vnd.plotly.v1+json"]).length,
    };
  };
  return { tmp, markdown };
}

Deno.test({
  name: "notebooks 05-08 run headless on tiny and compute their conclusions",
  ignore: !python,
  fn: async () => {
    const { tmp, markdown } = await runTiny([
      "05_saliency_masking",
      "06_imputation",
      "07_mim_occlusion",
      "08_paper_comparison",
    ]);
    const n05 = markdown("05_saliency_masking");
    assert.match(n05.markdown, /meaningless/);
    assert.match(n05.markdown, /highpass - mocov2 on linearTop1/);
    assert.equal(n05.figures, 5);
    const n06 = markdown("06_imputation");
    assert.match(n06.markdown, /decoder \+ KNN \(lambda 1\) vs KNN alone: [+-]\d/);
    assert.ok(n06.figures >= 5);
    const n07 = markdown("07_mim_occlusion");
    assert.match(n07.markdown, /cosine - pixel-l2 on linearTop1/);
    // 08 reads what 05 and 07 wrote (tiny folders), and lists the others as not run.
    const n08 = markdown("08_paper_comparison");
    assert.match(n08.markdown, /Of \d+ cited claims/);
    assert.match(n08.markdown, /meaningless as evidence/);
    await Deno.remove(tmp, { recursive: true });
  },
});
