import assert from "node:assert/strict";
import { join } from "node:path";
import { notebookServerArgs, writeJupyterConfig } from "./jupyter_server.ts";
import { KERNEL_DISPLAY_NAME, KERNEL_NAME, kernelJson } from "./kernelspec.ts";
import { chooseProfile } from "./profile.ts";
import { profileResultsDir, repoRoot } from "./paths.ts";

const python = await new Deno.Command("/usr/bin/python3", { args: ["-c", "1"] }).output()
  .then((o) => o.success, () => false);

Deno.test("kernelJson: this checkout's deno, quiet, a private XDG_RUNTIME_DIR, named for the kit", () => {
  const k = kernelJson("/x/deno", "/clone") as {
    argv: string[];
    display_name: string;
    env: Record<string, string>;
  };
  assert.deepEqual(k.argv, ["/x/deno", "jupyter", "-q", "--kernel", "--conn", "{connection_file}"]);
  assert.equal(k.display_name, "Deno (S-MAG kit: /clone)");
  assert.equal(k.env.XDG_RUNTIME_DIR, "/clone/.tools/xdg-runtime");
  assert.equal(KERNEL_NAME, "smag-kit");
});

Deno.test("notebookServerArgs: local only, the kit's config, the notebooks folder", () => {
  const args = notebookServerArgs({
    config: "/c.py",
    port: 9999,
    token: "t",
    noBrowser: true,
    allowRoot: false,
  });
  assert.deepEqual(args, [
    "--config=/c.py",
    "--ip=127.0.0.1",
    "--port=9999",
    `--notebook-dir=${join(repoRoot(), "notebooks")}`,
    "--NotebookApp.token=t",
    "--no-browser",
  ]);
});

Deno.test({
  name: "the kit's Jupyter config strips outputs of the kit's notebooks on save, and only those",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const config = await writeJupyterConfig(dir, "/repo");
      const script = `
import json, types
ns = {}
class Cfg:
    def __init__(self): self.FileContentsManager = types.SimpleNamespace(); self.NotebookApp = types.SimpleNamespace()
cfg = Cfg()
ns["get_config"] = lambda: cfg
exec(open(${JSON.stringify(config)}).read(), ns)
hook = cfg.FileContentsManager.pre_save_hook
def model():
    return {"type": "notebook", "content": {"metadata": {"kernelspec": {"name": "smag-kit", "display_name": "Deno (S-MAG kit: /repo)"}},
        "cells": [{"cell_type": "code", "execution_count": 4, "metadata": {"scrolled": True}, "outputs": [{"output_type": "stream"}]},
                  {"cell_type": "markdown", "metadata": {}, "source": "x"}]}}
cm = types.SimpleNamespace(root_dir="/repo/notebooks")
mine, other = model(), model()
hook(model=mine, path="01_x.ipynb", contents_manager=cm)
hook(model=other, path="../elsewhere/y.ipynb", contents_manager=cm)
print(json.dumps([mine["content"], other["content"]]))
`;
      const out = await new Deno.Command("/usr/bin/python3", {
        args: ["-c", script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const [mine, other] = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.deepEqual(mine.cells[0], {
        cell_type: "code",
        execution_count: null,
        metadata: {},
        outputs: [],
      });
      assert.deepEqual(mine.metadata.kernelspec, {
        name: KERNEL_NAME,
        display_name: KERNEL_DISPLAY_NAME,
        language: "typescript",
      });
      assert.equal(other.cells[0].outputs.length, 1, "a notebook outside the kit was stripped");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("chooseProfile checks the switch and sets KIT_PROFILE; tiny results stay out of results/", () => {
  const before = Deno.env.get("KIT_PROFILE");
  const results = Deno.env.get("KIT_RESULTS_DIR");
  try {
    Deno.env.delete("KIT_RESULTS_DIR");
    assert.equal(chooseProfile(" tiny "), "tiny");
    assert.equal(Deno.env.get("KIT_PROFILE"), "tiny");
    assert.throws(
      () => chooseProfile("fast"),
      /"fast" is not one of tiny, quick, 10k-5ep, 10k-15ep, paper/,
    );
    assert.equal(profileResultsDir("tiny", "a"), join(repoRoot(), "runs", "notebook-results", "a"));
    assert.equal(profileResultsDir("quick", "a"), join(repoRoot(), "results", "a"));
    Deno.env.set("KIT_RESULTS_DIR", "/tmp/r");
    assert.equal(profileResultsDir("tiny", "a"), "/tmp/r/a");
  } finally {
    if (before === undefined) Deno.env.delete("KIT_PROFILE");
    else Deno.env.set("KIT_PROFILE", before);
    if (results === undefined) Deno.env.delete("KIT_RESULTS_DIR");
    else Deno.env.set("KIT_RESULTS_DIR", results);
  }
});
