/**
 * Analysis windows. Definitions follow meyda (`src/windowing.ts`) sample for sample, so meyda can serve as
 * the test oracle for every spectral descriptor computed on our frames.
 */

import { ParameterError } from "../errors.js";

function checkSize(sizeSamples: number): void {
  if (!Number.isInteger(sizeSamples) || sizeSamples < 2) {
    throw new ParameterError(`window size must be an integer >= 2 samples, got ${sizeSamples}`);
  }
}

/**
 * Symmetric Hann window, meyda's "hanning": `w[i] = 0.5 - 0.5 cos(2 pi i / (N - 1))`, so `w[0] = w[N-1] = 0`.
 * @param sizeSamples window length N (integer >= 2)
 * @returns N coefficients in [0, 1]
 * @throws ParameterError when N is not an integer >= 2
 */
export function hannWindow(sizeSamples: number): Float32Array {
  checkSize(sizeSamples);
  const window = new Float32Array(sizeSamples);
  for (let i = 0; i < sizeSamples; i++) {
    window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (sizeSamples - 1));
  }
  return window;
}

/**
 * Hamming window exactly as meyda computes it: `w[i] = 0.54 - 0.46 cos(2 pi (i / N - 1))`, which is the
 * periodic Hamming window (not the symmetric one of MATLAB's `hamming`).
 * @param sizeSamples window length N (integer >= 2)
 * @returns N coefficients in [0.08, 1]
 * @throws ParameterError when N is not an integer >= 2
 */
export function hammingWindow(sizeSamples: number): Float32Array {
  checkSize(sizeSamples);
  const window = new Float32Array(sizeSamples);
  for (let i = 0; i < sizeSamples; i++) {
    window[i] = 0.54 - 0.46 * Math.cos(2 * Math.PI * (i / sizeSamples - 1));
  }
  return window;
}

/**
 * Symmetric Blackman window, meyda's "blackman": `0.42 - 0.5 cos(2 pi i/(N-1)) + 0.08 cos(4 pi i/(N-1))`,
 * first half computed and mirrored (as meyda does).
 * @param sizeSamples window length N (integer >= 2)
 * @returns N coefficients in [0, 1] (the end points are ~0, within float rounding)
 * @throws ParameterError when N is not an integer >= 2
 */
export function blackmanWindow(sizeSamples: number): Float32Array {
  checkSize(sizeSamples);
  const window = new Float32Array(sizeSamples);
  const coeff1 = (2 * Math.PI) / (sizeSamples - 1);
  const coeff2 = 2 * coeff1;
  for (let i = 0; i < sizeSamples / 2; i++) {
    window[i] = 0.42 - 0.5 * Math.cos(i * coeff1) + 0.08 * Math.cos(i * coeff2);
  }
  for (let i = Math.ceil(sizeSamples / 2); i > 0; i--) {
    window[sizeSamples - i] = window[i - 1]!;
  }
  return window;
}

/**
 * Sine window, meyda's "sine": `w[i] = sin(pi i / (N - 1))`.
 * @param sizeSamples window length N (integer >= 2)
 * @returns N coefficients in [0, 1]
 * @throws ParameterError when N is not an integer >= 2
 */
export function sineWindow(sizeSamples: number): Float32Array {
  checkSize(sizeSamples);
  const window = new Float32Array(sizeSamples);
  const coeff = Math.PI / (sizeSamples - 1);
  for (let i = 0; i < sizeSamples; i++) {
    window[i] = Math.sin(coeff * i);
  }
  return window;
}

/**
 * `out[i] = input[i] * window[i]` for `i < window.length`. Allocation-free; `out` may be `input`.
 * @param input at least `window.length` samples
 * @param window coefficients (e.g. from `hannWindow`)
 * @param out at least `window.length` samples
 * @throws ParameterError when `input` or `out` is shorter than `window`
 */
export function applyWindow(input: Float32Array, window: Float32Array, out: Float32Array): void {
  const n = window.length;
  if (input.length < n || out.length < n) {
    throw new ParameterError(
      `applyWindow: input (${input.length}) and out (${out.length}) must hold the window's ${n} samples`,
    );
  }
  for (let i = 0; i < n; i++) out[i] = input[i]! * window[i]!;
}
