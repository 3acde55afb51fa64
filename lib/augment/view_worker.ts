/**
 * A second thread for the host view loops (lib/augment/host_views.ts). The views of a step run
 * between two training steps, while oneDNN's threads are idle, and the host loops use one core:
 * with a view worker, `makeViewPair` builds the second view there while this thread builds the
 * first, and waits for it synchronously (`Atomics.wait`), so callers stay synchronous.
 *
 * Every random choice is drawn on this thread before the work is split (`planHostView`), so the
 * views are bit-identical with and without the worker. The images and the worker's output pass
 * through shared memory (one copy in, one copy out); the worker writes a flag (1 done, 2 failed)
 * and this thread, on a failure or a timeout, reruns the view itself (its error, if any, is then
 * raised here with a readable stack) and stops using the worker.
 *
 * The trainer opens one when the backend computes on more than one CPU thread
 * ({@link shouldUseViewWorker}) and closes it when training ends; `KIT_VIEW_WORKER=0` turns it off.
 *
 * @module
 */
import { applyHostViewPlan, type BatchShape, type HostViewPlan } from "./host_views.ts";
import type { ComputeEngine } from "../backend/host_engine.ts";

/** What the worker receives per view: shared input and output, the plan, the flag. */
export interface ViewJob {
  /** The batch's pixels (shared memory, NHWC). */
  pixels: Float32Array;
  shape: BatchShape;
  plan: HostViewPlan;
  /** Receives the view (shared memory, at least as long as `pixels`). */
  out: Float32Array;
  /** `[0]`: 0 while running, 1 done, 2 failed. */
  flag: Int32Array;
}

const RUNNING = 0;
const DONE = 1;

/** Longest wait for the worker before this thread does the view itself. */
const WAIT_MS = 60_000;

/** Shared buffer of at least `n` floats, reusing `cur` when it is large enough. */
function sharedFloats(cur: Float32Array | null, n: number): Float32Array {
  return cur !== null && cur.length >= n ? cur : new Float32Array(new SharedArrayBuffer(4 * n));
}

/** A view being built on the worker; {@link PendingView.result} waits for it. */
export interface PendingView {
  /** The view's values (a new, unshared buffer). */
  result(): Float32Array;
}

/** One worker thread for host views (see module docs). */
export class ViewWorker {
  #worker: Worker | null;
  #pixels: Float32Array | null = null;
  #out: Float32Array | null = null;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));
  #busy = false;

  private constructor(worker: Worker | null) {
    this.#worker = worker;
    // A worker that fails to load (or throws outside a view) must not take this process down:
    // the waiting view times out and is rebuilt here, and the worker is dropped.
    if (worker !== null) {
      worker.onerror = (e) => {
        e.preventDefault();
        this.close();
      };
    }
  }

  /**
   * Starts the worker thread; where workers cannot start (e.g. no permission to read the
   * worker's module), a ViewWorker that builds every view on the calling thread.
   */
  static open(): ViewWorker {
    const url = new URL("./view_worker_script.ts", import.meta.url);
    try {
      return new ViewWorker(new Worker(url, { type: "module" }));
    } catch {
      return new ViewWorker(null);
    }
  }

  /** False after {@link close} or after the worker failed once. */
  get usable(): boolean {
    return this.#worker !== null;
  }

  /**
   * Starts building the view of `pixels` (NHWC `shape`, not modified) described by `plan` on
   * the worker; one view at a time. Without a usable worker the view is built here at once.
   */
  start(pixels: Float32Array, shape: BatchShape, plan: HostViewPlan): PendingView {
    if (this.#worker === null) {
      const done = applyHostViewPlan(pixels, shape, plan);
      return { result: () => done };
    }
    if (this.#busy) throw new Error("ViewWorker.start: the previous view was not collected");
    const n = pixels.length;
    this.#pixels = sharedFloats(this.#pixels, n);
    this.#out = sharedFloats(this.#out, n);
    const input = this.#pixels.subarray(0, n);
    input.set(pixels);
    const out = this.#out;
    Atomics.store(this.#flag, 0, RUNNING);
    const job: ViewJob = { pixels: input, shape, plan, out, flag: this.#flag };
    this.#worker.postMessage(job);
    this.#busy = true;
    return {
      result: () => {
        this.#busy = false;
        const waited = Atomics.wait(this.#flag, 0, RUNNING, WAIT_MS);
        if (waited !== "timed-out" && Atomics.load(this.#flag, 0) === DONE) return out.slice(0, n);
        // Failed or hung: stop using the worker; rebuild here (raises the error, if any).
        this.close();
        return applyHostViewPlan(pixels, shape, plan);
      },
    };
  }

  /** Ends the worker thread (idempotent); later views are built on the calling thread. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }
}

/**
 * Whether training should open a view worker: the host engine runs the views, the backend
 * computes on `threads` >= 2 CPU threads, and `KIT_VIEW_WORKER` is not "0".
 */
export function shouldUseViewWorker(engine: ComputeEngine, threads: number): boolean {
  let env: string | undefined;
  try {
    env = Deno.env.get("KIT_VIEW_WORKER");
  } catch {
    env = undefined; // no --allow-env: the default
  }
  return engine === "host" && threads >= 2 && env !== "0";
}
