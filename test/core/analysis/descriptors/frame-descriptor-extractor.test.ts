import { beforeAll, describe, expect, it } from "vitest";
import { FRAME, FRAME_FEATURE_COUNT, MFCC_COUNT, CHROMA_COUNT } from "../../../../src/core/analysis/frame-features.js";
import { DESCRIPTOR_ROW_LENGTH, FrameDescriptorExtractor } from "../../../../src/core/analysis/descriptors/frame-descriptor-extractor.js";
import { DESCRIPTOR_NAMES, DESCRIPTOR_TABLE } from "../../../../src/core/analysis/descriptors/descriptor-table.js";
import { createFrameDescriptorInputs, updateSpectrumSums } from "../../../../src/core/analysis/descriptors/frame-descriptor-inputs.js";
import { frameFeatureIndex } from "../../../../src/core/analysis/frame-features.js";
import { ParameterError } from "../../../../src/core/errors.js";
import { amplitudeOf, BIN_COUNT, BIN_HZ, corpusSignal, FRAME_SIZE, Meyda, SAMPLE_RATE_HZ, sines, whiteNoise } from "./meyda-oracle.js";

/**
 * Tolerance: |ours - meyda| <= REL * max(|meyda|, floor). Floors (the absolute part, for values near 0):
 * Hz descriptors 100 Hz (-> 0.1 Hz, 1/200 of a bin), loudness 0.01, flatness 0.01 (-> 1e-5 of its [0, 1]
 * range), rms 1e-6 (-120 dBFS); MFCC and chroma 1 % of the frame's largest |coefficient|.
 */
const REL = 1e-3;
const FLOOR = { rms: 1e-6, loudness: 0.01, hz: 100, flatness: 0.01, vectorFraction: 0.01 } as const;

interface Reference {
  rms: number;
  zcr: number;
  loudness: number;
  centroidHz: number;
  spreadHz: number;
  flatness: number;
  /** In OUR bin-to-Hz convention (see below). */
  rolloffHz: number;
  mfcc: number[];
  chroma: number[];
  amplitudeSpectrum: Float32Array;
}

/** Meyda's values for one frame, in our row's units. */
function meydaReference(frame: Float32Array): Reference {
  const f = Meyda.extract(
    ["amplitudeSpectrum", "loudness", "spectralCentroid", "spectralSpread", "spectralFlatness", "spectralRolloff", "mfcc", "chroma"],
    frame,
  )!;
  // meyda converts the rolloff bin with sampleRate / (2 (N - 1)), N = 512 bins; we use sampleRate / 1024.
  const meydaRolloffBinHz = SAMPLE_RATE_HZ / (2 * (BIN_COUNT - 1));
  // rms and zcr: meyda's own extractors on the UNWINDOWED frame (Meyda.extract feeds them the windowed frame).
  const extractors = Meyda.featureExtractors as Record<string, (args: { signal: Float32Array }) => number>;
  return {
    rms: extractors["rms"]!({ signal: frame }),
    zcr: extractors["zcr"]!({ signal: frame }),
    loudness: f.loudness!.total,
    centroidHz: f.spectralCentroid! * BIN_HZ,
    spreadHz: f.spectralSpread! * BIN_HZ,
    flatness: f.spectralFlatness!,
    rolloffHz: (f.spectralRolloff! / meydaRolloffBinHz) * BIN_HZ,
    mfcc: f.mfcc!,
    chroma: f.chroma!,
    amplitudeSpectrum: f.amplitudeSpectrum!,
  };
}

function extract(frame: Float32Array, amplitude: Float32Array): Float32Array {
  const extractor = new FrameDescriptorExtractor(SAMPLE_RATE_HZ, FRAME_SIZE);
  const row = new Float32Array(FRAME_FEATURE_COUNT);
  extractor.process(frame, amplitude, row, 0);
  return row;
}

function expectClose(actual: number, expected: number, floor: number, rel: number, label: string): void {
  const tolerance = rel * Math.max(Math.abs(expected), floor);
  expect(Math.abs(actual - expected), `${label}: ours ${actual}, meyda ${expected}`).toBeLessThanOrEqual(tolerance);
}

function expectRowMatches(row: Float32Array, ref: Reference, rel: number, name: string): void {
  expectClose(Math.pow(10, row[FRAME.rmsDb]! / 20), ref.rms, FLOOR.rms, rel, `${name} rms`);
  expect(row[FRAME.zcr], `${name} zcr`).toBe(ref.zcr);
  expectClose(row[FRAME.loudness]!, ref.loudness, FLOOR.loudness, rel, `${name} loudness`);
  expectClose(row[FRAME.centroidHz]!, ref.centroidHz, FLOOR.hz, rel, `${name} centroidHz`);
  expectClose(row[FRAME.spreadHz]!, ref.spreadHz, FLOOR.hz, rel, `${name} spreadHz`);
  expectClose(row[FRAME.flatness]!, ref.flatness, FLOOR.flatness, rel, `${name} flatness`);
  // The rolloff is a bin index times binHz: same bin, exactly.
  expect(row[FRAME.rolloffHz]! / BIN_HZ, `${name} rolloff bin`).toBeCloseTo(ref.rolloffHz / BIN_HZ, 6);
  const mfccFloor = FLOOR.vectorFraction * Math.max(...ref.mfcc.map(Math.abs));
  ref.mfcc.forEach((v, i) => expectClose(row[FRAME.mfcc0 + i]!, v, mfccFloor, rel, `${name} mfcc${i}`));
  const chromaFloor = FLOOR.vectorFraction * Math.max(...ref.chroma.map(Math.abs));
  ref.chroma.forEach((v, i) => expectClose(row[FRAME.chroma0 + i]!, v, chromaFloor, rel, `${name} chroma${i}`));
}

const frames: Record<string, Float32Array> = {
  "sine 1000 Hz": sines([{ hz: 1000, amplitude: 0.5 }]),
  "sine on bin 40 (861.3 Hz)": sines([{ hz: 40 * BIN_HZ, amplitude: 0.9 }]),
  "two tones 440 + 3000 Hz": sines([
    { hz: 440, amplitude: 0.4 },
    { hz: 3000, amplitude: 0.2, phase: 1 },
  ]),
  "white noise (seed 1)": whiteNoise(1, 0.3),
  "quiet white noise (-100 dBFS)": whiteNoise(2, 1e-5),
};

beforeAll(async () => {
  const piano = await corpusSignal("ambi_piano.flac");
  const snare = await corpusSignal("drum_snare_hard.flac");
  const choir = await corpusSignal("ambi_choir.flac");
  const bass = await corpusSignal("bass_hard_c.flac");
  frames["ambi_piano.flac @ 0.45 s"] = piano.slice(10000, 10000 + FRAME_SIZE);
  frames["drum_snare_hard.flac attack"] = snare.slice(0, FRAME_SIZE);
  frames["drum_snare_hard.flac tail"] = snare.slice(6000, 6000 + FRAME_SIZE);
  frames["ambi_choir.flac @ 1 s"] = choir.slice(22050, 22050 + FRAME_SIZE);
  frames["bass_hard_c.flac @ 0.1 s"] = bass.slice(2205, 2205 + FRAME_SIZE);
});

describe("FrameDescriptorExtractor against meyda 5.6.3 (bufferSize 1024, 22050 Hz, hanning, 13 MFCCs)", () => {
  it("equals meyda within 1e-5 on meyda's own amplitude spectrum (same definitions; both round to float32) for every test frame", () => {
    for (const [name, frame] of Object.entries(frames)) {
      const ref = meydaReference(frame);
      expectRowMatches(extract(frame, ref.amplitudeSpectrum), ref, 1e-5, name);
    }
  });

  it("equals meyda within 1e-3 end to end (our hann window + RealFft amplitude) for every test frame", () => {
    for (const [name, frame] of Object.entries(frames)) {
      expectRowMatches(extract(frame, amplitudeOf(frame)), meydaReference(frame), REL, name);
    }
  });

  it("reads meyda's windowed rms 4.26 dB lower than our unwindowed rmsDb on steady noise (documented divergence)", () => {
    const frame = whiteNoise(3, 0.5);
    const windowedRms = Meyda.extract("rms", frame) as unknown as number;
    const row = extract(frame, amplitudeOf(frame));
    // Hann power gain: mean(w^2) = 3/8 -> 10 log10(3/8) = -4.26 dB (noise: within ~0.3 dB on one frame).
    expect(row[FRAME.rmsDb]! - 20 * Math.log10(windowedRms)).toBeCloseTo(4.26, 0);
  });
});

describe("FrameDescriptorExtractor row contract", () => {
  it("writes exactly what each DESCRIPTOR_TABLE function returns, at the table's row names", () => {
    const frame = frames["ambi_piano.flac @ 0.45 s"]!;
    const previous = frames["drum_snare_hard.flac tail"]!;
    const extractor = new FrameDescriptorExtractor(SAMPLE_RATE_HZ, FRAME_SIZE);
    const row = new Float32Array(FRAME_FEATURE_COUNT);
    extractor.process(previous, amplitudeOf(previous), row, 0);
    extractor.process(frame, amplitudeOf(frame), row, 0);

    const inputs = createFrameDescriptorInputs(SAMPLE_RATE_HZ, FRAME_SIZE);
    inputs.previousAmplitude.set(amplitudeOf(previous));
    inputs.signal = frame;
    inputs.amplitude = amplitudeOf(frame);
    updateSpectrumSums(inputs);
    for (const name of DESCRIPTOR_NAMES) {
      const spec = DESCRIPTOR_TABLE[name];
      const expected = new Float32Array(spec.rows.length);
      if (spec.kind === "scalar") expected[0] = spec.fn(inputs);
      else spec.fn(inputs, expected, 0);
      spec.rows.forEach((rowName, i) => expect(row[frameFeatureIndex(rowName)], `${name} -> ${rowName}`).toBe(expected[i]));
    }
  });

  it("writes the same rows bit for bit with its WebAssembly sums and with the descriptors' own loops, frame after frame", () => {
    const accelerated = new FrameDescriptorExtractor(SAMPLE_RATE_HZ, FRAME_SIZE);
    const plain = new FrameDescriptorExtractor(SAMPLE_RATE_HZ, FRAME_SIZE, { wasm: false });
    expect(accelerated.accelerated).toBe(true);
    expect(plain.accelerated).toBe(false);
    const a = new Float32Array(FRAME_FEATURE_COUNT);
    const b = new Float32Array(FRAME_FEATURE_COUNT);
    const sequence = [...Object.values(frames), new Float32Array(FRAME_SIZE), ...Object.values(frames).reverse()];
    sequence.forEach((frame, i) => {
      if (i === 5) {
        accelerated.reset();
        plain.reset();
      }
      const amplitude = amplitudeOf(frame);
      accelerated.process(frame, amplitude, a, 0);
      plain.process(frame, amplitude, b, 0);
      for (let k = 0; k < DESCRIPTOR_ROW_LENGTH; k++) expect(Object.is(a[k], b[k]), `frame ${i} slot ${k}: ${a[k]} vs ${b[k]}`).toBe(true);
    });
  });

  it("writes at the offset, leaves f0Midi / pitchConfidence and the neighbouring rows untouched", () => {
    const frame = frames["white noise (seed 1)"]!;
    const rows = new Float32Array(3 * FRAME_FEATURE_COUNT).fill(7);
    new FrameDescriptorExtractor(SAMPLE_RATE_HZ, FRAME_SIZE).process(frame, amplitudeOf(frame), rows, FRAME_FEATURE_COUNT);
    const single = extract(frame, amplitudeOf(frame));
    for (let i = 0; i < DESCRIPTOR_ROW_LENGTH; i++) expect(rows[FRAME_FEATURE_COUNT + i]).toBe(single[i]);
    expect(rows[FRAME_FEATURE_COUNT + FRAME.f0Midi]).toBe(7);
    expect(rows[FRAME_FEATURE_COUNT + FRAME.pitchConfidence]).toBe(7);
    expect(rows.subarray(0, FRAME_FEATURE_COUNT).every((v) => v === 7)).toBe(true);
    expect(rows.subarray(2 * FRAME_FEATURE_COUNT).every((v) => v === 7)).toBe(true);
    expect(DESCRIPTOR_ROW_LENGTH).toBe(8 + MFCC_COUNT + CHROMA_COUNT);
  });

  it("gives defined values on digital silence: -120 dB and zeros, no NaN (meyda: NaN centroid/spread/flatness)", () => {
    const silence = new Float32Array(FRAME_SIZE);
    const row = extract(silence, amplitudeOf(silence));
    expect(row[FRAME.rmsDb]).toBe(-120);
    for (let i = FRAME.loudness; i < DESCRIPTOR_ROW_LENGTH; i++) expect(row[i], `slot ${i}`).toBe(0);
    const meyda = Meyda.extract(["spectralCentroid", "spectralFlatness"], silence)!;
    expect(Number.isNaN(meyda.spectralCentroid)).toBe(true);
  });

  it("measures flux against the previous frame and against silence after reset()", () => {
    const tone = sines([{ hz: 1000, amplitude: 0.5 }]);
    const amplitude = amplitudeOf(tone);
    const extractor = new FrameDescriptorExtractor(SAMPLE_RATE_HZ, FRAME_SIZE);
    const row = new Float32Array(FRAME_FEATURE_COUNT);
    extractor.process(tone, amplitude, row, 0);
    expect(row[FRAME.flux]).toBeCloseTo(1, 6); // first frame: everything is new
    extractor.process(tone, amplitude, row, 0);
    expect(row[FRAME.flux]).toBe(0); // same spectrum again
    extractor.reset();
    extractor.process(tone, amplitude, row, 0);
    expect(row[FRAME.flux]).toBeCloseTo(1, 6);
  });

  it("throws ParameterError on a wrong frame, spectrum or row size, and on a bad construction", () => {
    const extractor = new FrameDescriptorExtractor(SAMPLE_RATE_HZ, FRAME_SIZE);
    const frame = new Float32Array(FRAME_SIZE);
    const amplitude = new Float32Array(BIN_COUNT);
    const row = new Float32Array(FRAME_FEATURE_COUNT);
    expect(() => extractor.process(new Float32Array(512), amplitude, row, 0)).toThrow(ParameterError);
    expect(() => extractor.process(frame, new Float32Array(BIN_COUNT + 1), row, 0)).toThrow(ParameterError);
    expect(() => extractor.process(frame, amplitude, row, FRAME_FEATURE_COUNT - DESCRIPTOR_ROW_LENGTH + 1)).toThrow(ParameterError);
    expect(() => extractor.process(frame, amplitude, row, -1)).toThrow(ParameterError);
    expect(() => new FrameDescriptorExtractor(SAMPLE_RATE_HZ, 1000)).toThrow(ParameterError);
    expect(() => new FrameDescriptorExtractor(0, FRAME_SIZE)).toThrow(ParameterError);
  });
});
