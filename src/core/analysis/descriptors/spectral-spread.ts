import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/**
 * Spectral spread (meyda `spectralSpread`, in bins, times the bin spacing): the amplitude-weighted standard
 * deviation of frequency around the centroid, `binHz * sqrt(mu2 - mu1^2)` with `mu_i = sum_k k^i a[k] / sum_k a[k]`.
 * @returns Hz in [0, Nyquist / 2]; silence -> 0.
 */
export function spectralSpreadHz({ amplitude, binHz }: Pick<FrameDescriptorInputs, "amplitude" | "binHz">): number {
  const n = amplitude.length;
  // Two independent accumulator sets: a single running sum is bound by the latency of each addition.
  let sum0 = 0;
  let sum1 = 0;
  let first0 = 0;
  let first1 = 0;
  let second0 = 0;
  let second1 = 0;
  let k = 0;
  for (; k + 1 < n; k += 2) {
    const a0 = amplitude[k]!;
    const a1 = amplitude[k + 1]!;
    const ka0 = k * a0;
    const ka1 = (k + 1) * a1;
    sum0 += a0;
    sum1 += a1;
    first0 += ka0;
    first1 += ka1;
    second0 += k * ka0;
    second1 += (k + 1) * ka1;
  }
  if (k < n) {
    const a = amplitude[k]!;
    sum0 += a;
    first0 += k * a;
    second0 += k * k * a;
  }
  return spreadFromSums(sum0 + sum1, first0 + first1, second0 + second1, binHz);
}

/**
 * The spread from its sums (shared with the one-pass kernel, `spectrum-moments-wasm.ts`).
 * @param sum `sum_k a[k]`; @param first `sum_k k a[k]`; @param second `sum_k k (k a[k])`; @param binHz bin spacing
 * @returns Hz, 0 when `sum` is not positive or the variance is not
 */
export function spreadFromSums(sum: number, first: number, second: number, binHz: number): number {
  if (!(sum > 0)) return 0;
  const mu1 = first / sum;
  const variance = second / sum - mu1 * mu1;
  // A line spectrum can round to a variance of -1e-12; its spread is 0.
  return variance > 0 ? Math.sqrt(variance) * binHz : 0;
}
