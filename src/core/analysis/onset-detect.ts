/**
 * Offline onset detection (resample -> frames -> Hann -> |FFT| -> SuperFlux -> peak picking), the same
 * per-frame code path as the streaming corpus analysis, plus the F-measure used to evaluate it.
 */
import { ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES, HOP_SIZE_SAMPLES, SPECTRUM_BINS } from "./analysis-config.js";
import { OnsetPeakPicker, type OnsetPeakOptions } from "./onset-peaks.js";
import { SuperFluxNovelty, onsetFrameToSample, type SuperFluxOptions } from "./onset-novelty.js";
import { ParameterError } from "../errors.js";
import { RealFft, type RealFftEngineFactory } from "../dsp/fft.js";
import { StftFramer } from "../dsp/framer.js";
import { amplitudeToDb, samplesToSeconds } from "../dsp/time.js";
import { applyWindow, hannWindow } from "../dsp/window.js";
import { resampleAll } from "../dsp/resample.js";

/** Per-frame onset analysis of a whole signal at the analysis rate. */
export interface OnsetAnalysis {
  /** SuperFlux novelty, one value per STFT frame. */
  readonly novelty: Float32Array;
  /** Frame RMS in dBFS (of the unwindowed frame), one value per STFT frame. */
  readonly rmsDb: Float32Array;
  /** Onset frame indices, increasing. */
  readonly onsetFrames: readonly number[];
  /** Delay of the peak picker in frames. */
  readonly delayFrames: number;
}

/**
 * Novelty, levels and onset frames of a mono signal already at `ANALYSIS_RATE_HZ`, framed exactly like
 * the streaming analysis (`StftFramer`, frame `i` = samples `[i * hop, i * hop + frameSize)`).
 * @param mono samples at 22.05 kHz, nominally in [-1, 1]
 * @throws ParameterError when an option is out of range
 */
export function analyseOnsets(
  mono: Float32Array,
  options: Partial<OnsetPeakOptions> = {},
  noveltyOptions: Partial<SuperFluxOptions> = {},
  fftEngine?: RealFftEngineFactory,
): OnsetAnalysis {
  const framer = new StftFramer(FRAME_SIZE_SAMPLES, HOP_SIZE_SAMPLES);
  const fft = new RealFft(FRAME_SIZE_SAMPLES, fftEngine);
  const window = hannWindow(FRAME_SIZE_SAMPLES);
  const windowed = new Float32Array(FRAME_SIZE_SAMPLES);
  const amplitude = new Float32Array(SPECTRUM_BINS);
  const superFlux = new SuperFluxNovelty(ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES, HOP_SIZE_SAMPLES, noveltyOptions);
  const picker = new OnsetPeakPicker(ANALYSIS_RATE_HZ, HOP_SIZE_SAMPLES, options);
  const frameCount =
    mono.length === 0 ? 0 : Math.max(1, Math.ceil((mono.length - FRAME_SIZE_SAMPLES) / HOP_SIZE_SAMPLES) + 1);
  const novelty = new Float32Array(frameCount);
  const rmsDb = new Float32Array(frameCount);
  const onsetFrames: number[] = [];
  const onFrame = (frame: Float32Array, frameIndex: number): void => {
    let energy = 0;
    for (let i = 0; i < FRAME_SIZE_SAMPLES; i++) energy += frame[i]! * frame[i]!;
    const levelDb = amplitudeToDb(Math.sqrt(energy / FRAME_SIZE_SAMPLES));
    applyWindow(frame, window, windowed);
    fft.amplitude(windowed, amplitude);
    const value = superFlux.process(amplitude);
    novelty[frameIndex] = value;
    rmsDb[frameIndex] = levelDb;
    const onset = picker.push(value, levelDb, frameIndex);
    if (onset >= 0) onsetFrames.push(onset);
  };
  framer.push(mono, mono.length, onFrame);
  framer.flush(onFrame);
  for (const onset of picker.flush()) onsetFrames.push(onset);
  return { novelty, rmsDb, onsetFrames, delayFrames: picker.delayFrames };
}

/**
 * Onset times of a mono signal.
 * @param mono samples at `sampleRateHz`, nominally in [-1, 1]
 * @param sampleRateHz rate of `mono` (Hz); resampled to the 22.05 kHz analysis rate when different
 * @param options peak-picking options (defaults: `DEFAULT_ONSET_PEAK_OPTIONS`)
 * @param fftEngine accelerated FFT injected at the edge (fft.js when absent)
 * @returns onset times in seconds from the first sample, increasing: the estimated start of each attack
 * @throws ParameterError on a bad rate or option
 */
export function detectOnsets(
  mono: Float32Array,
  sampleRateHz: number,
  options: Partial<OnsetPeakOptions> = {},
  fftEngine?: RealFftEngineFactory,
): number[] {
  if (!(sampleRateHz > 0)) throw new ParameterError(`detectOnsets: sampleRateHz must be > 0, got ${sampleRateHz}`);
  const signal = sampleRateHz === ANALYSIS_RATE_HZ ? mono : resampleAll(mono, sampleRateHz, ANALYSIS_RATE_HZ);
  const { onsetFrames } = analyseOnsets(signal, options, {}, fftEngine);
  return onsetFrames.map((frame) =>
    Math.max(0, samplesToSeconds(onsetFrameToSample(frame, HOP_SIZE_SAMPLES, FRAME_SIZE_SAMPLES), ANALYSIS_RATE_HZ)),
  );
}

/** Precision, recall and F-measure of detected events against the truth. */
export interface OnsetScore {
  readonly precision: number;
  readonly recall: number;
  readonly f: number;
  /** Matched pairs. */
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** Detected minus true time of every matched pair, in seconds, in truth order. */
  readonly errorsSec: readonly number[];
}

/**
 * Onset F-measure with greedy one-to-one matching (mir_eval style tolerance window): pairs are formed in
 * order of increasing time distance, each detection and each true onset used at most once, only pairs
 * within `toleranceSec`.
 * Conventions: no truth and no detections -> precision = recall = f = 1; otherwise an empty side gives 0.
 * @param detected detected onset times in seconds (any order)
 * @param truth true onset times in seconds (any order)
 * @param toleranceSec maximum |detected - true| of a match, seconds (>= 0), e.g. 0.03 for ±30 ms
 * @throws ParameterError on a negative tolerance
 */
export function onsetFMeasure(detected: readonly number[], truth: readonly number[], toleranceSec: number): OnsetScore {
  if (!(toleranceSec >= 0)) throw new ParameterError(`onsetFMeasure: toleranceSec must be >= 0, got ${toleranceSec}`);
  if (detected.length === 0 && truth.length === 0) {
    return { precision: 1, recall: 1, f: 1, truePositives: 0, falsePositives: 0, falseNegatives: 0, errorsSec: [] };
  }
  const pairs: { d: number; t: number; distance: number }[] = [];
  const sortedTruth = [...truth].sort((a, b) => a - b);
  const sortedDetected = [...detected].sort((a, b) => a - b);
  let first = 0;
  for (let t = 0; t < sortedTruth.length; t++) {
    const time = sortedTruth[t]!;
    while (first < sortedDetected.length && sortedDetected[first]! < time - toleranceSec) first++;
    for (let d = first; d < sortedDetected.length && sortedDetected[d]! <= time + toleranceSec; d++) {
      pairs.push({ d, t, distance: Math.abs(sortedDetected[d]! - time) });
    }
  }
  pairs.sort((a, b) => a.distance - b.distance || a.t - b.t || a.d - b.d);
  const usedDetected = new Uint8Array(sortedDetected.length);
  const matchOfTruth = new Int32Array(sortedTruth.length).fill(-1);
  let truePositives = 0;
  for (const pair of pairs) {
    if (usedDetected[pair.d] || matchOfTruth[pair.t]! >= 0) continue;
    usedDetected[pair.d] = 1;
    matchOfTruth[pair.t] = pair.d;
    truePositives++;
  }
  const errorsSec: number[] = [];
  for (let t = 0; t < sortedTruth.length; t++) {
    const d = matchOfTruth[t]!;
    if (d >= 0) errorsSec.push(sortedDetected[d]! - sortedTruth[t]!);
  }
  const precision = sortedDetected.length === 0 ? 0 : truePositives / sortedDetected.length;
  const recall = sortedTruth.length === 0 ? 0 : truePositives / sortedTruth.length;
  const f = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    precision,
    recall,
    f,
    truePositives,
    falsePositives: sortedDetected.length - truePositives,
    falseNegatives: sortedTruth.length - truePositives,
    errorsSec,
  };
}
