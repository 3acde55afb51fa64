import assert from "node:assert/strict";
import { isSoftwareAdapter, probeWebGpu, sanitizeDeviceDescriptor } from "./webgpu_probe.ts";

const fakeAdapter = (info: Record<string, unknown>, isFallbackAdapter?: boolean) => ({
  info,
  isFallbackAdapter,
  requestDevice: () => Promise.resolve(undefined),
});

Deno.test("isSoftwareAdapter flags fallback and software rasterisers, not real GPUs", () => {
  assert.equal(isSoftwareAdapter(fakeAdapter({ description: "llvmpipe (LLVM 15.0.6)" })), true);
  assert.equal(isSoftwareAdapter(fakeAdapter({ description: "SwiftShader Device" })), true);
  assert.equal(isSoftwareAdapter(fakeAdapter({ isFallbackAdapter: true })), true);
  assert.equal(isSoftwareAdapter(fakeAdapter({ description: "NVIDIA H100" }, true)), true);
  assert.equal(
    isSoftwareAdapter(fakeAdapter({ description: "NVIDIA H100 80GB HBM3", vendor: "4318" })),
    false,
  );
  assert.equal(isSoftwareAdapter(fakeAdapter({ description: "AMD Radeon RX 7900" })), false);
});

Deno.test("sanitizeDeviceDescriptor flattens nested features and drops unsupported ones", () => {
  const supported = new Set(["timestamp-query", "bgra8unorm-storage"]);
  const out = sanitizeDeviceDescriptor(
    {
      requiredFeatures: ["timestamp-query", ["bgra8unorm-storage"], ["shader-f16"]],
      requiredLimits: { maxBufferSize: 4 },
    },
    (f) => supported.has(f),
  );
  assert.deepEqual(out, {
    requiredFeatures: ["timestamp-query", "bgra8unorm-storage"],
    requiredLimits: { maxBufferSize: 4 },
  });
  assert.equal(sanitizeDeviceDescriptor(undefined, () => true), undefined);
  const noFeatures = { requiredLimits: {} };
  assert.equal(sanitizeDeviceDescriptor(noFeatures, () => true), noFeatures);
});

Deno.test("probeWebGpu answers with a consistent verdict and never throws", async () => {
  const p = await probeWebGpu();
  assert.ok(p.detail.length > 0);
  if (p.hardware) assert.ok(p.found && p.adapter !== undefined);
  if (!p.found) assert.equal(p.hardware, false);
});
