import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/**
 * Spectral centroid (meyda `spectralCentroid`, which is in bins, times the bin spacing): the
 * amplitude-weighted mean frequency `binHz * sum_k k a[k] / sum_k a[k]`.
 * @returns Hz in [0, Nyquist); silence (all-zero spectrum) -> 0.
 */
export function spectralCentroidHz({ amplitude, binHz }: Pick<FrameDescriptorInputs, "amplitude" | "binHz">): number {
  const n = amplitude.length;
  // Two independent accumulator pairs: a single running sum is bound by the latency of each addition.
  let sum0 = 0;
  let sum1 = 0;
  let weighted0 = 0;
  let weighted1 = 0;
  let k = 0;
  for (; k + 1 < n; k += 2) {
    const a0 = amplitude[k]!;
    const a1 = amplitude[k + 1]!;
    sum0 += a0;
    sum1 += a1;
    weighted0 += k * a0;
    weighted1 += (k + 1) * a1;
  }
  if (k < n) {
    sum0 += amplitude[k]!;
    weighted0 += k * amplitude[k]!;
  }
  return centroidFromSums(sum0 + sum1, weighted0 + weighted1, binHz);
}

/**
 * The centroid from its sums (shared with the one-pass kernel, `spectrum-moments-wasm.ts`).
 * @param sum `sum_k a[k]`; @param weighted `sum_k k a[k]`; @param binHz bin spacing
 * @returns Hz, 0 when `sum` is not positive
 */
export function centroidFromSums(sum: number, weighted: number, binHz: number): number {
  return sum > 0 ? (weighted / sum) * binHz : 0;
}
