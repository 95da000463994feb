/**
 * Seeded pseudo-random numbers for selection: mulberry32 (Tommy Ettinger's 32-bit generator), small,
 * fast and identical on every platform, so a seed gives the same choices and the same bytes everywhere.
 */

/** A uniform generator in [0, 1). */
export type RandomSource = () => number;

/**
 * Mulberry32 seeded with the low 32 bits of `seed`.
 * @param seed any finite number; non-integers are truncated.
 * @returns a function returning uniform values in [0, 1), 2^32 distinct values, period 2^32.
 */
export function createSeededRandom(seed: number): RandomSource {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A standard Gumbel variate: -ln(-ln(u)). Adding `temperature * gumbel` to scores and taking the best
 * samples from softmax(score / temperature) (the Gumbel-max trick).
 */
export function gumbel(random: RandomSource): number {
  const u = Math.min(1 - 1e-12, Math.max(1e-12, random()));
  return -Math.log(-Math.log(u));
}
