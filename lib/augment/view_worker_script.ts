/**
 * The view worker's entry point (see `view_worker.ts`): runs one {@link applyHostViewPlan} per
 * message into the shared output buffer, then raises the shared flag (1 = done, 2 = failed) and
 * wakes the waiting thread.
 *
 * @module
 */
import { applyHostViewPlan } from "./host_views.ts";
import type { ViewJob } from "./view_worker.ts";

/** Flag values: see `view_worker.ts`. */
const DONE = 1;
const FAILED = 2;

(self as unknown as { onmessage: (e: MessageEvent<ViewJob>) => void }).onmessage = (e) => {
  const { pixels, shape, plan, out, flag } = e.data;
  let state = DONE;
  try {
    out.set(applyHostViewPlan(pixels, shape, plan));
  } catch {
    // The waiting thread reruns the view itself and reports the error with its own stack.
    state = FAILED;
  }
  Atomics.store(flag, 0, state);
  Atomics.notify(flag, 0);
};
