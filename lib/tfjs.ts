/**
 * The kit's single entry to TensorFlow.js: tfjs-core with every gradient
 * registered (tfjs-core alone ships none; the `@tensorflow/tfjs` bundle
 * registers them into the same engine) and the cpu backend available as the
 * reference. Library code imports `tf` from here, never from the npm package
 * directly, so that training works whatever module is loaded first.
 *
 * @module
 */
import "@tensorflow/tfjs";
import { findBackend } from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-core";

// The cpu backend prints an advert for tfjs-node on first use under Node-like
// runtimes; the kit reports its backend choice itself (lib/backend/select.ts).
const cpu = findBackend("cpu") as { firstUse?: boolean } | null;
if (cpu) cpu.firstUse = false;
