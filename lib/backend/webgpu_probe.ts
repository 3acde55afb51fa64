/**
 * Finding a WebGPU adapter under Deno (built-in `navigator.gpu`) and telling hardware GPUs
 * from software rasterisers (llvmpipe, lavapipe, SwiftShader), which are slower than wasm.
 *
 * Also guards tfjs-backend-webgpu 4.22's device request: it pushes a nested array
 * (`["bgra8unorm-storage"]`) into `requiredFeatures`, which some Deno/wgpu versions reject.
 *
 * @module
 */

/** What `probeWebGpu` found. */
export interface WebGpuProbe {
  /** An adapter was returned by `navigator.gpu.requestAdapter()`. */
  found: boolean;
  /** The adapter is a real GPU (not a fallback / software adapter). */
  hardware: boolean;
  /** Human-readable adapter description (vendor / device / driver), when found. */
  adapter?: string;
  /** Why it is or is not usable, in one line. */
  detail: string;
}

/** The subset of the WebGPU adapter API used here (Deno's types may lag the spec). */
interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
  features?: { has(name: string): boolean };
  requestDevice(descriptor?: Record<string, unknown>): Promise<unknown>;
}

interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<AdapterLike | null>;
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|softpipe|warp/i;

function gpu(): GpuLike | undefined {
  return (navigator as unknown as { gpu?: GpuLike }).gpu;
}

/** Describes an adapter in one line, e.g. "NVIDIA H100 (vendor 0x10de)". */
function describeAdapter(a: AdapterLike): string {
  const i = a.info ?? {};
  const parts = [i.description, i.device && i.device !== "0" ? `device ${i.device}` : ""]
    .filter((s) => s !== undefined && s !== "");
  const vendor = i.vendor ? `vendor ${i.vendor}` : "";
  return [parts.join(", "), vendor].filter((s) => s !== "").join(" ") || "unnamed adapter";
}

/** Is `a` a software / fallback adapter? */
export function isSoftwareAdapter(a: AdapterLike): boolean {
  if (a.isFallbackAdapter === true || a.info?.isFallbackAdapter === true) return true;
  const text = `${a.info?.description ?? ""} ${a.info?.device ?? ""} ${a.info?.vendor ?? ""}`;
  return SOFTWARE_ADAPTER.test(text);
}

/** Asks Deno's WebGPU for a high-performance adapter and classifies it. Never throws. */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const g = gpu();
  if (g === undefined) {
    return {
      found: false,
      hardware: false,
      detail: "navigator.gpu is missing in this runtime (Deno without WebGPU)",
    };
  }
  let adapter: AdapterLike | null;
  try {
    adapter = await g.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return {
      found: false,
      hardware: false,
      detail: `navigator.gpu.requestAdapter() failed: ${(e as Error).message}`,
    };
  }
  if (adapter === null) {
    return {
      found: false,
      hardware: false,
      detail: "no WebGPU adapter (no Vulkan/Metal/DX12 driver visible to Deno)",
    };
  }
  const name = describeAdapter(adapter);
  if (isSoftwareAdapter(adapter)) {
    return {
      found: true,
      hardware: false,
      adapter: name,
      detail: `only a software adapter (${name}); slower than wasm, so auto skips it`,
    };
  }
  return { found: true, hardware: true, adapter: name, detail: `hardware adapter ${name}` };
}

/**
 * Returns `descriptor` with `requiredFeatures` flattened to unique strings that `has`
 * accepts (the adapter's features); other fields untouched. Undefined stays undefined.
 */
export function sanitizeDeviceDescriptor(
  descriptor: Record<string, unknown> | undefined,
  has: (feature: string) => boolean,
): Record<string, unknown> | undefined {
  const features = descriptor?.requiredFeatures;
  if (!Array.isArray(features)) return descriptor;
  const flat = (features.flat(Infinity) as unknown[]).map(String).filter(has);
  return { ...descriptor, requiredFeatures: [...new Set(flat)] };
}

const PATCHED = Symbol.for("kit.webgpu.requiredFeaturesPatched");

/**
 * Makes `GPUAdapter.prototype.requestDevice` tolerate tfjs's descriptor: flattens nested
 * arrays in `requiredFeatures` and drops features the adapter does not offer. Idempotent;
 * a no-op when the runtime has no `GPUAdapter`.
 */
export function patchWebGpuRequiredFeatures(): void {
  const ctor = (globalThis as unknown as { GPUAdapter?: { prototype: AdapterLike } }).GPUAdapter;
  if (ctor === undefined) return;
  const proto = ctor.prototype as AdapterLike & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return;
  const original = proto.requestDevice;
  proto.requestDevice = function (this: AdapterLike, descriptor?: Record<string, unknown>) {
    const has = (f: string) => this.features === undefined || this.features.has(f);
    return original.call(this, sanitizeDeviceDescriptor(descriptor, has));
  };
  proto[PATCHED] = true;
}
