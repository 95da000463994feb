/**
 * The streaming unit analyser: mono samples at the analysis rate in, units with descriptor vectors out.
 * One code path for the corpus and for every query or regeneration target (ARCHITECTURE invariant).
 *
 * Per STFT frame: hann window -> FFT amplitude -> SuperFlux novelty, frame descriptors, YIN pitch ->
 * peak picking -> segmentation -> (when a unit closes) summary of its frames into a vector.
 * Memory is bounded by the longest open unit (`maxUnitMs`), not by the length of the file.
 */
import { ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES, HOP_SIZE_SAMPLES } from "./analysis-config.js";
import { resolveAnalysisOptions, type AnalysisOptions } from "./analysis-params.js";
import { FrameDescriptorExtractor } from "./descriptors/frame-descriptor-extractor.js";
import { FRAME, FRAME_FEATURE_COUNT } from "./frame-features.js";
import { RMS_FLOOR_DB } from "./descriptors/rms-db.js";
import { FrameRing } from "./frame-ring.js";
import { DEFAULT_ONSET_PEAK_OPTIONS, OnsetPeakPicker } from "./onset-peaks.js";
import { SuperFluxNovelty } from "./onset-novelty.js";
import { YinPitch } from "./pitch-yin.js";
import { DESCRIPTOR_COUNT } from "./schema.js";
import { Segmenter, type Segment } from "./segmenter.js";
import { UnitAccumulator, summariseFrames } from "./summarise.js";
import { RealFft, type RealFftEngineFactory } from "../dsp/fft.js";
import { StftFramer } from "../dsp/framer.js";
import { hannWindow } from "../dsp/window.js";
import { amplitudeToDb, hzToMidi, samplesToSeconds } from "../dsp/time.js";

/**
 * Descriptors are computed on every 2nd frame (23 ms apart, the common hop for timbre features); the
 * frame between takes the values of the described frame after it (never the one before: a unit that
 * starts there must not inherit the sound before its onset) and keeps its own level. Onsets still use
 * every frame (11.6 ms). This halves the descriptor cost, the largest part of the per-frame budget.
 */
export const DESCRIBE_EVERY_FRAMES = 2;
/** YIN runs on every 4th frame (46 ms at hop 256); pitch is a unit-level summary, so this loses nothing audible. */
export const PITCH_EVERY_FRAMES = 4;
/**
 * Frames flatter than this are noise (white noise ~0.85, tones < 0.1, breathy tones ~0.3) and count as
 * unvoiced without running YIN, which would only report a low-confidence guess there.
 */
export const UNVOICED_FLATNESS = 0.5;

/** A unit as the analyser emits it: boundaries in analysis-rate samples, plus its vector. */
export interface AnalysedSegment {
  /** First sample at the analysis rate. */
  readonly startSample: number;
  /** One past the last sample at the analysis rate. */
  readonly endSample: number;
  readonly silent: boolean;
  /** `DESCRIPTOR_COUNT` values; a fresh array per segment (owned by the receiver). */
  readonly vector: Float32Array;
}

export class UnitAnalyzer {
  readonly options: AnalysisOptions;
  private readonly framer = new StftFramer(FRAME_SIZE_SAMPLES, HOP_SIZE_SAMPLES);
  private readonly window = hannWindow(FRAME_SIZE_SAMPLES);
  private readonly fft: RealFft;
  private readonly descriptors = new FrameDescriptorExtractor(ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES);
  private readonly novelty = new SuperFluxNovelty(ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES, HOP_SIZE_SAMPLES);
  /** Each frame's magnitudes (`SPECTRUM_BINS`), in the buffer the novelty reads them from (no copy per frame). */
  private readonly amplitude = this.novelty.spectrum;
  private readonly pitch: YinPitch;
  private readonly peaks: OnsetPeakPicker;
  private readonly segmenter: Segmenter;
  private readonly ring: FrameRing;
  private readonly accumulator = new UnitAccumulator();
  private readonly hopSec = samplesToSeconds(HOP_SIZE_SAMPLES, ANALYSIS_RATE_HZ);
  private readonly onFrame = (frame: Float32Array, frameIndex: number): void => this.processFrame(frame, frameIndex);
  private emit: (segment: AnalysedSegment) => void;
  private readonly lastDescribed = new Float32Array(FRAME_FEATURE_COUNT);
  private hasDescribed = false;
  private lastF0Midi = 0;
  private lastConfidence = 0;
  private framesSeen = 0;
  private finished = false;

  /**
   * @param emit called for every closed unit, in time order.
   * @param options analysis options (validated; defaults filled).
   * @param fftEngine accelerated FFT (injected at the edge, e.g. PFFFT/WASM); fft.js when absent.
   * @throws ParameterError on bad options.
   */
  constructor(
    emit: (segment: AnalysedSegment) => void,
    options: Partial<AnalysisOptions> = {},
    fftEngine?: RealFftEngineFactory,
  ) {
    this.options = resolveAnalysisOptions(options);
    this.fft = new RealFft(FRAME_SIZE_SAMPLES, fftEngine);
    this.pitch = new YinPitch(FRAME_SIZE_SAMPLES, ANALYSIS_RATE_HZ, { fftEngine });
    this.emit = emit;
    this.peaks = new OnsetPeakPicker(ANALYSIS_RATE_HZ, HOP_SIZE_SAMPLES, {
      threshold: this.options.onsetThreshold,
      minInterOnsetMs: this.options.minInterOnsetMs,
      // the picker's own gate sits 10 dB lower: quiet clicks keep their onsets; the segmenter gates units
      silenceGateDb: Math.min(this.options.silenceGateDb, DEFAULT_ONSET_PEAK_OPTIONS.silenceGateDb),
    });
    this.segmenter = new Segmenter(ANALYSIS_RATE_HZ, HOP_SIZE_SAMPLES, {
      mode: this.options.segment,
      gridMs: this.options.gridMs,
      gridOverlap: this.options.gridOverlap,
      minUnitMs: this.options.minUnitMs,
      maxUnitMs: this.options.maxUnitMs,
      silenceGateDb: this.options.silenceGateDb,
      keepSilent: this.options.keepSilent,
    });
    const framesPerSec = ANALYSIS_RATE_HZ / HOP_SIZE_SAMPLES;
    const maxUnitFrames = Math.ceil((this.options.maxUnitMs / 1000) * framesPerSec);
    const minUnitFrames = Math.ceil((this.options.minUnitMs / 1000) * framesPerSec);
    // the segmenter may look back 2 x max + 2 x min unit lengths; the ring grows beyond this if needed
    this.ring = new FrameRing(Math.min(1 << 16, 2 * maxUnitFrames + 2 * minUnitFrames + 64));
  }

  /**
   * Readies the analyser for a new stream with the same options, keeping its buffers and tables: the
   * units of the next stream are exactly those a new analyser would emit (allocating them per file was a
   * visible part of analysing short files).
   * @param emit receiver of the next stream's units (default: the current one).
   */
  reset(emit: (segment: AnalysedSegment) => void = this.emit): void {
    this.emit = emit;
    this.framer.reset();
    this.descriptors.reset();
    this.novelty.reset();
    this.peaks.reset();
    this.segmenter.reset();
    this.ring.reset();
    this.lastDescribed.fill(0);
    this.hasDescribed = false;
    this.lastF0Midi = 0;
    this.lastConfidence = 0;
    this.framesSeen = 0;
    this.finished = false;
  }

  /** Samples pushed so far (analysis rate). */
  get samplesPushed(): number {
    return this.framer.samplesPushed;
  }

  /** Rows held for open units (for memory tests). */
  get bufferedFrames(): number {
    return this.ring.frameEnd - this.ring.oldestFrame;
  }

  /** Pushes `length` mono samples at the analysis rate. */
  push(samples: Float32Array, length = samples.length): void {
    if (this.finished) throw new Error("UnitAnalyzer: push after finish");
    this.framer.push(samples, length, this.onFrame);
  }

  /** End of stream: analyses the zero-padded tail and closes every open unit. */
  finish(): void {
    if (this.finished) return;
    this.framer.flush(this.onFrame);
    const totalSamples = this.framer.samplesPushed;
    const remaining = this.peaks.flush();
    this.emitSegments(this.segmenter.finish(this.framesSeen, remaining, totalSamples), totalSamples);
    this.finished = true;
  }

  private processFrame(frame: Float32Array, frameIndex: number): void {
    this.fft.windowedAmplitude(frame, this.window, this.amplitude);
    const offset = this.ring.append();
    const row = this.ring.values;
    let rmsDb: number;
    if (frameIndex % DESCRIBE_EVERY_FRAMES === DESCRIBE_EVERY_FRAMES - 1) {
      this.descriptors.process(frame, this.amplitude, row, offset);
      rmsDb = row[offset + FRAME.rmsDb]!;
      this.describePitch(frame, frameIndex, rmsDb, row[offset + FRAME.flatness]!);
      row[offset + FRAME.f0Midi] = this.lastF0Midi;
      row[offset + FRAME.pitchConfidence] = this.lastConfidence;
      for (let f = frameIndex - DESCRIBE_EVERY_FRAMES + 1; f < frameIndex; f++) {
        if (f >= this.ring.oldestFrame) this.copyDescribed(offset, this.ring.offsetOf(f));
      }
      const lastDescribed = this.lastDescribed;
      for (let i = 0; i < FRAME_FEATURE_COUNT; i++) lastDescribed[i] = row[offset + i]!;
      this.hasDescribed = true;
    } else {
      let energy = 0;
      for (let i = 0; i < FRAME_SIZE_SAMPLES; i++) energy += frame[i]! * frame[i]!;
      rmsDb = amplitudeToDb(Math.sqrt(energy / FRAME_SIZE_SAMPLES), RMS_FLOOR_DB);
      // provisional values (grid cells may close on this frame): overwritten when the next frame is described
      if (this.hasDescribed) row.set(this.lastDescribed, offset);
      else row.fill(0, offset, offset + FRAME_FEATURE_COUNT);
      row[offset + FRAME.rmsDb] = rmsDb;
    }
    const novelty = this.novelty.process(this.amplitude);
    const onsetFrame = this.peaks.push(novelty, rmsDb, frameIndex);
    this.framesSeen = frameIndex + 1;
    this.emitSegments(this.segmenter.push(frameIndex, novelty, rmsDb, onsetFrame), Infinity);
    this.ring.dropBefore(this.segmenter.oldestNeededFrame);
  }

  private describePitch(frame: Float32Array, frameIndex: number, rmsDb: number, flatness: number): void {
    if (rmsDb <= this.options.silenceGateDb || flatness > UNVOICED_FLATNESS) {
      this.lastF0Midi = 0;
      this.lastConfidence = 0;
    } else if (frameIndex % PITCH_EVERY_FRAMES === PITCH_EVERY_FRAMES - 1) {
      this.pitch.process(frame);
      const f0 = this.pitch.f0Hz;
      this.lastF0Midi = f0 > 0 ? hzToMidi(f0) : 0;
      this.lastConfidence = f0 > 0 ? this.pitch.confidence : 0;
    }
  }

  /** Copies every value of a described row except the level into another row. */
  private copyDescribed(fromOffset: number, toOffset: number): void {
    const values = this.ring.values;
    for (let i = 0; i < FRAME_FEATURE_COUNT; i++) {
      if (i !== FRAME.rmsDb) values[toOffset + i] = values[fromOffset + i]!;
    }
  }

  private emitSegments(segments: readonly Segment[], totalSamples: number): void {
    for (const segment of segments) {
      const startSample = segment.startFrame * HOP_SIZE_SAMPLES;
      const endSample = Math.min(segment.endFrame * HOP_SIZE_SAMPLES, totalSamples);
      if (endSample <= startSample) continue;
      const vector = new Float32Array(DESCRIPTOR_COUNT);
      const lastFrame = Math.min(segment.endFrame, this.ring.frameEnd);
      summariseFrames(
        this.ring,
        Math.max(segment.startFrame, this.ring.oldestFrame),
        lastFrame,
        this.accumulator,
        vector,
        this.hopSec,
        samplesToSeconds(endSample - startSample, ANALYSIS_RATE_HZ),
      );
      this.emit({ startSample, endSample, silent: segment.silent, vector });
    }
  }
}
