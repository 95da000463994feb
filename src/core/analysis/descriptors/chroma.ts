import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/**
 * Chroma (meyda `chroma`): the amplitude spectrum through meyda's 12-class chroma bank (class 0 = C), divided
 * by the largest class so the strongest pitch class reads 1.
 * Writes 12 values to `out[outOffset ..]`. Allocation-free.
 * @returns nothing; values in [0, 1]; silence -> all 0 (as meyda, which skips the division when the max is 0).
 */
export function chroma(
  { amplitude, chromaBank }: Pick<FrameDescriptorInputs, "amplitude" | "chromaBank">,
  out: Float32Array,
  outOffset: number,
): void {
  const { rowStart, bins, weights, bandCount } = chromaBank;
  let max = 0;
  let band = 0;
  // two classes at a time: each keeps its own two alternating sums, the four dependency chains overlap
  for (; band + 1 < bandCount; band += 2) {
    const startA = rowStart[band]!;
    const endA = rowStart[band + 1]!;
    const endB = rowStart[band + 2]!;
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
      a0 += weights[ea]! * amplitude[bins[ea]!]!;
      a1 += weights[ea + 1]! * amplitude[bins[ea + 1]!]!;
      b0 += weights[eb]! * amplitude[bins[eb]!]!;
      b1 += weights[eb + 1]! * amplitude[bins[eb + 1]!]!;
    }
    let entry = startA + 2 * pairs;
    for (; entry + 1 < endA; entry += 2) {
      a0 += weights[entry]! * amplitude[bins[entry]!]!;
      a1 += weights[entry + 1]! * amplitude[bins[entry + 1]!]!;
    }
    if (entry < endA) a0 += weights[entry]! * amplitude[bins[entry]!]!;
    entry = endA + 2 * pairs;
    for (; entry + 1 < endB; entry += 2) {
      b0 += weights[entry]! * amplitude[bins[entry]!]!;
      b1 += weights[entry + 1]! * amplitude[bins[entry + 1]!]!;
    }
    if (entry < endB) b0 += weights[entry]! * amplitude[bins[entry]!]!;
    const sumA = a0 + a1;
    const sumB = b0 + b1;
    out[outOffset + band] = sumA;
    out[outOffset + band + 1] = sumB;
    if (sumA > max) max = sumA;
    if (sumB > max) max = sumB;
  }
  for (; band < bandCount; band++) {
    const end = rowStart[band + 1]!;
    let entry = rowStart[band]!;
    let sum0 = 0;
    let sum1 = 0;
    for (; entry + 1 < end; entry += 2) {
      sum0 += weights[entry]! * amplitude[bins[entry]!]!;
      sum1 += weights[entry + 1]! * amplitude[bins[entry + 1]!]!;
    }
    if (entry < end) sum0 += weights[entry]! * amplitude[bins[entry]!]!;
    const sum = sum0 + sum1;
    out[outOffset + band] = sum;
    if (sum > max) max = sum;
  }
  normaliseChroma(out, outOffset, bandCount, max);
}

/**
 * The last step of `chroma` (shared with the extractor's WebAssembly band sums): `out[outOffset + b]` holds
 * class b's sum (as float32), `max` the largest sum (as double); divides every class by the largest.
 * Silence (max not > 0) stays as it is.
 */
export function normaliseChroma(out: Float32Array, outOffset: number, bandCount: number, max: number): void {
  if (!(max > 0)) return;
  const peak = Math.fround(max);
  for (let b = 0; b < bandCount; b++) out[outOffset + b] = out[outOffset + b]! / peak;
}
