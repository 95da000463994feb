import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/**
 * Mel-frequency cepstral coefficients (meyda `mfcc` with its defaults): power spectrum through meyda's
 * 26-band mel bank, `ln(1 + energy)` per band, then the `dct` package's DCT-II with factor 2 (see
 * `createDctMatrix`), first `dctMatrix.length / melBank.bandCount` (13) coefficients. mfcc0 = 2 * the sum
 * of the log mel energies, so it is >= 0 and tracks level.
 * Writes the coefficients to `out[outOffset ..]`; uses `melEnergies` as scratch. Allocation-free.
 * Silence -> all 0.
 */
export function mfcc(
  { power, melBank, melEnergies, dctMatrix }: Pick<FrameDescriptorInputs, "power" | "melBank" | "melEnergies" | "dctMatrix">,
  out: Float32Array,
  outOffset: number,
): void {
  const { rowStart, bins, weights, bandCount } = melBank;
  for (let band = 0; band < bandCount; band++) {
    const end = rowStart[band + 1]!;
    let entry = rowStart[band]!;
    let energy0 = 0;
    let energy1 = 0;
    for (; entry + 1 < end; entry += 2) {
      energy0 += weights[entry]! * power[bins[entry]!]!;
      energy1 += weights[entry + 1]! * power[bins[entry + 1]!]!;
    }
    if (entry < end) energy0 += weights[entry]! * power[bins[entry]!]!;
    melEnergies[band] = Math.log1p(energy0 + energy1);
  }
  const coefficientCount = dctMatrix.length / bandCount;
  for (let k = 0; k < coefficientCount; k++) {
    const row = k * bandCount;
    let sum0 = 0;
    let sum1 = 0;
    let band = 0;
    for (; band + 1 < bandCount; band += 2) {
      sum0 += dctMatrix[row + band]! * melEnergies[band]!;
      sum1 += dctMatrix[row + band + 1]! * melEnergies[band + 1]!;
    }
    if (band < bandCount) sum0 += dctMatrix[row + band]! * melEnergies[band]!;
    out[outOffset + k] = sum0 + sum1;
  }
}
