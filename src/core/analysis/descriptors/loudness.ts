import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/** Meyda's specific-loudness exponent (Zwicker-style power law on each Bark band's summed amplitude). */
const SPECIFIC_LOUDNESS_EXPONENT = 0.23;

/**
 * Total loudness (meyda `loudness.total`): sum over the 24 Bark bands of (sum of the band's amplitude bins)^0.23.
 * Meyda's unnormalised units: scaling the signal by g scales it by g^0.23 (+6 dB -> x1.17). As in meyda,
 * the last amplitude bin belongs to no band.
 * @returns >= 0; silence -> 0.
 */
export function loudness({ amplitude, barkBandLimits }: Pick<FrameDescriptorInputs, "amplitude" | "barkBandLimits">): number {
  const bandCount = barkBandLimits.length - 1;
  let total = 0;
  for (let band = 0; band < bandCount; band++) {
    const end = barkBandLimits[band + 1]!;
    let bin = barkBandLimits[band]!;
    let sum0 = 0;
    let sum1 = 0;
    for (; bin + 1 < end; bin += 2) {
      sum0 += amplitude[bin]!;
      sum1 += amplitude[bin + 1]!;
    }
    if (bin < end) sum0 += amplitude[bin]!;
    const sum = sum0 + sum1;
    // exp(e ln x) = x^e, twice as fast as Math.pow in V8.
    if (sum > 0) total += Math.exp(SPECIFIC_LOUDNESS_EXPONENT * Math.log(sum));
  }
  return total;
}
