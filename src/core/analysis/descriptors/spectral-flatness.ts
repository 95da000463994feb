import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/** Bins multiplied together per logarithm: each factor a[k] / mean(a) is <= N = 512, so 16 of them < 2^144. */
const BINS_PER_LOG = 16;
/** Below this a block's product may have lost precision to underflow: take its logs bin by bin instead. */
const MIN_SAFE_PRODUCT = 1e-290;

/**
 * Spectral flatness (meyda `spectralFlatness`): geometric mean over arithmetic mean of the amplitude bins,
 * `exp(mean_k ln a[k]) / mean_k a[k]`; 1 for a flat spectrum, -> 0 for a line spectrum.
 *
 * Computed as `exp(mean_k ln(a[k] / mean a))`, taking one logarithm per 16 bins of their product (same value,
 * 1/16 of the `Math.log` calls; a block whose product nears underflow falls back to one log per bin).
 * `ln 0` needs no guard: a zero bin makes its log -Infinity and the flatness 0, as in meyda. Silence (all
 * bins 0, where meyda returns 0/0 = NaN) is defined as 0: no spectrum, no noise.
 * @returns in [0, 1]; silence -> 0.
 */
export function spectralFlatness({ amplitude, amplitudeTotal }: Pick<FrameDescriptorInputs, "amplitude" | "amplitudeTotal">): number {
  const n = amplitude.length;
  const sum = amplitudeTotal;
  if (!(sum > 0)) return 0;
  const inverseMean = n / sum;
  const inverseMean4 = inverseMean * inverseMean * inverseMean * inverseMean;
  let logSum = 0;
  let k = 0;
  for (; k + BINS_PER_LOG <= n; k += BINS_PER_LOG) {
    const p0 = amplitude[k]! * amplitude[k + 1]! * amplitude[k + 2]! * amplitude[k + 3]! * inverseMean4;
    const p1 = amplitude[k + 4]! * amplitude[k + 5]! * amplitude[k + 6]! * amplitude[k + 7]! * inverseMean4;
    const p2 = amplitude[k + 8]! * amplitude[k + 9]! * amplitude[k + 10]! * amplitude[k + 11]! * inverseMean4;
    const p3 = amplitude[k + 12]! * amplitude[k + 13]! * amplitude[k + 14]! * amplitude[k + 15]! * inverseMean4;
    const product = p0 * p1 * (p2 * p3);
    if (product > MIN_SAFE_PRODUCT) {
      logSum += Math.log(product);
    } else {
      for (let j = k; j < k + BINS_PER_LOG; j++) logSum += Math.log(amplitude[j]! * inverseMean);
    }
  }
  for (; k < n; k++) logSum += Math.log(amplitude[k]! * inverseMean);
  return Math.exp(logSum / n);
}
