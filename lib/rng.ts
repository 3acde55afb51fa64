/**
 * Seeded pseudo-random numbers shared by every stochastic part of the kit
 * (data splits, augmentations, masks, initialisation), so that a run is
 * reproducible from its seed alone.
 *
 * The generator is sfc32 seeded through splitmix32; it is fast, has a 128-bit
 * state and passes PractRand to large sizes, which is plenty for ML use.
 *
 * @module
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded random number generator (sfc32). */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareGaussian: number | undefined;

  /** Creates a generator whose whole stream is determined by `seed` (any integer). */
  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.#a = sm();
    this.#b = sm();
    this.#c = sm();
    this.#d = sm();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). Throws when n is not a positive integer. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    }
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal sample (Box-Muller, caching the second value). */
  gaussian(): number {
    if (this.#spareGaussian !== undefined) {
      const v = this.#spareGaussian;
      this.#spareGaussian = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spareGaussian = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle; returns the same array. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array): typeof items {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /** A new independent generator derived from this one (for sub-streams). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /** A 32-bit integer seed suitable for tfjs ops that take a `seed` argument. */
  seedForOp(): number {
    return this.nextUint32() & 0x7fffffff;
  }
}
