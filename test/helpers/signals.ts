/** Known-answer test signals: seeded noise, clicks, bursts, sines. */

/** Mulberry32 seeded PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Adds a decaying noise burst starting at `startSec` (exponential decay with time constant `decaySec`). */
export function addNoiseBurst(
  out: Float32Array,
  sampleRateHz: number,
  startSec: number,
  lengthSec: number,
  gain: number,
  random: () => number,
  decaySec = lengthSec / 4,
): void {
  const start = Math.round(startSec * sampleRateHz);
  const length = Math.round(lengthSec * sampleRateHz);
  for (let i = 0; i < length && start + i < out.length; i++) {
    const envelope = Math.exp(-i / (decaySec * sampleRateHz));
    out[start + i] = out[start + i]! + gain * envelope * (2 * random() - 1);
  }
}

/** A sine of `frequencyHz` at `amplitude`, `seconds` long. */
export function sine(frequencyHz: number, seconds: number, sampleRateHz: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRateHz));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz);
  return out;
}
