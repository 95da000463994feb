/**
 * Log-mel frames of a signal segment, the front end of embedding models (manifest `input.kind = "logmel"`).
 *
 * The segment `[startSample, endSample)` is treated as a signal of its own, zero outside it (a unit is
 * embedded from its own samples only). Frame `i`'s window covers segment samples
 * `[i * hop - pad, i * hop - pad + windowSamples)` with `pad = 0` when `center` is false
 * (tf.signal.stft / VGGish framing; the contract's "no padding at the start") and
 * `pad = fftSize/2 - (fftSize - windowSamples)/2` (integer halves) when `center` is true (librosa's
 * `center=True` with zero padding: the window centred on `i * hop`). The windowed samples are
 * zero-padded to `fftSize`; the power spectrum is `|X_k|^power`, `k = 0 .. fftSize/2`, unscaled (no 1/N).
 * A window that lies entirely outside the segment is all zeros, so its frame is the silence value
 * `log(0 + offset)` without a transform.
 */

import { ParameterError } from "../errors.js";
import { BandLogs } from "./band-logs.js";
import { RealFft, type RealFftEngineFactory } from "./fft.js";
import { applyMelFilterBank, applyMelFilterBankToSquares, createMelFilterBank, logCompress, type LogCompression, type MelFilterBank, type MelNorm, type MelScale } from "./mel.js";

/** Analysis window shapes a manifest can name. "Periodic" windows divide by N, "symmetric" by N - 1. */
export type WindowShape = "hann-periodic" | "hann-symmetric" | "hamming-periodic" | "rectangular";

export const WINDOW_SHAPES: readonly WindowShape[] = ["hann-periodic", "hann-symmetric", "hamming-periodic", "rectangular"];

/**
 * Window coefficients (double precision).
 * - "hann-periodic": `0.5 - 0.5 cos(2 pi n / N)` (scipy `hann(N, sym=False)`, torch `hann_window(N)`, librosa's default)
 * - "hann-symmetric": `0.5 - 0.5 cos(2 pi n / (N - 1))`
 * - "hamming-periodic": `0.54 - 0.46 cos(2 pi n / N)`
 * - "rectangular": ones
 * @param sizeSamples N >= 2
 * @throws ParameterError when N is not an integer >= 2
 */
export function modelWindow(shape: WindowShape, sizeSamples: number): Float64Array {
  if (!Number.isInteger(sizeSamples) || sizeSamples < 2) {
    throw new ParameterError(`window size must be an integer >= 2 samples, got ${sizeSamples}`);
  }
  const out = new Float64Array(sizeSamples);
  for (let n = 0; n < sizeSamples; n++) {
    switch (shape) {
      case "hann-periodic":
        out[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / sizeSamples);
        break;
      case "hann-symmetric":
        out[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (sizeSamples - 1));
        break;
      case "hamming-periodic":
        out[n] = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / sizeSamples);
        break;
      case "rectangular":
        out[n] = 1;
        break;
    }
  }
  return out;
}

/** The STFT and mel parameters of a log-mel front end (the manifest's `input` minus the patching). */
export interface LogMelFramerConfig {
  readonly sampleRateHz: number;
  /** FFT size in samples: a power of two >= 16. */
  readonly fftSize: number;
  /** Window length in samples, 2 .. fftSize. */
  readonly windowSamples: number;
  /** Distance between frame starts in samples, >= 1. */
  readonly hopSamples: number;
  readonly window: WindowShape;
  readonly center: boolean;
  readonly mel: {
    readonly bands: number;
    readonly fminHz: number;
    readonly fmaxHz: number;
    readonly scale: MelScale;
    readonly norm: MelNorm;
    /** Exponent of the magnitude spectrum: 2 = power, 1 = magnitude. */
    readonly power: 1 | 2;
  };
  readonly log: LogCompression;
}

/**
 * Computes log-mel frames (frame-major: `bands` values per frame). Buffers are allocated once in the
 * constructor; `computeFrames` allocates nothing.
 */
export class LogMelFramer {
  readonly bandCount: number;
  readonly hopSamples: number;
  readonly windowSamples: number;
  /** Segment samples before frame i's nominal start `i * hop` where its window begins (0 unless centred). */
  readonly windowLeadSamples: number;
  /** The frame value of silence: the log compression of zero energy. */
  readonly silenceValue: number;
  readonly bank: MelFilterBank;
  private readonly config: LogMelFramerConfig;
  private readonly window: Float64Array;
  private readonly fft: RealFft;
  private readonly frame: Float32Array;
  private readonly magnitude: Float32Array;
  /** Mel energies of one frame, for the "db" compression. */
  private readonly mel: Float64Array;
  /** For "ln" and "log10": the bank and the logarithms of `mel + offset` (see `band-logs.ts`), reading its own spectrum buffer. */
  private readonly melLogs: BandLogs | null;

  /**
   * @param engineFactory optional accelerated FFT (PFFFT): faster, float32 rounding in the transform
   *   (without it, fft.js transforms in double precision; magnitudes are kept as float32 either way)
   * @throws ParameterError on inconsistent sizes or mel parameters
   */
  constructor(config: LogMelFramerConfig, engineFactory?: RealFftEngineFactory) {
    const { fftSize, windowSamples, hopSamples } = config;
    if (!Number.isInteger(windowSamples) || windowSamples < 2 || windowSamples > fftSize) {
      throw new ParameterError(`windowSamples must be an integer between 2 and fftSize (${fftSize}), got ${windowSamples}`);
    }
    if (!Number.isInteger(hopSamples) || hopSamples < 1) throw new ParameterError(`hopSamples must be an integer >= 1, got ${hopSamples}`);
    if (config.mel.power !== 1 && config.mel.power !== 2) throw new ParameterError(`mel power must be 1 or 2, got ${String(config.mel.power)}`);
    if (!(config.log.offset > 0)) throw new ParameterError(`log offset must be > 0, got ${config.log.offset}`);
    this.config = config;
    this.fft = new RealFft(fftSize, engineFactory);
    this.bank = createMelFilterBank({ sampleRateHz: config.sampleRateHz, fftSize, ...config.mel });
    this.bandCount = config.mel.bands;
    this.hopSamples = hopSamples;
    this.windowSamples = windowSamples;
    this.windowLeadSamples = config.center ? (fftSize >> 1) - ((fftSize - windowSamples) >> 1) : 0;
    this.window = modelWindow(config.window, windowSamples);
    this.frame = new Float32Array(fftSize);
    this.mel = new Float64Array(config.mel.bands);
    const bank = this.bank;
    this.melLogs =
      config.log.kind === "db"
        ? null
        : new BandLogs({ starts: bank.firstBin, lengths: bank.binCount, offsets: bank.offset, weights: bank.weights }, bank.spectrumBins, {
            square: config.mel.power === 2,
          });
    // |X_k| goes straight to the buffer the bank reads
    this.magnitude = this.melLogs?.spectrum ?? new Float32Array(fftSize / 2 + 1);
    this.silenceValue = logCompress(0, config.log);
  }

  /**
   * Log-mel frames `firstFrame .. firstFrame + frameCount - 1` of the segment `signal[startSample, endSample)`
   * (zero outside it) into `out[outOffset + (i - firstFrame) * bands + m]`. Allocation-free.
   * @param startSample, endSample the segment, 0 <= startSample <= endSample (endSample may pass the end
   *   of `signal`: missing samples are zero)
   * @param firstFrame, frameCount integers >= 0
   * @throws ParameterError on a bad range or when `out` is too short
   */
  computeFrames(
    signal: Float32Array,
    startSample: number,
    endSample: number,
    firstFrame: number,
    frameCount: number,
    out: Float32Array,
    outOffset = 0,
  ): void {
    if (!(Number.isInteger(startSample) && Number.isInteger(endSample) && startSample >= 0 && endSample >= startSample)) {
      throw new ParameterError(`computeFrames: need integers 0 <= startSample <= endSample, got ${startSample} and ${endSample}`);
    }
    const bands = this.bandCount;
    if (!(Number.isInteger(firstFrame) && Number.isInteger(frameCount) && firstFrame >= 0 && frameCount >= 0)) {
      throw new ParameterError(`computeFrames: firstFrame and frameCount must be integers >= 0, got ${firstFrame} and ${frameCount}`);
    }
    if (out.length < outOffset + frameCount * bands) {
      throw new ParameterError(`computeFrames: out holds ${out.length} values, ${outOffset + frameCount * bands} needed`);
    }
    const segmentEnd = Math.min(endSample, signal.length);
    const windowSamples = this.windowSamples;
    for (let f = 0; f < frameCount; f++) {
      const base = outOffset + f * bands;
      const windowStart = startSample + (firstFrame + f) * this.hopSamples - this.windowLeadSamples;
      if (windowStart >= segmentEnd || windowStart + windowSamples <= startSample) {
        out.fill(this.silenceValue, base, base + bands);
        continue;
      }
      this.frameAt(signal, windowStart, startSample, segmentEnd, out, base);
    }
  }

  /** One frame whose window starts at `windowStart` (absolute), reading only `[lo, hi)`. */
  private frameAt(signal: Float32Array, windowStart: number, lo: number, hi: number, out: Float32Array, base: number): void {
    const frame = this.frame;
    const window = this.window;
    const windowSamples = this.windowSamples;
    // window positions [from, to) read the segment; the rest (and the FFT's zero padding) is zero
    const from = windowStart < lo ? lo - windowStart : 0;
    const to = windowStart + windowSamples > hi ? hi - windowStart : windowSamples;
    // the unwindowed samples (zero outside the segment); the FFT engine windows them in its own buffers
    if (from > 0) frame.fill(0, 0, from);
    frame.set(signal.subarray(windowStart + from, windowStart + to), from);
    if (to < windowSamples) frame.fill(0, to, windowSamples);
    // |X_k| straight from the engine's buffers (PFFFT computes in float32 anyway), squared for power
    const magnitude = this.magnitude;
    this.fft.windowedAmplitude(frame, window, magnitude);
    const log = this.config.log;
    const melLogs = this.melLogs;
    if (melLogs !== null) {
      // ln / log10 (mel + offset) rounded to float32 as `out` stores them (see `band-logs.ts`)
      if (log.kind === "ln") melLogs.ln(1, log.offset, out, base);
      else melLogs.log10(1, log.offset, out, base);
      return;
    }
    const mel = this.mel;
    if (this.config.mel.power === 2) applyMelFilterBankToSquares(this.bank, magnitude, mel);
    else applyMelFilterBank(this.bank, magnitude, mel);
    const bands = this.bandCount;
    for (let m = 0; m < bands; m++) out[base + m] = logCompress(mel[m]!, log);
  }
}
