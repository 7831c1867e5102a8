// Seeded random numbers for the digital twin: the same seed gives the same beam, spill by spill.
// xoshiro128** (Blackman & Vigna): fast, 32-bit state words that JavaScript handles exactly.

export class Random {
  /**
   * The four state words as int32 (the same bits as uint32: every operation below is on 32-bit patterns),
   * in a typed array so that they stay unboxed (issue 19: the twin draws ~10⁸ numbers a spill).
   */
  private readonly s = new Int32Array(4);
  /** The second deviate of the last polar-method pair, valid while `hasSpare` (no null: a number field stays unboxed). */
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the 128-bit state (an all-zero state would be stuck).
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const s = this.s;
    s[0] = next();
    s[1] = next();
    s[2] = next();
    s[3] = next();
  }

  private nextUint32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]! ^ s0;
    const s3 = s[3]! ^ s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    s[0] = s0 ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal deviate (Marsaglia polar method, caching the second value). */
  gauss(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Exponential deviate with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  /** A new generator whose sequence does not overlap in practice with this one (for independent streams). */
  fork(salt: number): Random {
    return new Random((this.nextUint32() ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
  }
}
