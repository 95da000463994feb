/**
 * Fills the descriptor part of a frame row (`FRAME.rmsDb .. chroma11`) from one frame and its amplitude
 * spectrum, calling each function of `DESCRIPTOR_TABLE` once (a test checks the two agree). Tables (mel and
 * chroma banks stored sparsely, Bark limits, DCT matrix) are built in the constructor; `process` creates no
 * objects or arrays. (V8 boxes the double returned by a scalar descriptor it does not inline: ~60 bytes of
 * young-generation garbage per frame, measured with --trace-gc; scavenging it costs ~0.1 % of the frame time.)
 */
import { ParameterError } from "../../errors.js";
import { CHROMA_COUNT, FRAME } from "../frame-features.js";
import { chroma } from "./chroma.js";
import { createFrameDescriptorInputs, updateSpectrumSums, type FrameDescriptorInputs } from "./frame-descriptor-inputs.js";
import { loudness } from "./loudness.js";
import { mfcc } from "./mfcc.js";
import { rmsDb } from "./rms-db.js";
import { spectralCentroidHz } from "./spectral-centroid.js";
import { spectralFlatness } from "./spectral-flatness.js";
import { spectralFlux } from "./spectral-flux.js";
import { spectralRolloffHz } from "./spectral-rolloff.js";
import { spectralSpreadHz } from "./spectral-spread.js";
import { zeroCrossings } from "./zero-crossings.js";

/** Row slots this extractor writes: `FRAME.rmsDb` up to and including the last chroma. */
export const DESCRIPTOR_ROW_LENGTH = FRAME.chroma0 + CHROMA_COUNT;

/** The per-frame descriptor stage of the analysis: one instance per stream, `reset()` between files. */
export class FrameDescriptorExtractor {
  readonly sampleRateHz: number;
  readonly frameSizeSamples: number;
  /** Bins of the amplitude spectrum `process` expects: `frameSizeSamples / 2`. */
  readonly binCount: number;
  private readonly inputs: FrameDescriptorInputs;

  /**
   * @param sampleRateHz rate of the frames, > 0 (the analysis uses 22050).
   * @param frameSizeSamples frame length, a power of two >= 64 (the analysis uses 1024).
   * @throws ParameterError on a bad argument.
   */
  constructor(sampleRateHz: number, frameSizeSamples: number) {
    this.inputs = createFrameDescriptorInputs(sampleRateHz, frameSizeSamples);
    this.sampleRateHz = sampleRateHz;
    this.frameSizeSamples = frameSizeSamples;
    this.binCount = frameSizeSamples / 2;
  }

  /**
   * Writes `row[offset + FRAME.rmsDb] .. row[offset + FRAME.chroma0 + 11]` (see `DESCRIPTOR_TABLE`); leaves
   * f0Midi / pitchConfidence untouched. Keeps a copy of `amplitude` for the next frame's flux.
   * @param signal the unwindowed frame, exactly `frameSizeSamples` values.
   * @param amplitude |FFT| of the hann-windowed frame (meyda "hanning"), `frameSizeSamples / 2` bins, no Nyquist bin.
   * @param row the frame-row storage; `offset + DESCRIPTOR_ROW_LENGTH <= row.length`.
   * @throws ParameterError if a length does not fit.
   */
  process(signal: Float32Array, amplitude: Float32Array, row: Float32Array, offset: number): void {
    if (signal.length !== this.frameSizeSamples || amplitude.length !== this.binCount) {
      throw new ParameterError(
        `FrameDescriptorExtractor.process: expected a ${this.frameSizeSamples}-sample frame and ${this.binCount} bins, ` +
          `got ${signal.length} and ${amplitude.length}`,
      );
    }
    if (!(offset >= 0) || offset + DESCRIPTOR_ROW_LENGTH > row.length) {
      throw new ParameterError(`FrameDescriptorExtractor.process: row offset ${offset} + ${DESCRIPTOR_ROW_LENGTH} exceeds row length ${row.length}`);
    }
    const inputs = this.inputs;
    inputs.signal = signal;
    inputs.amplitude = amplitude;
    updateSpectrumSums(inputs);
    row[offset + FRAME.rmsDb] = rmsDb(inputs);
    row[offset + FRAME.loudness] = loudness(inputs);
    row[offset + FRAME.centroidHz] = spectralCentroidHz(inputs);
    row[offset + FRAME.spreadHz] = spectralSpreadHz(inputs);
    row[offset + FRAME.flatness] = spectralFlatness(inputs);
    row[offset + FRAME.rolloffHz] = spectralRolloffHz(inputs);
    row[offset + FRAME.flux] = spectralFlux(inputs);
    row[offset + FRAME.zcr] = zeroCrossings(inputs);
    mfcc(inputs, row, offset + FRAME.mfcc0);
    chroma(inputs, row, offset + FRAME.chroma0);
    inputs.previousAmplitude.set(amplitude);
  }

  /** Forgets the previous frame (call at the start of a new file): the next frame's flux is against silence. */
  reset(): void {
    this.inputs.previousAmplitude.fill(0);
  }
}
