/**
 * Every per-frame descriptor, once: its function, the frame-row names it fills, unit, range and meaning.
 * The extractor, the docs and the tests read this table, so they cannot drift from each other or from
 * `FRAME_FEATURES` (a test checks that the rows here are exactly the frame row minus the pitch pair,
 * which the YIN tracker fills). Ranges are for the analysis front end (`ANALYSIS_RATE_HZ`,
 * `FRAME_SIZE_SAMPLES`) and samples in [-1, 1].
 */
import { ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES } from "../analysis-config.js";
import { CHROMA_COUNT, MFCC_COUNT, type FrameFeatureName } from "../frame-features.js";
import { chroma } from "./chroma.js";
import type { FrameDescriptorInputs } from "./frame-descriptor-inputs.js";
import { loudness } from "./loudness.js";
import { mfcc } from "./mfcc.js";
import { rmsDb } from "./rms-db.js";
import { spectralCentroidHz } from "./spectral-centroid.js";
import { spectralFlatness } from "./spectral-flatness.js";
import { spectralFlux } from "./spectral-flux.js";
import { spectralRolloffHz } from "./spectral-rolloff.js";
import { spectralSpreadHz } from "./spectral-spread.js";
import { zeroCrossings } from "./zero-crossings.js";

/** Descriptor names, in frame-row order. */
export type DescriptorName =
  | "rmsDb"
  | "loudness"
  | "centroidHz"
  | "spreadHz"
  | "flatness"
  | "rolloffHz"
  | "flux"
  | "zcr"
  | "mfcc"
  | "chroma";

/** Frame-row features this table fills; the rest of the row (f0Midi, pitchConfidence) is the pitch tracker's. */
export type SpectralFrameFeatureName = Exclude<FrameFeatureName, "f0Midi" | "pitchConfidence">;

interface DescriptorSpecBase {
  /** Frame-row names written, in row order (one for a scalar). */
  readonly rows: readonly SpectralFrameFeatureName[];
  readonly unit: string;
  /** Inclusive [min, max] of every value (±Infinity: unbounded). */
  readonly range: readonly [min: number, max: number];
  /** One line: what it measures and how, for the descriptor cards. */
  readonly doc: string;
}

/** A descriptor that is one number per frame. */
export interface ScalarDescriptorSpec extends DescriptorSpecBase {
  readonly kind: "scalar";
  readonly fn: (inputs: FrameDescriptorInputs) => number;
}

/** A descriptor that writes `rows.length` numbers per frame into `out[outOffset ..]`. */
export interface VectorDescriptorSpec extends DescriptorSpecBase {
  readonly kind: "vector";
  readonly fn: (inputs: FrameDescriptorInputs, out: Float32Array, outOffset: number) => void;
}

export type DescriptorSpec = ScalarDescriptorSpec | VectorDescriptorSpec;

const NYQUIST_HZ = ANALYSIS_RATE_HZ / 2;

const MFCC_ROWS = Array.from({ length: MFCC_COUNT }, (_, i) => `mfcc${i}` as SpectralFrameFeatureName);
const CHROMA_ROWS = Array.from({ length: CHROMA_COUNT }, (_, i) => `chroma${i}` as SpectralFrameFeatureName);

export const DESCRIPTOR_TABLE = {
  rmsDb: {
    kind: "scalar",
    fn: rmsDb,
    rows: ["rmsDb"],
    unit: "dBFS",
    range: [-120, 0],
    doc: "Level: 20 log10 of the RMS of the unwindowed frame, floored at -120 dB (full-scale sine: -3 dB).",
  },
  loudness: {
    kind: "scalar",
    fn: loudness,
    rows: ["loudness"],
    unit: "meyda loudness",
    range: [0, Infinity],
    doc: "Perceived level (meyda loudness.total): sum over 24 Bark bands of (band amplitude sum)^0.23.",
  },
  centroidHz: {
    kind: "scalar",
    fn: spectralCentroidHz,
    rows: ["centroidHz"],
    unit: "Hz",
    range: [0, NYQUIST_HZ],
    doc: "Brightness: amplitude-weighted mean frequency of the spectrum (0 on silence).",
  },
  spreadHz: {
    kind: "scalar",
    fn: spectralSpreadHz,
    rows: ["spreadHz"],
    unit: "Hz",
    range: [0, NYQUIST_HZ / 2],
    doc: "Bandwidth: amplitude-weighted standard deviation of frequency around the centroid (0 on silence).",
  },
  flatness: {
    kind: "scalar",
    fn: spectralFlatness,
    rows: ["flatness"],
    unit: "ratio",
    range: [0, 1],
    doc: "Noisiness: geometric over arithmetic mean of the amplitude spectrum; 1 flat noise, ~0 tones (0 on silence).",
  },
  rolloffHz: {
    kind: "scalar",
    fn: spectralRolloffHz,
    rows: ["rolloffHz"],
    unit: "Hz",
    range: [0, NYQUIST_HZ],
    doc: "Upper edge: lowest frequency below which 99 % of the summed amplitude lies (0 on silence).",
  },
  flux: {
    kind: "scalar",
    fn: spectralFlux,
    rows: ["flux"],
    unit: "ratio",
    range: [0, 1],
    doc: "Change: rectified rise of the amplitude spectrum since the previous frame over the current frame's sum (Dixon 2006).",
  },
  zcr: {
    kind: "scalar",
    fn: zeroCrossings,
    rows: ["zcr"],
    unit: "crossings/frame",
    range: [0, FRAME_SIZE_SAMPLES - 1],
    doc: "Sign changes between adjacent samples of the unwindowed frame (meyda zcr).",
  },
  mfcc: {
    kind: "vector",
    fn: mfcc,
    rows: MFCC_ROWS,
    unit: "cepstral (meyda)",
    range: [-Infinity, Infinity],
    doc: "Timbre: meyda MFCCs, DCT-II (x2) of ln(1 + energy) in 26 mel bands of the power spectrum; mfcc0 >= 0 tracks level.",
  },
  chroma: {
    kind: "vector",
    fn: chroma,
    rows: CHROMA_ROWS,
    unit: "ratio to max",
    range: [0, 1],
    doc: "Pitch classes C..B: meyda chroma, spectrum through a 12-class Gaussian bank, divided by the largest class.",
  },
} as const satisfies Record<DescriptorName, DescriptorSpec>;

/** Descriptor names in table (= frame-row) order. */
export const DESCRIPTOR_NAMES = Object.keys(DESCRIPTOR_TABLE) as DescriptorName[];
