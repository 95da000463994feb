/**
 * Real-input FFT on top of fft.js (radix-4, the fastest pure-JS FFT we measured). Buffers are allocated
 * once in the constructor; `forward`, `amplitude` and `inverse` allocate nothing.
 */

import FFT from "fft.js";
import { ParameterError } from "../errors.js";

/** Smallest supported transform: 16 samples. */
const MIN_FFT_SIZE_SAMPLES = 16;

/**
 * An accelerated real FFT (e.g. PFFFT in WebAssembly, `src/io/pffft-engine.ts`), injected at the edge.
 * Spectra are interleaved re/im for bins 0..size/2 (`size + 2` values), as fft.js's `realTransform`
 * writes its first half.
 */
export interface RealFftEngine {
  readonly size: number;
  /** Forward transform of `size` real samples into `size + 2` interleaved values. */
  forward(input: ArrayLike<number>, out: Float32Array | Float64Array): void;
  /** Inverse of `forward` (normalised: inverse(forward(x)) = x). */
  inverse(spectrum: ArrayLike<number>, outSignal: Float32Array | Float64Array): void;
  /** |X_k| for k < out.length (<= size/2 + 1), straight from the engine's buffers (no spectrum copy). */
  amplitude?(input: ArrayLike<number>, out: Float32Array): void;
  /**
   * `amplitude` of the frame `fround(input[n] * window[n])` for n < window.length, zero beyond (window.length
   * <= size), bit-identical to windowing in JS first. The window's values may be cached by identity: a window
   * array must not change once used.
   */
  windowedAmplitude?(input: Float32Array, window: Float32Array | Float64Array, out: Float32Array): void;
}

/** Makes an engine for a size, or `undefined` when it cannot (the caller keeps fft.js). */
export type RealFftEngineFactory = (sizeSamples: number) => RealFftEngine | undefined;

/** The fft.js side of a `RealFft` of one size: transforms, the inverse's split twiddles, its scratch. */
interface FftJs {
  readonly fft: FFT;
  readonly halfFft: FFT;
  /** Inverse: the N/2-point complex spectrum packed from the real spectrum. */
  readonly packed: Float64Array;
  /** cos / sin of 2 pi k / N for k < N/2. */
  readonly twiddleCos: Float64Array;
  readonly twiddleSin: Float64Array;
}

/**
 * One `FftJs` per size, shared by the `RealFft`s of a thread: building fft.js tables per file was a
 * measurable part of analysing short files, and transforms never interleave (no call is re-entered), so
 * the scratch can be shared too.
 */
const FFT_JS_BY_SIZE = new Map<number, FftJs>();

function fftJsFor(size: number): FftJs {
  let js = FFT_JS_BY_SIZE.get(size);
  if (js === undefined) {
    const half = size / 2;
    const twiddleCos = new Float64Array(half);
    const twiddleSin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      twiddleCos[k] = Math.cos((2 * Math.PI * k) / size);
      twiddleSin[k] = Math.sin((2 * Math.PI * k) / size);
    }
    js = { fft: new FFT(size), halfFft: new FFT(half), packed: new Float64Array(size), twiddleCos, twiddleSin };
    FFT_JS_BY_SIZE.set(size, js);
  }
  return js;
}

/**
 * Forward and inverse DFT of real signals of one fixed power-of-two size N. Conventions (same as numpy's
 * `rfft`/`irfft` and meyda): `X_k = sum_n x_n e^{-2 pi i k n / N}` unscaled; the inverse divides by N.
 */
export class RealFft {
  /** Transform length N in samples. */
  readonly size: number;
  /** fft.js transforms, tables and scratch; only without an engine (built once per size, see `fftJsFor`). */
  private readonly js: FftJs | undefined;
  /** fft.js output: N interleaved complex values (only bins 0..N/2 are filled by `realTransform`). */
  private readonly spectrum: Float64Array;
  private readonly unpacked: Float64Array;
  /** Accelerated engine doing forward and inverse transforms, when one was injected. */
  private readonly engine: RealFftEngine | undefined;
  /** The windowed frame of `windowedAmplitude` when the engine cannot window itself. */
  private readonly windowed: Float32Array;

  /**
   * @param sizeSamples transform length N: a power of two >= 16
   * @param engineFactory optional accelerated engine (same results within float32 rounding)
   * @throws ParameterError when N is not a power of two >= 16
   */
  constructor(sizeSamples: number, engineFactory?: RealFftEngineFactory) {
    if (
      !Number.isInteger(sizeSamples) ||
      sizeSamples < MIN_FFT_SIZE_SAMPLES ||
      (sizeSamples & (sizeSamples - 1)) !== 0
    ) {
      throw new ParameterError(`FFT size must be a power of two >= ${MIN_FFT_SIZE_SAMPLES}, got ${sizeSamples}`);
    }
    this.size = sizeSamples;
    this.engine = engineFactory?.(sizeSamples);
    this.js = this.engine === undefined ? fftJsFor(sizeSamples) : undefined;
    this.spectrum = new Float64Array(2 * sizeSamples);
    this.unpacked = new Float64Array(sizeSamples);
    this.windowed = new Float32Array(sizeSamples);
  }

  /**
   * Magnitudes `|X_k|` for `k = 0 .. outAmplitude.length - 1` of a real frame (window it first).
   * Unscaled, like meyda's `amplitudeSpectrum`: a full-scale sine on bin k gives `N/2` there.
   * @param input the first N samples are transformed
   * @param outAmplitude receives the magnitudes; length <= N/2 + 1
   * @throws ParameterError when `input` is shorter than N or `outAmplitude` longer than N/2 + 1
   */
  amplitude(input: Float32Array, outAmplitude: Float32Array): void {
    const binCount = outAmplitude.length;
    if (binCount > this.size / 2 + 1) {
      throw new ParameterError(`RealFft.amplitude: at most ${this.size / 2 + 1} bins, got ${binCount}`);
    }
    if (this.engine?.amplitude) {
      if (input.length < this.size) {
        throw new ParameterError(`RealFft: input has ${input.length} samples, the transform needs ${this.size}`);
      }
      this.engine.amplitude(input, outAmplitude);
      return;
    }
    this.transform(input);
    const spectrum = this.spectrum;
    for (let k = 0; k < binCount; k++) {
      const re = spectrum[2 * k]!;
      const im = spectrum[2 * k + 1]!;
      outAmplitude[k] = Math.sqrt(re * re + im * im);
    }
  }

  /**
   * `amplitude` of a windowed frame: `input[n] * window[n]` (rounded to float32, as a Float32Array would
   * store it) for n < window.length, zero up to N. An accelerated engine windows in its own buffers.
   * The window is a constant table: do not change its values once used (an engine may cache them).
   * @param input at least `window.length` samples
   * @param window window.length <= N values (float32 or float64)
   * @param outAmplitude receives the magnitudes; length <= N/2 + 1
   * @throws ParameterError when the window is longer than N, `input` shorter than the window, or
   *   `outAmplitude` longer than N/2 + 1
   */
  windowedAmplitude(input: Float32Array, window: Float32Array | Float64Array, outAmplitude: Float32Array): void {
    const length = window.length;
    if (length > this.size || input.length < length || outAmplitude.length > this.size / 2 + 1) {
      throw new ParameterError(
        `RealFft.windowedAmplitude: window of ${length} (<= ${this.size}), input of ${input.length} (>= window), ` +
          `${outAmplitude.length} bins (<= ${this.size / 2 + 1})`,
      );
    }
    if (this.engine?.windowedAmplitude) {
      this.engine.windowedAmplitude(input, window, outAmplitude);
      return;
    }
    const windowed = this.windowed;
    for (let i = 0; i < length; i++) windowed[i] = input[i]! * window[i]!;
    windowed.fill(0, length);
    this.amplitude(windowed, outAmplitude);
  }

  /**
   * Complex spectrum of a real frame: bins `0 .. N/2` into `outRe` / `outIm`.
   * @param input the first N samples are transformed
   * @param outRe real parts, length >= N/2 + 1
   * @param outIm imaginary parts, length >= N/2 + 1 (`outIm[0]` and `outIm[N/2]` are 0)
   * @throws ParameterError when a buffer is too short
   */
  forward(input: Float32Array, outRe: Float32Array, outIm: Float32Array): void {
    const binCount = this.size / 2 + 1;
    if (outRe.length < binCount || outIm.length < binCount) {
      throw new ParameterError(`RealFft.forward: outRe and outIm need ${binCount} bins`);
    }
    this.transform(input);
    const spectrum = this.spectrum;
    for (let k = 0; k < binCount; k++) {
      outRe[k] = spectrum[2 * k]!;
      outIm[k] = spectrum[2 * k + 1]!;
    }
  }

  /**
   * Inverse of `forward`: the real signal of length N whose spectrum bins `0 .. N/2` are `re` / `im`
   * (the upper half is implied by Hermitian symmetry; `im[0]` and `im[N/2]` are ignored).
   * @param re real parts, length >= N/2 + 1
   * @param im imaginary parts, length >= N/2 + 1
   * @param outSignal receives N samples
   * @throws ParameterError when a buffer is too short
   */
  inverse(re: Float32Array, im: Float32Array, outSignal: Float32Array): void {
    const size = this.size;
    const half = size / 2;
    if (re.length < half + 1 || im.length < half + 1 || outSignal.length < size) {
      throw new ParameterError(`RealFft.inverse: re and im need ${half + 1} bins, outSignal ${size} samples`);
    }
    const spectrum = this.spectrum;
    for (let k = 0; k <= half; k++) {
      spectrum[2 * k] = re[k]!;
      spectrum[2 * k + 1] = im[k]!;
    }
    const unpacked = this.unpacked;
    this.inverseInterleaved(spectrum, unpacked);
    for (let n = 0; n < size; n++) outSignal[n] = unpacked[n]!;
  }

  /**
   * `forward` into one interleaved double-precision buffer, without copies: afterwards
   * `out[2k], out[2k + 1]` hold Re, Im of `X_k` for `k = 0 .. N/2`; the rest of `out` is scratch.
   * @param input the first N samples are transformed
   * @param out length >= 2N
   * @throws ParameterError when a buffer is too short
   */
  forwardInterleaved(input: Float32Array, out: Float64Array): void {
    if (input.length < this.size || out.length < 2 * this.size) {
      throw new ParameterError(`RealFft.forwardInterleaved: input needs ${this.size} samples, out ${2 * this.size}`);
    }
    if (this.engine) this.engine.forward(input, out);
    else this.js!.fft.realTransform(out, input);
  }

  /**
   * `inverse` from an interleaved spectrum (bins `0 .. N/2` as `forwardInterleaved` leaves them), in double
   * precision. Computed with an N/2-point complex FFT (the usual even/odd packing), so it costs about as
   * much as `forward`.
   * @param spectrum `[Re X_0, Im X_0, Re X_1, ...]`, length >= N + 2 (not modified)
   * @param outSignal receives N samples
   * @throws ParameterError when a buffer is too short
   */
  inverseInterleaved(spectrum: Float64Array, outSignal: Float64Array): void {
    const size = this.size;
    const half = size / 2;
    if (spectrum.length < size + 2 || outSignal.length < size) {
      throw new ParameterError(`RealFft.inverseInterleaved: spectrum needs ${size + 2} values, outSignal ${size}`);
    }
    if (this.engine) {
      this.engine.inverse(spectrum, outSignal);
      return;
    }
    const js = this.js!;
    const packed = js.packed;
    const cos = js.twiddleCos;
    const sin = js.twiddleSin;
    // X_k = E_k + e^{-2 pi i k/N} O_k with E, O the N/2-point spectra of the even and odd samples;
    // Z_k = E_k + i O_k is the spectrum of z_n = x_{2n} + i x_{2n+1}.
    for (let k = 0; k < half; k++) {
      const m = half - k;
      const reK = spectrum[2 * k]!;
      const reM = spectrum[2 * m]!;
      const imK = k === 0 ? 0 : spectrum[2 * k + 1]!;
      const imM = k === 0 ? 0 : spectrum[2 * m + 1]!;
      const eRe = 0.5 * (reK + reM);
      const eIm = 0.5 * (imK - imM);
      const dRe = 0.5 * (reK - reM);
      const dIm = 0.5 * (imK + imM);
      const c = cos[k]!;
      const s = sin[k]!;
      const oRe = dRe * c - dIm * s;
      const oIm = dRe * s + dIm * c;
      packed[2 * k] = eRe - oIm;
      packed[2 * k + 1] = eIm + oRe;
    }
    // the N/2 complex outputs z_n, interleaved, are x_0, x_1, ..., x_{N-1} in order
    js.halfFft.inverseTransform(outSignal.length === size ? outSignal : this.unpacked, packed);
    if (outSignal.length !== size) {
      const unpacked = this.unpacked;
      for (let n = 0; n < size; n++) outSignal[n] = unpacked[n]!;
    }
  }

  private transform(input: Float32Array): void {
    if (input.length < this.size) {
      throw new ParameterError(`RealFft: input has ${input.length} samples, the transform needs ${this.size}`);
    }
    if (this.engine) this.engine.forward(input, this.spectrum);
    else this.js!.fft.realTransform(this.spectrum, input);
  }

  /** True when an accelerated engine does the transforms. */
  get accelerated(): boolean {
    return this.engine !== undefined;
  }
}
