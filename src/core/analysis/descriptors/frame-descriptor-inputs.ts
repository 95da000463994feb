/**
 * The named inputs every per-frame descriptor reads: the frame, its spectrum (computed once per frame) and
 * the precomputed tables. Each descriptor function declares the subset it needs; the extractor keeps one
 * instance and only swaps `signal` / `amplitude` and refills `amplitudeTotal` per frame, so no call creates an
 * object.
 */
import { ParameterError } from "../../errors.js";
import { amplitudeSum } from "./amplitude-sum.js";
import { MFCC_COUNT } from "../frame-features.js";
import { createBarkBandLimits } from "./bark-bands.js";
import { createChromaFilterBank } from "./chroma-filter-bank.js";
import { createDctMatrix } from "./dct-matrix.js";
import { createMelFilterBank, MEL_BAND_COUNT } from "./mel-filter-bank.js";
import type { SparseFilterBank } from "./sparse-filter-bank.js";

export interface FrameDescriptorInputs {
  /** The unwindowed frame, `frameSizeSamples` values, full scale = 1. */
  signal: Float32Array;
  /** |FFT| of the hann-windowed frame (meyda "hanning"), bins `0 .. frameSizeSamples / 2 - 1` (no Nyquist bin). */
  amplitude: Float32Array;
  /** `amplitudeSum(amplitude)`: the summed amplitude, shared by the descriptors that normalise by it. */
  amplitudeTotal: number;
  /** `amplitude` of the previous frame; all zeros before the first frame of a file. */
  readonly previousAmplitude: Float32Array;
  readonly sampleRateHz: number;
  readonly frameSizeSamples: number;
  /** Spacing of the spectrum bins: `sampleRateHz / frameSizeSamples`. */
  readonly binHz: number;
  /** `BARK_BAND_COUNT + 1` bin limits (see `createBarkBandLimits`). */
  readonly barkBandLimits: Int32Array;
  /** Meyda's 26-band mel bank. */
  readonly melBank: SparseFilterBank;
  /** Scratch for the log mel energies, `melBank.bandCount` values. */
  readonly melEnergies: Float64Array;
  /** `MFCC_COUNT x melBank.bandCount` DCT-II matrix (see `createDctMatrix`). */
  readonly dctMatrix: Float64Array;
  /** Meyda's 12-class chroma bank. */
  readonly chromaBank: SparseFilterBank;
}

/**
 * Precomputes the tables for one sample rate and frame size; `signal`, `amplitude` and
 * `previousAmplitude` start as zeros. Allocates: call once per extractor.
 * @param sampleRateHz > 0.
 * @param frameSizeSamples a power of two >= 64.
 * @throws ParameterError on a bad argument.
 */
export function createFrameDescriptorInputs(sampleRateHz: number, frameSizeSamples: number): FrameDescriptorInputs {
  if (!(sampleRateHz > 0) || !Number.isFinite(sampleRateHz)) throw new ParameterError(`sampleRateHz must be a finite number > 0, got ${sampleRateHz}`);
  if (!Number.isInteger(frameSizeSamples) || frameSizeSamples < 64 || (frameSizeSamples & (frameSizeSamples - 1)) !== 0)
    throw new ParameterError(`frameSizeSamples must be a power of two >= 64, got ${frameSizeSamples}`);
  const binCount = frameSizeSamples / 2;
  const tables = sharedTables(sampleRateHz, frameSizeSamples);
  return {
    signal: new Float32Array(frameSizeSamples),
    amplitude: new Float32Array(binCount),
    amplitudeTotal: 0,
    previousAmplitude: new Float32Array(binCount),
    sampleRateHz,
    frameSizeSamples,
    binHz: sampleRateHz / frameSizeSamples,
    barkBandLimits: tables.barkBandLimits,
    melBank: tables.melBank,
    melEnergies: new Float64Array(MEL_BAND_COUNT),
    dctMatrix: tables.dctMatrix,
    chromaBank: tables.chromaBank,
  };
}

type SharedTables = Pick<FrameDescriptorInputs, "barkBandLimits" | "melBank" | "dctMatrix" | "chromaBank">;

/**
 * The filter banks depend only on (rate, frame size) and are never written after construction, so every
 * extractor of a thread shares one copy (building the chroma bank alone costs ~70 ms; a corpus has
 * thousands of files).
 */
const TABLE_CACHE = new Map<string, SharedTables>();

function sharedTables(sampleRateHz: number, frameSizeSamples: number): SharedTables {
  const key = `${sampleRateHz}/${frameSizeSamples}`;
  let tables = TABLE_CACHE.get(key);
  if (!tables) {
    tables = {
      barkBandLimits: createBarkBandLimits(sampleRateHz, frameSizeSamples),
      melBank: createMelFilterBank(MEL_BAND_COUNT, sampleRateHz, frameSizeSamples),
      dctMatrix: createDctMatrix(MEL_BAND_COUNT, MFCC_COUNT),
      chromaBank: createChromaFilterBank(sampleRateHz, frameSizeSamples),
    };
    TABLE_CACHE.set(key, tables);
  }
  return tables;
}

/**
 * Fills the per-frame values derived from the spectrum (`amplitudeTotal`) after `inputs.amplitude` was set;
 * call it before the descriptor functions. Allocation-free.
 */
export function updateSpectrumSums(inputs: Pick<FrameDescriptorInputs, "amplitude" | "amplitudeTotal">): void {
  inputs.amplitudeTotal = amplitudeSum(inputs.amplitude);
}
