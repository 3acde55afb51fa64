/**
 * Deterministic random streams per epoch and per step, derived from the run
 * seed alone. A resumed run therefore sees exactly the batches, views and
 * masks the uninterrupted run would have seen.
 *
 * @module
 */
import { Rng } from "../rng.ts";

function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(b + 0x165667b1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35) ^ Math.imul(c + 0x2f1f3a5d, 0x9e3779b1);
  return (h ^ (h >>> 13)) >>> 0;
}

/** The stream that orders the training images of `epoch`. */
export function epochRng(seed: number, epoch: number): Rng {
  return new Rng(mix(seed, epoch, 0x7fffffff));
}

/** The stream of one optimizer step (views, masks). */
export function stepRng(seed: number, epoch: number, step: number): Rng {
  return new Rng(mix(seed, epoch, step));
}
