/**
 * Per-kernel time of one call of `f` through `tf.profile`, summed by kernel name: the table
 * the benchmarks print to show where a step's time goes.
 *
 * @module
 */
import * as tf from "../tfjs.ts";

/** One kernel's share of a profiled call. */
export interface KernelTime {
  kernel: string;
  /** Milliseconds summed over its calls (0 where the backend reports no kernel time). */
  ms: number;
  calls: number;
}

/** Profiles one call of `f` and returns its kernels, most time first. */
export async function profileKernels(f: () => unknown): Promise<KernelTime[]> {
  const info = await tf.profile(async () => {
    await f();
  });
  const byName = new Map<string, KernelTime>();
  for (const k of info.kernels) {
    const row = byName.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
    row.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    row.calls++;
    byName.set(k.name, row);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}
