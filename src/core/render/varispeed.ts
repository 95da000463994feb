/**
 * Transposition by resampling ("varispeed", like a tape or a classic sampler): reading the audio `r`
 * times faster raises its pitch by 12 log2(r) semitones and shortens it by the same factor. The fit
 * stage then restores the slot length (`--fit stretch` keeps the duration; trim/loop act like a sampler).
 * Interpolation: 4-point, 3rd-order Hermite (Catmull-Rom), adequate for the +-12 semitone range used here;
 * when reading faster than 1x the input is not band-limited first, so shifts up alias slightly above
 * Nyquist / r (documented trade for speed).
 */
import { ParameterError } from "../errors.js";

/** Most transposition allowed: two octaves either way. */
export const MAX_TRANSPOSE_SEMITONES = 24;

/**
 * Transposes planar audio by `semitones` by resampling.
 * @param channels planar input, same length each.
 * @param semitones shift in semitones, |shift| <= 24; 0 returns copies.
 * @returns new planar arrays of round(length / 2^(semitones/12)) frames.
 * @throws ParameterError when the shift is out of range or not finite.
 */
export function varispeed(channels: readonly Float32Array[], semitones: number): Float32Array[] {
  if (!Number.isFinite(semitones) || Math.abs(semitones) > MAX_TRANSPOSE_SEMITONES) {
    throw new ParameterError(`transposition: expected semitones in [-${MAX_TRANSPOSE_SEMITONES}, ${MAX_TRANSPOSE_SEMITONES}], got ${semitones}`);
  }
  if (semitones === 0) return channels.map((c) => c.slice());
  const rate = Math.pow(2, semitones / 12);
  const inputFrames = channels[0]?.length ?? 0;
  const outputFrames = Math.max(1, Math.round(inputFrames / rate));
  return channels.map((input) => {
    const out = new Float32Array(outputFrames);
    const last = inputFrames - 1;
    for (let n = 0; n < outputFrames; n++) {
      const x = n * rate;
      const i = Math.floor(x);
      const f = x - i;
      const y0 = input[Math.min(last, Math.max(0, i - 1))] ?? 0;
      const y1 = input[Math.min(last, i)] ?? 0;
      const y2 = i + 1 <= last ? input[i + 1]! : 0;
      const y3 = i + 2 <= last ? input[i + 2]! : 0;
      const c1 = 0.5 * (y2 - y0);
      const c2 = y0 - 2.5 * y1 + 2 * y2 - 0.5 * y3;
      const c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2);
      out[n] = ((c3 * f + c2) * f + c1) * f + y1;
    }
    return out;
  });
}
