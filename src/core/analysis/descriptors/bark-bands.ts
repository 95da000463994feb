/**
 * Meyda's Bark band limits for `loudness` (meyda 5.6.3 `utilities.createBarkScale` and the band-limit loop
 * of `extractors/loudness`): bin pitch in Bark by Traunmüller's
 * `13 atan(f / 1315.8) + 3.5 atan((f / 7518)^2)`, split into `bandCount` bands of equal Bark width up
 * to the highest bin. The Bark values are `Float32Array` as in meyda, since their rounding decides the limits.
 */
import { ParameterError } from "../../errors.js";

/** Meyda's default number of Bark bands for loudness. */
export const BARK_BAND_COUNT = 24;

/**
 * Band `b` covers bins `limits[b] .. limits[b + 1] - 1` of an amplitude spectrum of `frameSizeSamples / 2`
 * bins. As in meyda, the last limit is the last bin, which therefore belongs to no band.
 * @param bandCount >= 1 (meyda default 24).
 * @returns `bandCount + 1` limits, non-decreasing.
 * @throws ParameterError on a bad argument.
 */
export function createBarkBandLimits(sampleRateHz: number, frameSizeSamples: number, bandCount = BARK_BAND_COUNT): Int32Array {
  if (!(sampleRateHz > 0)) throw new ParameterError(`sampleRateHz must be > 0, got ${sampleRateHz}`);
  if (!Number.isInteger(frameSizeSamples) || frameSizeSamples < 4 || frameSizeSamples % 2 !== 0)
    throw new ParameterError(`frameSizeSamples must be an even integer >= 4, got ${frameSizeSamples}`);
  if (!Number.isInteger(bandCount) || bandCount < 1) throw new ParameterError(`Bark bandCount must be an integer >= 1, got ${bandCount}`);

  const binCount = frameSizeSamples / 2;
  const bark = new Float32Array(binCount);
  for (let bin = 0; bin < binCount; bin++) {
    // Meyda stores the frequency in its Float32Array before converting it.
    const frequencyHz = Math.fround((bin * sampleRateHz) / frameSizeSamples);
    bark[bin] = 13 * Math.atan(frequencyHz / 1315.8) + 3.5 * Math.atan(Math.pow(frequencyHz / 7518, 2));
  }
  const topBark = bark[binCount - 1]!;
  const limits = new Int32Array(bandCount + 1);
  let band = 1;
  let bandEnd = topBark / bandCount;
  for (let bin = 0; bin < binCount; bin++) {
    while (bark[bin]! > bandEnd) {
      limits[band++] = bin;
      bandEnd = (band * topBark) / bandCount;
    }
  }
  limits[bandCount] = binCount - 1;
  return limits;
}
