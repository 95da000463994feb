/**
 * Meyda's chroma filter bank (meyda 5.6.3 `utilities.createChromaFilterBank`, itself a port of librosa's
 * `filters.chroma`), rebuilt value for value: for every FFT bin a Gaussian bump over the 12 pitch classes
 * centred on the bin's pitch class and as wide as the bin is in semitones, each bin's column L2-normalised,
 * weighted by a Gaussian over octaves centred on octave 5 (2 octaves wide), rows rotated so class 0 is C.
 *
 * Meyda quirk kept on purpose: its bin-width term is `Math.max(v - prev)` (the `1` floor lands in
 * `map`'s thisArg), so widths are not floored at 1 as in librosa.
 */
import { ParameterError } from "../../errors.js";
import { packFilterBank, type SparseFilterBank } from "./sparse-filter-bank.js";

/** Pitch classes per octave. */
export const CHROMA_BAND_COUNT = 12;
/**
 * Chroma weights at or below this are not stored (811 of the 6144 cells remain at 22.05 kHz / 1024).
 * In every bin the dropped weights are < 2e-9 of that bin's column sum, so chroma changes by < 1e-8
 * relative. The only bins losing all their weights (3 at 22.05 kHz / 1024) are ones meyda itself leaves
 * un-normalised at ~1e-180: the Gaussian underflows when a narrow high bin sits between two classes.
 */
export const CHROMA_WEIGHT_FLOOR = 1e-9;

const CENTER_OCTAVE = 5;
const OCTAVE_WIDTH = 2;
const A440_HZ = 440;

/**
 * Builds meyda's 12-class chroma bank over the bins `0 .. frameSizeSamples / 2 - 1` of meyda's amplitude
 * spectrum, stored sparsely (weights <= `CHROMA_WEIGHT_FLOOR` dropped).
 * @param sampleRateHz > 0.
 * @param frameSizeSamples FFT size (even, >= 4).
 * @throws ParameterError on a bad argument.
 */
export function createChromaFilterBank(sampleRateHz: number, frameSizeSamples: number): SparseFilterBank {
  if (!(sampleRateHz > 0)) throw new ParameterError(`sampleRateHz must be > 0, got ${sampleRateHz}`);
  if (!Number.isInteger(frameSizeSamples) || frameSizeSamples < 4 || frameSizeSamples % 2 !== 0)
    throw new ParameterError(`frameSizeSamples must be an even integer >= 4, got ${frameSizeSamples}`);

  const classes = CHROMA_BAND_COUNT;
  const binCount = frameSizeSamples / 2;
  // Pitch of every bin in chroma units (12 per octave), octave 0 at A440 / 16 = 27.5 Hz.
  const pitch = new Float64Array(frameSizeSamples);
  for (let bin = 0; bin < frameSizeSamples; bin++) {
    pitch[bin] = classes * Math.log2((16 * ((sampleRateHz * bin) / frameSizeSamples)) / A440_HZ);
  }
  // 0 Hz gets a pitch 1.5 octaves below bin 1, as in librosa.
  pitch[0] = pitch[1]! - 1.5 * classes;
  const width = new Float64Array(frameSizeSamples);
  for (let bin = 0; bin < frameSizeSamples - 1; bin++) width[bin] = pitch[bin + 1]! - pitch[bin]!;
  width[frameSizeSamples - 1] = 1;

  const halfClasses = Math.round(classes / 2);
  const weights: Float64Array[] = [];
  for (let cls = 0; cls < classes; cls++) {
    const row = new Float64Array(frameSizeSamples);
    for (let bin = 0; bin < frameSizeSamples; bin++) {
      const distance = ((10 * classes + halfClasses + pitch[bin]! - cls) % classes) - halfClasses;
      row[bin] = Math.exp(-0.5 * Math.pow((2 * distance) / width[bin]!, 2));
    }
    weights.push(row);
  }
  for (let bin = 0; bin < frameSizeSamples; bin++) {
    let squares = 0;
    for (let cls = 0; cls < classes; cls++) squares += Math.pow(weights[cls]![bin]!, 2);
    const norm = Math.sqrt(squares) || 1;
    const octaveWeight = Math.exp(-0.5 * Math.pow((pitch[bin]! / classes - CENTER_OCTAVE) / OCTAVE_WIDTH, 2));
    for (let cls = 0; cls < classes; cls++) {
      const row = weights[cls]!;
      row[bin] = (row[bin]! / norm) * octaveWeight;
    }
  }
  // Rotate so that class 0 is C (three classes above A).
  const rotated = [...weights.slice(3), ...weights.slice(0, 3)];
  return packFilterBank(rotated, binCount, CHROMA_WEIGHT_FLOOR);
}
