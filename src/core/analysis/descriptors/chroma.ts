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
  for (let band = 0; band < bandCount; band++) {
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
  if (!(max > 0)) return;
  const peak = Math.fround(max);
  for (let band = 0; band < bandCount; band++) out[outOffset + band] = out[outOffset + band]! / peak;
}
