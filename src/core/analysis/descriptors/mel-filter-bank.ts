/**
 * Meyda's mel filter bank (meyda 5.6.3 `utilities.createMelFilterBank`), rebuilt value for value so our
 * MFCCs equal meyda's: `bandCount` triangles with edges equally spaced on the mel scale
 * `mel = 1125 ln(1 + f / 700)` from 0 Hz to Nyquist, edge bins `floor((frameSize + 1) f / sampleRate)`,
 * unit peak height (not area-normalised). Meyda computes the edges in `Float32Array`s; so do we, because
 * the float32 rounding decides the edge bins.
 *
 * This is the meyda/MFCC-descriptor bank, not a librosa/Slaney log-mel front end for models.
 */
import { ParameterError } from "../../errors.js";
import { packFilterBank, type SparseFilterBank } from "./sparse-filter-bank.js";

/** Meyda's default number of mel bands for MFCCs. */
export const MEL_BAND_COUNT = 26;

function hzToMel(frequencyHz: number): number {
  return 1125 * Math.log(1 + frequencyHz / 700);
}

function melToHz(mel: number): number {
  return 700 * (Math.exp(mel / 1125) - 1);
}

/**
 * Builds meyda's triangular mel bank over the bins `0 .. frameSizeSamples / 2 - 1` that meyda's
 * amplitude spectrum has, stored sparsely (exact zeros dropped).
 * @param bandCount number of triangles (meyda default 26), >= 1.
 * @param sampleRateHz > 0.
 * @param frameSizeSamples FFT size (even, >= 4).
 * @throws ParameterError on a bad argument.
 */
export function createMelFilterBank(bandCount: number, sampleRateHz: number, frameSizeSamples: number): SparseFilterBank {
  if (!Number.isInteger(bandCount) || bandCount < 1) throw new ParameterError(`mel bandCount must be an integer >= 1, got ${bandCount}`);
  if (!(sampleRateHz > 0)) throw new ParameterError(`sampleRateHz must be > 0, got ${sampleRateHz}`);
  if (!Number.isInteger(frameSizeSamples) || frameSizeSamples < 4 || frameSizeSamples % 2 !== 0)
    throw new ParameterError(`frameSizeSamples must be an even integer >= 4, got ${frameSizeSamples}`);

  const edgeCount = bandCount + 2;
  const melEdges = new Float32Array(edgeCount);
  const hzEdges = new Float32Array(edgeCount);
  const edgeBins: number[] = new Array<number>(edgeCount);
  const melStep = (hzToMel(sampleRateHz / 2) - hzToMel(0)) / (bandCount + 1);
  for (let i = 0; i < edgeCount; i++) {
    melEdges[i] = i * melStep;
    hzEdges[i] = melToHz(melEdges[i]!);
    edgeBins[i] = Math.floor(((frameSizeSamples + 1) * hzEdges[i]!) / sampleRateHz);
  }

  const binCount = frameSizeSamples / 2;
  const dense: Float64Array[] = [];
  for (let band = 0; band < bandCount; band++) {
    const row = new Float64Array(binCount);
    const low = edgeBins[band]!;
    const centre = edgeBins[band + 1]!;
    const high = edgeBins[band + 2]!;
    for (let bin = low; bin < centre && bin < binCount; bin++) row[bin] = (bin - low) / (centre - low);
    for (let bin = centre; bin < high && bin < binCount; bin++) row[bin] = (high - bin) / (high - centre);
    dense.push(row);
  }
  return packFilterBank(dense, binCount);
}
