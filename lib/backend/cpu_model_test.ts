import assert from "node:assert/strict";
import { cpuModel, parseCpuInfo } from "./cpu_model.ts";

Deno.test("parseCpuInfo reads the model name and the SIMD flags that pick oneDNN's kernels", () => {
  const text = "processor\t: 0\nmodel name\t: AMD EPYC 9B14\nflags\t\t: fpu sse avx avx2 fma\n" +
    "processor\t: 1\nmodel name\t: AMD EPYC 9B14\n";
  assert.deepEqual(parseCpuInfo(text), { name: "AMD EPYC 9B14", simd: ["avx2"] });
  const intel = "model name\t: Intel Xeon: Platinum\nflags\t: avx2 avx512f avx512_vnni\n";
  assert.deepEqual(parseCpuInfo(intel), {
    name: "Intel Xeon: Platinum",
    simd: ["avx2", "avx512f", "avx512_vnni"],
  });
  assert.deepEqual(parseCpuInfo(""), { name: "unknown", simd: [] });
});

Deno.test("cpuModel answers on any machine (unknown where /proc/cpuinfo is missing)", () => {
  const m = cpuModel();
  assert.equal(typeof m.name, "string");
  assert.ok(m.name.length > 0);
});
