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
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
export * from "@tensorflow/tfjs-core";

// Every cpu-based backend (the cpu reference and the kit's native backend) prints an advert
// for tfjs-node on its first write under Node-like runtimes. The kit reports its backend
// choice itself (lib/backend/select.ts), so the flag that triggers the advert stays false.
Object.defineProperty(MathBackendCPU.prototype, "firstUse", {
  get: () => false,
  set: () => {},
  configurable: true,
});
