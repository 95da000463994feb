import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/**
 * Mel-frequency cepstral coefficients (meyda `mfcc` with its defaults): power spectrum (amplitude squared) through meyda's
 * 26-band mel bank, `ln(1 + energy)` per band, then the `dct` package's DCT-II with factor 2 (see
 * `createDctMatrix`), first `dctMatrix.length / melBank.bandCount` (13) coefficients. mfcc0 = 2 * the sum
 * of the log mel energies, so it is >= 0 and tracks level.
 * Writes the coefficients to `out[outOffset ..]`; uses `melEnergies` as scratch. Allocation-free.
 * Silence -> all 0.
 */
export function mfcc(
  { amplitude, melBank, melEnergies, dctMatrix }: Pick<FrameDescriptorInputs, "amplitude" | "melBank" | "melEnergies" | "dctMatrix">,
  out: Float32Array,
  outOffset: number,
): void {
  const { rowStart, bins, weights, bandCount } = melBank;
  // power a^2 squared on the fly: the square of a float32 is exact in double precision
  let band = 0;
  if (melBank.contiguous) {
    // entry e of a band weights bin e + shift (no index table to read); two bands at a time: each keeps its
    // own two alternating sums, and the four dependency chains overlap
    for (; band + 1 < bandCount; band += 2) {
      const startA = rowStart[band]!;
      const endA = rowStart[band + 1]!;
      const endB = rowStart[band + 2]!;
      const shiftA = startA < endA ? bins[startA]! - startA : 0;
      const shiftB = endA < endB ? bins[endA]! - endA : 0;
      const lengthA = endA - startA;
      const lengthB = endB - endA;
      const pairs = (lengthA < lengthB ? lengthA : lengthB) >> 1;
      let a0 = 0;
      let a1 = 0;
      let b0 = 0;
      let b1 = 0;
      for (let p = 0; p < pairs; p++) {
        const ea = startA + 2 * p;
        const eb = endA + 2 * p;
        const xa0 = amplitude[ea + shiftA]!;
        const xa1 = amplitude[ea + 1 + shiftA]!;
        const xb0 = amplitude[eb + shiftB]!;
        const xb1 = amplitude[eb + 1 + shiftB]!;
        a0 += weights[ea]! * (xa0 * xa0);
        a1 += weights[ea + 1]! * (xa1 * xa1);
        b0 += weights[eb]! * (xb0 * xb0);
        b1 += weights[eb + 1]! * (xb1 * xb1);
      }
      let entry = startA + 2 * pairs;
      for (; entry + 1 < endA; entry += 2) {
        const x0 = amplitude[entry + shiftA]!;
        const x1 = amplitude[entry + 1 + shiftA]!;
        a0 += weights[entry]! * (x0 * x0);
        a1 += weights[entry + 1]! * (x1 * x1);
      }
      if (entry < endA) {
        const x = amplitude[entry + shiftA]!;
        a0 += weights[entry]! * (x * x);
      }
      entry = endA + 2 * pairs;
      for (; entry + 1 < endB; entry += 2) {
        const x0 = amplitude[entry + shiftB]!;
        const x1 = amplitude[entry + 1 + shiftB]!;
        b0 += weights[entry]! * (x0 * x0);
        b1 += weights[entry + 1]! * (x1 * x1);
      }
      if (entry < endB) {
        const x = amplitude[entry + shiftB]!;
        b0 += weights[entry]! * (x * x);
      }
      melEnergies[band] = Math.log1p(a0 + a1);
      melEnergies[band + 1] = Math.log1p(b0 + b1);
    }
  }
  for (; band < bandCount; band++) {
    const end = rowStart[band + 1]!;
    let entry = rowStart[band]!;
    let energy0 = 0;
    let energy1 = 0;
    for (; entry + 1 < end; entry += 2) {
      const a0 = amplitude[bins[entry]!]!;
      const a1 = amplitude[bins[entry + 1]!]!;
      energy0 += weights[entry]! * (a0 * a0);
      energy1 += weights[entry + 1]! * (a1 * a1);
    }
    if (entry < end) {
      const a = amplitude[bins[entry]!]!;
      energy0 += weights[entry]! * (a * a);
    }
    melEnergies[band] = Math.log1p(energy0 + energy1);
  }
  mfccFromLogEnergies(melEnergies, bandCount, dctMatrix, out, outOffset);
}

/**
 * The DCT-II step of `mfcc` (shared with the extractor's WebAssembly band sums): the coefficients of
 * `melEnergies[0 .. bandCount)` = ln(1 + band energy) into `out[outOffset ..]`. Allocation-free.
 */
export function mfccFromLogEnergies(melEnergies: Float64Array, bandCount: number, dctMatrix: Float64Array, out: Float32Array, outOffset: number): void {
  const coefficientCount = dctMatrix.length / bandCount;
  for (let k = 0; k < coefficientCount; k++) {
    const row = k * bandCount;
    let sum0 = 0;
    let sum1 = 0;
    let m = 0;
    for (; m + 1 < bandCount; m += 2) {
      sum0 += dctMatrix[row + m]! * melEnergies[m]!;
      sum1 += dctMatrix[row + m + 1]! * melEnergies[m + 1]!;
    }
    if (m < bandCount) sum0 += dctMatrix[row + m]! * melEnergies[m]!;
    out[outOffset + k] = sum0 + sum1;
  }
}
