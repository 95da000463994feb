/**
 * Fills the descriptor part of a frame row (`FRAME.rmsDb .. chroma11`) from one frame and its amplitude
 * spectrum, calling each function of `DESCRIPTOR_TABLE` once (a test checks the two agree). Tables (mel and
 * chroma banks stored sparsely, Bark limits, DCT matrix) are built in the constructor; `process` creates no
 * objects or arrays. (V8 boxes the double returned by a scalar descriptor it does not inline: ~60 bytes of
 * young-generation garbage per frame, measured with --trace-gc; scavenging it costs ~0.1 % of the frame time.)
 */
import { ParameterError } from "../../errors.js";
import { CHROMA_COUNT, FRAME } from "../frame-features.js";
import { chroma, normaliseChroma } from "./chroma.js";
import { createFrameDescriptorInputs, updateSpectrumSums, type FrameDescriptorInputs } from "./frame-descriptor-inputs.js";
import { loudness } from "./loudness.js";
import { mfcc, mfccFromLogEnergies } from "./mfcc.js";
import { rmsDb, rmsDbFromSquares } from "./rms-db.js";
import { centroidFromSums, spectralCentroidHz } from "./spectral-centroid.js";
import { spectralFlatness } from "./spectral-flatness.js";
import { fluxFromSums, spectralFlux } from "./spectral-flux.js";
import { spectralRolloffHz } from "./spectral-rolloff.js";
import { spectralSpreadHz, spreadFromSums } from "./spectral-spread.js";
import { createDescriptorSumsKernel, SUM, type DescriptorSumsKernel } from "./descriptor-sums-wasm.js";
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
  /** The descriptors' sums in WebAssembly (the same values), or null: the descriptors' own loops then. */
  private readonly sums: DescriptorSumsKernel | null;

  /**
   * @param sampleRateHz rate of the frames, > 0 (the analysis uses 22050).
   * @param frameSizeSamples frame length, a power of two >= 64 (the analysis uses 1024).
   * @param options `wasm: false` keeps every descriptor's own JavaScript loop (default: the spectrum sums in
   *   WebAssembly where available; the same values).
   * @throws ParameterError on a bad argument.
   */
  constructor(sampleRateHz: number, frameSizeSamples: number, options: { readonly wasm?: boolean } = {}) {
    this.inputs = createFrameDescriptorInputs(sampleRateHz, frameSizeSamples);
    this.sampleRateHz = sampleRateHz;
    this.frameSizeSamples = frameSizeSamples;
    this.binCount = frameSizeSamples / 2;
    const banks = [
      { bank: this.inputs.melBank, square: true },
      { bank: this.inputs.chromaBank, square: false },
    ];
    this.sums = options.wasm === false ? null : createDescriptorSumsKernel(this.binCount, frameSizeSamples, banks);
  }

  /** True when the descriptors' sums run in WebAssembly. */
  get accelerated(): boolean {
    return this.sums !== null;
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
    const kernel = this.sums;
    if (kernel !== null) {
      // the sums of amplitudeSum, centroid, spread, flux, rmsDb and zeroCrossings in two WebAssembly passes (the same values)
      kernel.spectrum.set(amplitude);
      kernel.runSpectrum();
      kernel.signal.set(signal);
      row[offset + FRAME.zcr] = kernel.runSignal();
      const s = kernel.sums;
      inputs.amplitudeTotal = s[SUM.amplitude4]! + s[SUM.amplitude4 + 1]! + (s[SUM.amplitude4 + 2]! + s[SUM.amplitude4 + 3]!);
      const sum = s[SUM.amplitude2]! + s[SUM.amplitude2 + 1]!;
      const first = s[SUM.first]! + s[SUM.first + 1]!;
      const binHz = inputs.binHz;
      row[offset + FRAME.centroidHz] = centroidFromSums(sum, first, binHz);
      row[offset + FRAME.spreadHz] = spreadFromSums(sum, first, s[SUM.second]! + s[SUM.second + 1]!, binHz);
      row[offset + FRAME.flux] = fluxFromSums(sum, s[SUM.rise]! + s[SUM.rise + 1]!);
      row[offset + FRAME.rmsDb] = rmsDbFromSquares(s[SUM.squares4]! + s[SUM.squares4 + 1]! + (s[SUM.squares4 + 2]! + s[SUM.squares4 + 3]!), this.frameSizeSamples);
    } else {
      updateSpectrumSums(inputs);
      row[offset + FRAME.centroidHz] = spectralCentroidHz(inputs);
      row[offset + FRAME.spreadHz] = spectralSpreadHz(inputs);
      row[offset + FRAME.flux] = spectralFlux(inputs);
      row[offset + FRAME.rmsDb] = rmsDb(inputs);
      row[offset + FRAME.zcr] = zeroCrossings(inputs);
    }
    row[offset + FRAME.loudness] = loudness(inputs);
    row[offset + FRAME.flatness] = spectralFlatness(inputs);
    row[offset + FRAME.rolloffHz] = spectralRolloffHz(inputs);
    if (kernel !== null) {
      // the mel and chroma band sums in one WebAssembly pass (the same values); the rest as in mfcc / chroma
      kernel.runBanks();
      const melSums = kernel.bankSums[0]!;
      const energies = inputs.melEnergies;
      const melBands = melSums.length;
      for (let b = 0; b < melBands; b++) energies[b] = Math.log1p(melSums[b]!);
      mfccFromLogEnergies(energies, melBands, inputs.dctMatrix, row, offset + FRAME.mfcc0);
      const chromaSums = kernel.bankSums[1]!;
      const chromaOffset = offset + FRAME.chroma0;
      let max = 0;
      for (let b = 0; b < chromaSums.length; b++) {
        const sum = chromaSums[b]!;
        row[chromaOffset + b] = sum;
        if (sum > max) max = sum;
      }
      normaliseChroma(row, chromaOffset, chromaSums.length, max);
    } else {
      mfcc(inputs, row, offset + FRAME.mfcc0);
      chroma(inputs, row, offset + FRAME.chroma0);
    }
    inputs.previousAmplitude.set(amplitude);
  }

  /** Forgets the previous frame (call at the start of a new file): the next frame's flux is against silence. */
  reset(): void {
    this.inputs.previousAmplitude.fill(0);
    this.sums?.resetPrevious();
  }
}
