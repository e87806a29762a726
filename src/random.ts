/**
 * The one seedable PRNG used for every random number in the library (no Math.random anywhere):
 * xoshiro128** (Blackman & Vigna), seeded through splitmix32 so that nearby seeds give unrelated
 * streams. Same seed ⇒ same sequence on every platform (only 32-bit integer arithmetic).
 */
// Math's functions bound once: a global lookup of `Math` in every draw costs little in plain Node but, in a
// vm context such as Jest's, each one goes through the context's global interceptor (~7× slower draws).
const { imul, trunc, sqrt, log, sin, cos, PI } = Math;

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareGaussian: number | undefined;

  constructor(seed: number = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng seed must be a finite number, got ${seed}`);
    let x = (trunc(seed) >>> 0) ^ trunc(seed / 0x100000000);
    const splitmix32 = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = imul(z ^ (z >>> 16), 0x85ebca6b);
      z = imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    // The state is kept as int32 (the bits of the uint32 words): V8 then stores the fields as small
    // integers; words above 2³¹ as uint32 made them heap numbers and every draw allocated (2× slower).
    this.s0 = splitmix32() | 0;
    this.s1 = splitmix32() | 0;
    this.s2 = splitmix32() | 0;
    this.s3 = splitmix32() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = imul(rotl(imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * mask[i] = next() ≥ rate ? kept : 0 for i < n: the same n draws, in order, as n calls of next()
   * (next() ≥ rate ⟺ nextUint32() ≥ rate·2³², both exact), with the state in locals (Dropout's
   * masks: ~4× faster than a call per value).
   */
  fillMask(mask: Float32Array, n: number, rate: number, kept: number): void {
    const threshold = rate * 0x100000000;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < n; i++) {
      const result = imul(rotl(imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      mask[i] = result >= threshold ? kept : 0;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int needs a positive integer bound, got ${n}`);
    // Rejection sampling keeps it exactly uniform.
    const limit = 0x100000000 - (0x100000000 % n);
    let r: number;
    do r = this.nextUint32();
    while (r >= limit);
    return r % n;
  }

  /** A normal sample (Box–Muller, the second value of each pair kept for the next call). */
  gaussian(mean = 0, std = 1): number {
    if (this.spareGaussian !== undefined) {
      const z = this.spareGaussian;
      this.spareGaussian = undefined;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = sqrt(-2 * log(u));
    this.spareGaussian = radius * sin(2 * PI * v);
    return mean + std * radius * cos(2 * PI * v);
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T extends { length: number; [i: number]: any }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A new generator seeded from this one: an independent stream for a sub-task. */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /** The full internal state, to save and later resume the exact same sequence. */
  state(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareGaussian: this.spareGaussian ?? null };
  }

  setState(state: RngState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4 || !state.s.every((v) => Number.isInteger(v))) {
      throw new RangeError('Rng.setState needs the object returned by Rng.state()');
    }
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v | 0);
    this.spareGaussian = state.spareGaussian ?? undefined;
  }
}

export interface RngState {
  s: number[];
  spareGaussian: number | null;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
