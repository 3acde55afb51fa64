/**
 * The CPU a benchmark ran on, for its report: the `model name` and the instruction-set
 * extensions that decide which oneDNN kernels run (AVX2, AVX-512), read from /proc/cpuinfo.
 * Benchmarks of this kit have run on hosts that changed between sessions (an AVX-512 host and
 * an AMD EPYC without it), and the kit / PyTorch ratio moved with them.
 *
 * @module
 */

/** What {@link cpuModel} reports. */
export interface CpuModel {
  /** The first `model name` line, or "unknown" where /proc/cpuinfo is not readable. */
  name: string;
  /** Which of avx2 / avx512f / avx512_vnni / amx_tile the first core lists. */
  simd: string[];
}

const SIMD_FLAGS = ["avx2", "avx512f", "avx512_vnni", "amx_tile"];

/** Parses the text of /proc/cpuinfo (see {@link cpuModel}). */
export function parseCpuInfo(text: string): CpuModel {
  const field = (key: string) =>
    text.split("\n").find((l) => l.startsWith(key))?.split(":").slice(1).join(":").trim();
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  return { name: field("model name") ?? "unknown", simd: SIMD_FLAGS.filter((f) => flags.has(f)) };
}

/** This machine's CPU (Linux; elsewhere, or without read permission, "unknown"). */
export function cpuModel(): CpuModel {
  try {
    return parseCpuInfo(Deno.readTextFileSync("/proc/cpuinfo"));
  } catch {
    return { name: "unknown", simd: [] };
  }
}
