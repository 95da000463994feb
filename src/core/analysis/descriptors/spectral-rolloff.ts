import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/** Fraction of the summed amplitude below the rolloff frequency (meyda's 99 %). */
export const ROLLOFF_FRACTION = 0.99;

/**
 * Spectral rolloff (meyda `spectralRolloff`): `binHz * m` for the lowest bin `m` with
 * `sum_{k <= m} a[k] > 0.99 * sum_k a[k]`, found as meyda does by removing bins from the top.
 *
 * Differs from meyda in the bin-to-Hz factor only: meyda multiplies by `sampleRate / (2 (N - 1))` with
 * N = frameSize / 2 bins (sampleRate / 1022 at a 1024 frame), 0.2 % above the true bin spacing
 * `sampleRate / frameSize` that we use. Silence is 0 Hz here (meyda: N * its factor, ~Nyquist).
 * @returns Hz in [0, Nyquist); silence -> 0.
 */
export function spectralRolloffHz({ amplitude, amplitudeTotal, binHz }: Pick<FrameDescriptorInputs, "amplitude" | "amplitudeTotal" | "binHz">): number {
  const total = amplitudeTotal;
  if (!(total > 0)) return 0;
  const threshold = ROLLOFF_FRACTION * total;
  let remaining = total;
  let k = amplitude.length - 1;
  while (remaining > threshold && k >= 0) {
    remaining -= amplitude[k]!;
    k--;
  }
  return (k + 1) * binHz;
}
