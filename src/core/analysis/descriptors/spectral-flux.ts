import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/**
 * Spectral flux, normalised: the half-wave-rectified L1 difference of consecutive amplitude spectra
 * (Dixon, "Onset detection revisited", DAFx 2006, eq. 4: `SF = sum_k H(|X_t[k]| - |X_{t-1}[k]|)`,
 * `H(x) = (x + |x|) / 2`), divided by the current frame's summed amplitude `sum_k |X_t[k]|`:
 *
 *   flux = sum_k max(0, a_t[k] - a_{t-1}[k]) / sum_k a_t[k]
 *
 * i.e. the fraction of the frame's spectral magnitude that is new. Only rises count, so a steady or decaying
 * sound reads 0 and a note starting from silence reads 1; a steady spectrum scaled up by g reads 1 - 1/g.
 * (Meyda's own `spectralFlux` is broken in 5.6.3 — it reads negative indices of the time signal — so there
 * is no meyda oracle.) Before the first frame of a file the previous spectrum is silence.
 * @returns in [0, 1]; a silent current frame -> 0.
 */
export function spectralFlux({ amplitude, previousAmplitude }: Pick<FrameDescriptorInputs, "amplitude" | "previousAmplitude">): number {
  const n = amplitude.length;
  // Two independent accumulator pairs: a single running sum is bound by the latency of each addition.
  let rise0 = 0;
  let rise1 = 0;
  let sum0 = 0;
  let sum1 = 0;
  let k = 0;
  for (; k + 1 < n; k += 2) {
    const a0 = amplitude[k]!;
    const a1 = amplitude[k + 1]!;
    sum0 += a0;
    sum1 += a1;
    const d0 = a0 - previousAmplitude[k]!;
    const d1 = a1 - previousAmplitude[k + 1]!;
    // H(d) = (d + |d|) / 2 (Dixon's rectifier, = max(d, 0) exactly), branch-free unlike Math.max in V8.
    rise0 += d0 + Math.abs(d0);
    rise1 += d1 + Math.abs(d1);
  }
  if (k < n) {
    sum0 += amplitude[k]!;
    const d = amplitude[k]! - previousAmplitude[k]!;
    rise0 += d + Math.abs(d);
  }
  return fluxFromSums(sum0 + sum1, rise0 + rise1);
}

/**
 * The flux from its sums (shared with the one-pass kernel, `spectrum-moments-wasm.ts`).
 * @param sum `sum_k a[k]`; @param rise `sum_k (d + |d|)`, `d = a[k] - previous a[k]`
 * @returns 0 .. 1, 0 when `sum` is not positive
 */
export function fluxFromSums(sum: number, rise: number): number {
  return sum > 0 ? (0.5 * rise) / sum : 0;
}
