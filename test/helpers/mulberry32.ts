/**
 * mulberry32: a tiny seeded generator of uniform numbers in [0, 1) for the fuzz suites' corruption choices.
 * Deliberately not the library's Rng: the fuzzers must not change their cases when Rng changes.
 * (scripts/kill-save-loop.js carries the same few lines in plain JavaScript.)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
