import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { findPython } from "./execute.ts";
import { KERNEL_NAME, writePrivateKernelSpec } from "./kernelspec.ts";
import { inJupyter, settleOutput } from "./jupyter.ts";

const python = await findPython();
if (!python) console.warn("SKIPPED lib/notebook/jupyter_test.ts kernel part: no jupyter_client");

/**
 * Runs cell A then, already queued behind it as with Run All, cell B in a
 * fresh kit kernel; returns how many display_data / stdout messages each
 * request was labelled with.
 */
async function runTwoCells(a: string, b: string): Promise<Record<string, Record<string, number>>> {
  const specRoot = await Deno.makeTempDir();
  try {
    await writePrivateKernelSpec(specRoot);
    const script = `
import json, os, queue, sys, time
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name=${JSON.stringify(KERNEL_NAME)})
km.start_kernel(cwd=${JSON.stringify(fileURLToPath(new URL("../..", import.meta.url)))})
kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=120)
ids = {kc.execute(${JSON.stringify(a)}): "A", kc.execute(${JSON.stringify(b)}): "B"}
counts = {"A": {}, "B": {}}
idle = 0
end = time.time() + 120
while time.time() < end and idle < 2:
    try:
        m = kc.get_iopub_msg(timeout=1)
    except queue.Empty:
        continue
    who = ids.get(m["parent_header"].get("msg_id"))
    if who is None:
        continue
    t = m["msg_type"]
    if t == "status" and m["content"]["execution_state"] == "idle":
        idle += 1
    if t == "stream":
        t = "stream:" + m["content"]["name"]
    counts[who][t] = counts[who].get(t, 0) + 1
time.sleep(1)
while True:
    try:
        m = kc.get_iopub_msg(timeout=0.5)
    except queue.Empty:
        break
    who = ids.get(m["parent_header"].get("msg_id"))
    if who and m["msg_type"] in ("display_data", "stream"):
        t = m["msg_type"] if m["msg_type"] != "stream" else "stream:" + m["content"]["name"]
        counts[who][t] = counts[who].get(t, 0) + 1
kc.stop_channels(); km.shutdown_kernel(now=True)
print(json.dumps(counts))
`;
    const out = await new Deno.Command(python!, {
      args: ["-c", script],
      env: { JUPYTER_PATH: specRoot, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return JSON.parse(text);
  } finally {
    await Deno.remove(specRoot, { recursive: true });
  }
}

Deno.test("settleOutput resolves at once outside Jupyter", async () => {
  assert.equal(inJupyter(), false);
  const t0 = performance.now();
  await settleOutput();
  assert.ok(performance.now() - t0 < 50);
});

Deno.test({
  name: "kit displays stay under their cell when the next cell is already queued (Run All)",
  ignore: !python,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const display = new URL("./display.ts", import.meta.url).href;
    // Displays in a loop, the last one as the cell's last statement; B is queued behind A.
    const kit = `const { showTable, showText } = await import(${JSON.stringify(display)});
for (let i = 0; i < 3; i++) await showTable([{ i }]);
await showText("last");`;
    for (let trial = 0; trial < 2; trial++) {
      const counts = await runTwoCells(kit, "const next = 1;");
      assert.equal(counts.A.display_data, 4, JSON.stringify(counts));
      assert.equal(
        counts.B.display_data ?? 0,
        0,
        `displays of A under B: ${JSON.stringify(counts)}`,
      );
    }
    // The raw kernel API without settling, for the record (Deno 2.9.6 labels some of these
    // with the next request: the bug this guards against; printed lines are not settled).
    const raw =
      `for (let i = 0; i < 3; i++) await Deno.jupyter.display({ "text/plain": "t" + i }, { raw: true });
for (let i = 0; i < 200; i++) console.log("log " + i);`;
    console.log(
      `raw API, no settling: ${JSON.stringify(await runTwoCells(raw, "const next = 1;"))}`,
    );
  },
});
