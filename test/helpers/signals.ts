/** Known-answer test signals: seeded noise, clicks, bursts, sines. */
import { createSeededRandom as seededRandom } from "../../src/core/select/seeded-random.js";

/** mulberry32 seeded PRNG in [0, 1): one implementation, `src/core/select/seeded-random.ts`. */
export { seededRandom };

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
