/**
 * YIN fundamental-frequency estimator (de Cheveigné & Kawahara 2002, "YIN, a fundamental frequency
 * estimator for speech and music", JASA 111(4)), steps 2-5: difference function, cumulative mean
 * normalised difference (CMND), absolute threshold, parabolic interpolation.
 *
 * Step 2 uses the paper's eq. (7) with a fixed integration window W = frameSize - tauMax - 1:
 * d(tau) = r_0(0) + r_tau(0) - 2 r(tau), where r(tau) = sum_{j<W} x_j x_{j+tau} is one cross-correlation of
 * the frame's first W samples with the whole frame, computed with two forward FFTs and one inverse (as
 * librosa's `yin`; since j + tau < frameSize there is no circular wrap, so a transform of the frame's own
 * padded length suffices), and the energies r_tau(0) come from a running sum of squares.
 */

import { RealFft, type RealFftEngineFactory } from "../dsp/fft.js";
import { ParameterError } from "../errors.js";

/** Options of {@link YinPitch}. */
export interface YinOptions {
  /** Lowest detectable f0 in Hz (default 40 Hz: E1 is 41.2 Hz). */
  readonly minFrequencyHz?: number;
  /** Highest detectable f0 in Hz (default 2500 Hz). */
  readonly maxFrequencyHz?: number;
  /** Absolute CMND threshold of step 4 (default 0.15; the paper uses 0.1, aubio 0.15). */
  readonly threshold?: number;
  /** Accelerated FFT engine (see `RealFft`); fft.js when absent. */
  readonly fftEngine?: RealFftEngineFactory;
}

const DEFAULT_MIN_FREQUENCY_HZ = 40;
const DEFAULT_MAX_FREQUENCY_HZ = 2500;
const DEFAULT_THRESHOLD = 0.15;
/** Frames quieter than this RMS (after removing DC) are unvoiced: -120 dBFS. */
const SILENCE_RMS = 1e-6;

/**
 * Stateless per frame, but allocates its FFT and work buffers once: `process` is allocation-free.
 * After `process(frame)`, read `f0Hz` (0 when unvoiced) and `confidence` (`1 - CMND` at the chosen lag,
 * clamped to 0..1; for unvoiced frames `1 -` the smallest CMND in the lag range, so noise reads low).
 */
export class YinPitch {
  readonly frameSizeSamples: number;
  readonly sampleRateHz: number;
  readonly minFrequencyHz: number;
  readonly maxFrequencyHz: number;
  readonly threshold: number;
  /** Lag range searched, in samples: tauMin = floor(rate / maxF), tauMax = ceil(rate / minF). */
  readonly minLagSamples: number;
  readonly maxLagSamples: number;
  /** Integration window W of the difference function, in samples. */
  readonly windowSamples: number;
  private readonly fft: RealFft;
  private readonly centred: Float32Array;
  private readonly head: Float32Array;
  /** Interleaved spectra (2 x FFT size: fft.js uses the upper half as scratch) and their product. */
  private readonly headSpectrum: Float64Array;
  private readonly frameSpectrum: Float64Array;
  private readonly product: Float64Array;
  private readonly correlation: Float64Array;
  private readonly squaresPrefix: Float64Array;
  private readonly difference: Float64Array;
  private readonly cmnd: Float64Array;
  private f0 = 0;
  private conf = 0;

  /**
   * @param frameSizeSamples frame length N in samples (e.g. 1024)
   * @param sampleRateHz sample rate of the frames
   * @param options lag range and threshold; defaults 40 Hz .. 2500 Hz, threshold 0.15
   * @throws ParameterError when the range is empty or above Nyquist, the threshold is outside (0, 1), or the
   *   frame cannot hold 1.5 periods of `minFrequencyHz` (tauMax + 1 + W with W >= tauMax / 2)
   */
  constructor(frameSizeSamples: number, sampleRateHz: number, options?: YinOptions) {
    const minFrequencyHz = options?.minFrequencyHz ?? DEFAULT_MIN_FREQUENCY_HZ;
    const maxFrequencyHz = options?.maxFrequencyHz ?? DEFAULT_MAX_FREQUENCY_HZ;
    const threshold = options?.threshold ?? DEFAULT_THRESHOLD;
    if (!Number.isInteger(frameSizeSamples) || frameSizeSamples < 32) {
      throw new ParameterError(`YIN frame size must be an integer >= 32 samples, got ${frameSizeSamples}`);
    }
    if (!(sampleRateHz > 0) || !Number.isFinite(sampleRateHz)) {
      throw new ParameterError(`YIN sample rate must be > 0 Hz, got ${sampleRateHz}`);
    }
    if (!(minFrequencyHz > 0) || !(maxFrequencyHz > minFrequencyHz) || maxFrequencyHz > sampleRateHz / 4) {
      throw new ParameterError(
        `YIN range must satisfy 0 < minFrequencyHz < maxFrequencyHz <= rate / 4, got ${minFrequencyHz}..${maxFrequencyHz} Hz at ${sampleRateHz} Hz`,
      );
    }
    if (!(threshold > 0 && threshold < 1)) {
      throw new ParameterError(`YIN threshold must be in (0, 1), got ${threshold}`);
    }
    this.frameSizeSamples = frameSizeSamples;
    this.sampleRateHz = sampleRateHz;
    this.minFrequencyHz = minFrequencyHz;
    this.maxFrequencyHz = maxFrequencyHz;
    this.threshold = threshold;
    this.minLagSamples = Math.max(2, Math.floor(sampleRateHz / maxFrequencyHz));
    this.maxLagSamples = Math.ceil(sampleRateHz / minFrequencyHz);
    // lags 0 .. tauMax + 1 (the +1 for the parabola around tauMax)
    this.windowSamples = frameSizeSamples - this.maxLagSamples - 1;
    if (this.windowSamples < this.maxLagSamples / 2) {
      throw new ParameterError(
        `YIN frame of ${frameSizeSamples} samples is too short for ${minFrequencyHz} Hz at ${sampleRateHz} Hz: ` +
          `it needs at least ${Math.ceil(1.5 * this.maxLagSamples) + 1} samples (raise minFrequencyHz or the frame size)`,
      );
    }
    let fftSize = 16;
    while (fftSize < frameSizeSamples) fftSize *= 2;
    this.fft = new RealFft(fftSize, options?.fftEngine);
    this.centred = new Float32Array(fftSize);
    this.head = new Float32Array(fftSize);
    this.headSpectrum = new Float64Array(2 * fftSize);
    this.frameSpectrum = new Float64Array(2 * fftSize);
    this.product = new Float64Array(fftSize + 2);
    this.correlation = new Float64Array(fftSize);
    this.squaresPrefix = new Float64Array(frameSizeSamples + 1);
    this.difference = new Float64Array(this.maxLagSamples + 2);
    this.cmnd = new Float64Array(this.maxLagSamples + 2);
  }

  /** f0 of the last processed frame in Hz; 0 when unvoiced. */
  get f0Hz(): number {
    return this.f0;
  }

  /** Periodicity of the last frame, 0..1 (1 - CMND minimum); 0 for silence. */
  get confidence(): number {
    return this.conf;
  }

  /**
   * Analyses one frame (unwindowed). Allocation-free.
   * @param frame at least `frameSizeSamples` samples; the first `frameSizeSamples` are used
   * @throws ParameterError when the frame is too short
   */
  process(frame: Float32Array): void {
    const size = this.frameSizeSamples;
    if (frame.length < size) {
      throw new ParameterError(`YinPitch.process: frame has ${frame.length} samples, ${size} needed`);
    }
    // d(tau) is blind to a DC offset; removing it keeps the energies and the correlation well conditioned
    let mean = 0;
    for (let i = 0; i < size; i++) mean += frame[i]!;
    mean /= size;
    const centred = this.centred;
    const prefix = this.squaresPrefix;
    let sum = 0;
    prefix[0] = 0;
    for (let i = 0; i < size; i++) {
      const v = frame[i]! - mean;
      centred[i] = v;
      sum += v * v;
      prefix[i + 1] = sum;
    }
    if (sum < size * SILENCE_RMS * SILENCE_RMS) {
      this.f0 = 0;
      this.conf = 0;
      return;
    }

    const window = this.windowSamples;
    const head = this.head;
    for (let i = 0; i < window; i++) head[i] = centred[i]!;
    const fft = this.fft;
    const a = this.headSpectrum;
    const b = this.frameSpectrum;
    const product = this.product;
    fft.forwardInterleaved(head, a);
    fft.forwardInterleaved(centred, b);
    // conj(Head) * Frame: its inverse is r(tau) = sum_{j<W} head_j frame_{j+tau}
    const binValues = fft.size + 2;
    for (let k = 0; k < binValues; k += 2) {
      const ar = a[k]!;
      const ai = a[k + 1]!;
      const br = b[k]!;
      const bi = b[k + 1]!;
      product[k] = ar * br + ai * bi;
      product[k + 1] = ar * bi - ai * br;
    }
    const r = this.correlation;
    fft.inverseInterleaved(product, r);

    // steps 2-3: difference function and its cumulative mean normalisation
    const difference = this.difference;
    const cmnd = this.cmnd;
    const lastLag = this.maxLagSamples + 1;
    const energy0 = prefix[window]!;
    cmnd[0] = 1;
    let runningSum = 0;
    for (let tau = 1; tau <= lastLag; tau++) {
      const energyTau = prefix[tau + window]! - prefix[tau]!;
      let d = energy0 + energyTau - 2 * r[tau]!;
      if (d < 0) d = 0;
      difference[tau] = d;
      runningSum += d;
      cmnd[tau] = runningSum > 0 ? (d * tau) / runningSum : 1;
    }

    // step 4: the first dip under the threshold, followed down to its local minimum
    const minLag = this.minLagSamples;
    const maxLag = this.maxLagSamples;
    let best = -1;
    for (let tau = minLag; tau <= maxLag; tau++) {
      if (cmnd[tau]! < this.threshold) {
        while (tau + 1 <= maxLag && cmnd[tau + 1]! < cmnd[tau]!) tau++;
        best = tau;
        break;
      }
    }
    if (best < 0) {
      let lowest = Number.POSITIVE_INFINITY;
      for (let tau = minLag; tau <= maxLag; tau++) if (cmnd[tau]! < lowest) lowest = cmnd[tau]!;
      this.f0 = 0;
      this.conf = clamp01(1 - lowest);
      return;
    }

    // step 5: parabolas through the minimum and its neighbours; as the paper advises, the period comes from
    // the raw difference function (the CMND's minimum is biased towards shorter lags), the confidence from
    // the CMND's interpolated minimum
    this.f0 = this.sampleRateHz / (best + parabolaVertex(difference[best - 1]!, difference[best]!, difference[best + 1]!));
    const left = cmnd[best - 1]!;
    const right = cmnd[best + 1]!;
    const offset = parabolaVertex(left, cmnd[best]!, right);
    this.conf = clamp01(1 - (cmnd[best]! - 0.25 * (left - right) * offset));
  }
}

/** Abscissa (-0.5 .. 0.5) of the vertex of the parabola through (-1, left), (0, centre), (1, right). */
function parabolaVertex(left: number, centre: number, right: number): number {
  const curvature = left - 2 * centre + right;
  if (!(curvature > 0)) return 0;
  const offset = (0.5 * (left - right)) / curvature;
  return offset > 0.5 ? 0.5 : offset < -0.5 ? -0.5 : offset;
}

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}
