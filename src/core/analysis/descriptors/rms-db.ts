import { amplitudeToDb } from "../../dsp/time.js";
import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";

/** Floor of `rmsDb`: digital silence reads -120 dBFS. */
export const RMS_FLOOR_DB = -120;

/**
 * Level of the frame: `20 log10(sqrt(mean(signal^2)))` in dBFS, floored at -120 dB (silence -> -120).
 * The RMS is meyda's `rms` formula on the UNWINDOWED frame (meyda's `extract` feeds it the windowed
 * frame instead, which reads ~4.3 dB lower on steady signals); a full-scale sine reads -3.01 dB.
 * @returns dBFS in [-120, 0] for samples in [-1, 1].
 */
export function rmsDb({ signal }: Pick<FrameDescriptorInputs, "signal">): number {
  const n = signal.length;
  // Four independent accumulators: a single running sum is bound by the latency of each addition.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = signal[i]!;
    const b = signal[i + 1]!;
    const c = signal[i + 2]!;
    const d = signal[i + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < n; i++) s0 += signal[i]! * signal[i]!;
  return rmsDbFromSquares(s0 + s1 + (s2 + s3), n);
}

/**
 * The level from the sum of squares (shared with the one-pass kernel, `descriptor-sums-wasm.ts`).
 * @param sumOfSquares `sum_i x[i]^2`; @param samples the frame length
 * @returns dBFS, floored at `RMS_FLOOR_DB`
 */
export function rmsDbFromSquares(sumOfSquares: number, samples: number): number {
  return amplitudeToDb(Math.sqrt(sumOfSquares / samples), RMS_FLOOR_DB);
}
