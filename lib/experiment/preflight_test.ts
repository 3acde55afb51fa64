import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultExperiment } from "../config/experiment.ts";
import { checkMethodConfig, checkWritable, withInputChannels } from "./preflight.ts";

Deno.test("withInputChannels follows the data and never changes the config it is given", () => {
  const cfg = defaultExperiment();
  const before = JSON.stringify(cfg);
  assert.equal(withInputChannels(cfg, 3), cfg);
  const gray = withInputChannels(cfg, 1);
  assert.equal((gray.encoder.backbone as { inChannels?: number }).inChannels, 1);
  assert.equal(JSON.stringify(cfg), before, "the given config was changed");
  const explicit = defaultExperiment();
  explicit.encoder.backbone = { ...explicit.encoder.backbone, inChannels: 3 };
  assert.throws(
    () => withInputChannels(explicit, 1),
    /inChannels is 3 but the dataset's images have 1 channel\(s\); remove inChannels/,
  );
});

Deno.test("checkMethodConfig names the unknown key and the method's options", () => {
  const cfg = defaultExperiment();
  cfg.methodOptions = { temperature: 0.2 };
  checkMethodConfig(cfg);
  cfg.methodOptions = { tau: 0.2 };
  assert.throws(() => checkMethodConfig(cfg), /"simclr" has no option\(s\) tau; .*temperature/);
  cfg.method = "simclr2";
  assert.throws(() => checkMethodConfig(cfg), /unknown method "simclr2"; known methods: .*simclr/);
});

Deno.test("checkWritable leaves nothing behind and names a file in the way", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await checkWritable(join(dir, "a", "b"));
    assert.deepEqual([...Deno.readDirSync(dir)], [], "the probe or a folder was left");
    await Deno.writeTextFile(join(dir, "f"), "x");
    await assert.rejects(checkWritable(join(dir, "f", "run")), /f is a file, not a folder/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
