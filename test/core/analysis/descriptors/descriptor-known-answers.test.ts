import { describe, expect, it } from "vitest";
import { chroma } from "../../../../src/core/analysis/descriptors/chroma.js";
import { createFrameDescriptorInputs, updateSpectrumSums, type FrameDescriptorInputs } from "../../../../src/core/analysis/descriptors/frame-descriptor-inputs.js";
import { loudness } from "../../../../src/core/analysis/descriptors/loudness.js";
import { mfcc } from "../../../../src/core/analysis/descriptors/mfcc.js";
import { rmsDb } from "../../../../src/core/analysis/descriptors/rms-db.js";
import { spectralCentroidHz } from "../../../../src/core/analysis/descriptors/spectral-centroid.js";
import { spectralFlatness } from "../../../../src/core/analysis/descriptors/spectral-flatness.js";
import { spectralRolloffHz } from "../../../../src/core/analysis/descriptors/spectral-rolloff.js";
import { spectralSpreadHz } from "../../../../src/core/analysis/descriptors/spectral-spread.js";
import type { SparseFilterBank } from "../../../../src/core/analysis/descriptors/sparse-filter-bank.js";
import { zeroCrossings } from "../../../../src/core/analysis/descriptors/zero-crossings.js";
import { amplitudeOf, BIN_COUNT, BIN_HZ, FRAME_SIZE, SAMPLE_RATE_HZ, sines, whiteNoise } from "./meyda-oracle.js";

const shared = createFrameDescriptorInputs(SAMPLE_RATE_HZ, FRAME_SIZE);

/** Inputs for one frame (our front end), sharing the precomputed tables. */
function inputsFor(frame: Float32Array, amplitude = amplitudeOf(frame)): FrameDescriptorInputs {
  const inputs: FrameDescriptorInputs = { ...shared, signal: frame, amplitude, amplitudeTotal: 0 };
  updateSpectrumSums(inputs);
  return inputs;
}

const binCentredSines = [10, 40, 200, 450].map((bin) => ({ bin, frame: sines([{ hz: bin * BIN_HZ, amplitude: 1 }]) }));

describe("rmsDb", () => {
  it("reads -3.0103 dBFS for a full-scale sine with whole cycles and -9.031 dB at half scale", () => {
    expect(rmsDb(inputsFor(sines([{ hz: 40 * BIN_HZ, amplitude: 1 }])))).toBeCloseTo(-3.0103, 3);
    expect(rmsDb(inputsFor(sines([{ hz: 40 * BIN_HZ, amplitude: 0.5 }])))).toBeCloseTo(-9.0309, 3);
  });

  it("reads 0 dB for full-scale DC and the -120 dB floor for silence and for -140 dB signals", () => {
    expect(rmsDb(inputsFor(new Float32Array(FRAME_SIZE).fill(1)))).toBe(0);
    expect(rmsDb(inputsFor(new Float32Array(FRAME_SIZE)))).toBe(-120);
    expect(rmsDb(inputsFor(new Float32Array(FRAME_SIZE).fill(1e-7)))).toBe(-120);
  });
});

describe("zeroCrossings", () => {
  it("counts 2 crossings per cycle of a sine, N - 1 for an alternating signal and 0 for silence or DC", () => {
    // 40 cycles in 1024 samples, starting at sin(0) = 0 (counted as positive): 79 sign changes.
    expect(zeroCrossings(inputsFor(sines([{ hz: 40 * BIN_HZ, amplitude: 1 }])))).toBe(79);
    const alternating = Float32Array.from({ length: FRAME_SIZE }, (_, i) => (i % 2 === 0 ? 1 : -1));
    expect(zeroCrossings(inputsFor(alternating))).toBe(FRAME_SIZE - 1);
    expect(zeroCrossings(inputsFor(new Float32Array(FRAME_SIZE)))).toBe(0);
    expect(zeroCrossings(inputsFor(new Float32Array(FRAME_SIZE).fill(-0.3)))).toBe(0);
  });

  it("counts zero as positive (meyda): 0 -> negative is a crossing, 0 -> positive is not", () => {
    const frame = new Float32Array(FRAME_SIZE);
    frame[1] = -1; // 0 -> -1 -> 0: two crossings
    frame[5] = 1; // 0 -> 1 -> 0: none
    expect(zeroCrossings(inputsFor(frame))).toBe(2);
  });
});

describe("spectralCentroidHz / spectralSpreadHz / spectralRolloffHz", () => {
  it("puts the centroid of a bin-centred sine on its frequency within 0.1 Hz", () => {
    for (const { bin, frame } of binCentredSines) expect(Math.abs(spectralCentroidHz(inputsFor(frame)) - bin * BIN_HZ), `bin ${bin}`).toBeLessThan(0.1);
  });

  it("gives a bin-centred sine the hann main-lobe spread (0.71 bin for lobe 1/4, 1/2, 1/4) within 0.25 bin", () => {
    for (const { bin, frame } of binCentredSines) {
      expect(Math.abs(spectralSpreadHz(inputsFor(frame)) / BIN_HZ - Math.SQRT1_2), `bin ${bin}`).toBeLessThan(0.25);
    }
  });

  it("puts the 99 % rolloff of a bin-centred sine one bin above it (the upper main-lobe bin holds ~25 %)", () => {
    for (const { bin, frame } of binCentredSines) expect(spectralRolloffHz(inputsFor(frame)), `bin ${bin}`).toBeCloseTo((bin + 1) * BIN_HZ, 6);
  });

  it("puts uniform white noise's centroid near Nyquist / 2 and its rolloff near Nyquist", () => {
    const inputs = inputsFor(whiteNoise(5, 0.5));
    expect(spectralCentroidHz(inputs)).toBeGreaterThan(0.47 * (SAMPLE_RATE_HZ / 2));
    expect(spectralCentroidHz(inputs)).toBeLessThan(0.53 * (SAMPLE_RATE_HZ / 2));
    expect(spectralRolloffHz(inputs)).toBeGreaterThan(0.97 * (SAMPLE_RATE_HZ / 2));
  });

  it("reads 0 Hz on an all-zero spectrum (meyda: NaN, NaN, ~Nyquist)", () => {
    const inputs = inputsFor(new Float32Array(FRAME_SIZE), new Float32Array(BIN_COUNT));
    expect(spectralCentroidHz(inputs)).toBe(0);
    expect(spectralSpreadHz(inputs)).toBe(0);
    expect(spectralRolloffHz(inputs)).toBe(0);
  });

  it("gives a single-bin spectrum zero spread and puts centroid and rolloff on that bin", () => {
    const amplitude = new Float32Array(BIN_COUNT);
    amplitude[123] = 2;
    const inputs = inputsFor(new Float32Array(FRAME_SIZE), amplitude);
    expect(spectralSpreadHz(inputs)).toBe(0);
    expect(spectralCentroidHz(inputs)).toBeCloseTo(123 * BIN_HZ, 9);
    expect(spectralRolloffHz(inputs)).toBeCloseTo(123 * BIN_HZ, 9);
  });
});

describe("spectralFlatness", () => {
  it("is exactly 1 for a flat spectrum at any level", () => {
    for (const level of [1e-6, 1, 300]) {
      const inputs = inputsFor(new Float32Array(FRAME_SIZE), new Float32Array(BIN_COUNT).fill(level));
      expect(spectralFlatness(inputs)).toBeCloseTo(1, 12);
    }
  });

  it("is ~0.845 for white noise (Rayleigh amplitudes: 2 e^(-gamma/2) / sqrt(pi)) and < 1e-4 for a sine", () => {
    for (const seed of [1, 2, 3, 4]) expect(spectralFlatness(inputsFor(whiteNoise(seed, 0.5))), `seed ${seed}`).toBeCloseTo(0.845, 1);
    expect(spectralFlatness(inputsFor(sines([{ hz: 1000, amplitude: 0.5 }])))).toBeLessThan(1e-4);
  });

  it("is 0 when one bin is exactly 0 (ln 0 = -Infinity, as meyda) and 0, not NaN, on silence", () => {
    const amplitude = new Float32Array(BIN_COUNT).fill(1);
    amplitude[77] = 0;
    expect(spectralFlatness(inputsFor(new Float32Array(FRAME_SIZE), amplitude))).toBe(0);
    expect(spectralFlatness(inputsFor(new Float32Array(FRAME_SIZE), new Float32Array(BIN_COUNT)))).toBe(0);
  });

  it("equals the direct formula exp(mean ln a) / mean a on spectra spanning 1e-30 .. 500, and where 16-bin products underflow", () => {
    const spread = Float32Array.from({ length: BIN_COUNT }, (_, k) => Math.pow(10, -30 + (32.7 * ((k * 7919) % BIN_COUNT)) / BIN_COUNT));
    // Bins 0..31 at 1e-30 of the others: their 16-bin products (1e-480) underflow, so the per-bin path must take over.
    const deepHole = Float32Array.from({ length: BIN_COUNT }, (_, k) => (k < 32 ? 1e-30 : 1));
    for (const amplitude of [spread, deepHole]) {
      let logSum = 0;
      let sum = 0;
      for (const a of amplitude) {
        logSum += Math.log(a);
        sum += a;
      }
      const direct = Math.exp(logSum / BIN_COUNT) / (sum / BIN_COUNT);
      expect(direct).toBeGreaterThan(0);
      expect(spectralFlatness(inputsFor(new Float32Array(FRAME_SIZE), amplitude)) / direct).toBeCloseTo(1, 10);
    }
  });
});

describe("loudness", () => {
  it("is 0 on silence and scales by g^0.23 when the spectrum scales by g", () => {
    expect(loudness(inputsFor(new Float32Array(FRAME_SIZE), new Float32Array(BIN_COUNT)))).toBe(0);
    const amplitude = amplitudeOf(whiteNoise(6, 0.1));
    const doubled = amplitude.map((a) => 2 * a);
    const ratio = loudness(inputsFor(new Float32Array(FRAME_SIZE), doubled)) / loudness(inputsFor(new Float32Array(FRAME_SIZE), amplitude));
    expect(ratio).toBeCloseTo(Math.pow(2, 0.23), 10);
  });
});

describe("mfcc", () => {
  it("is all 0 on silence and has mfcc0 = 2 * sum of the 26 log mel energies (>= 0)", () => {
    const out = new Float32Array(13).fill(9);
    mfcc(inputsFor(new Float32Array(FRAME_SIZE), new Float32Array(BIN_COUNT)), out, 0);
    expect(Array.from(out)).toEqual(new Array(13).fill(0));
    const inputs = inputsFor(whiteNoise(7, 0.3));
    mfcc(inputs, out, 0);
    const logMelSum = inputs.melEnergies.reduce((s, v) => s + v, 0);
    expect(out[0]! / (2 * logMelSum)).toBeCloseTo(1, 6);
    expect(out[0]).toBeGreaterThan(0);
  });
});

/** A band's weighted sum as the descriptors define it: entries in order, alternating between two sums. */
function pairedBandSum(bank: SparseFilterBank, band: number, value: (bin: number) => number): number {
  let sum0 = 0;
  let sum1 = 0;
  for (let entry = bank.rowStart[band]!; entry < bank.rowStart[band + 1]!; entry++) {
    const term = bank.weights[entry]! * value(bank.bins[entry]!);
    if ((entry - bank.rowStart[band]!) % 2 === 0) sum0 += term;
    else sum1 += term;
  }
  return sum0 + sum1;
}

describe("mfcc and chroma band sums (two bands at a time, contiguous bins read without the index)", () => {
  it("equal the plain per-band sums bit for bit, on both mfcc paths", () => {
    const inputs = inputsFor(whiteNoise(5, 0.4));
    const { amplitude, melBank, chromaBank } = inputs;
    const out = new Float32Array(13);
    mfcc(inputs, out, 0);
    const contiguousEnergies = Array.from(inputs.melEnergies);
    for (let band = 0; band < melBank.bandCount; band++) {
      expect(contiguousEnergies[band]).toBe(Math.log1p(pairedBandSum(melBank, band, (bin) => amplitude[bin]! * amplitude[bin]!)));
    }
    const indexed = new Float32Array(13);
    mfcc({ ...inputs, melBank: { ...melBank, contiguous: false } }, indexed, 0);
    expect(Array.from(indexed)).toEqual(Array.from(out));
    expect(Array.from(inputs.melEnergies)).toEqual(contiguousEnergies);

    const classes = new Float32Array(12);
    chroma(inputs, classes, 0);
    const sums = Array.from({ length: 12 }, (_, band) => pairedBandSum(chromaBank, band, (bin) => amplitude[bin]!));
    const peak = Math.fround(Math.max(...sums));
    sums.forEach((sum, band) => expect(classes[band]).toBe(Math.fround(Math.fround(sum) / peak)));
  });
});

describe("zeroCrossings, four samples per step", () => {
  it("counts exactly what a one-sample loop counts, zeros and -0 included, for every length mod 4", () => {
    const frame = whiteNoise(9, 0.5);
    for (let i = 0; i < frame.length; i += 37) frame[i] = i % 2 === 0 ? 0 : -0;
    for (const length of [1024, 1023, 1022, 1021, 5, 2, 1]) {
      const signal = frame.subarray(0, length);
      let expected = 0;
      for (let i = 1; i < length; i++) expected += +(signal[i]! < 0) ^ +(signal[i - 1]! < 0);
      expect(zeroCrossings({ signal }), `length ${length}`).toBe(expected);
    }
  });
});

describe("chroma", () => {
  it("puts a sine's pitch class at 1 and every other class below it (A4, A6 -> class 9; C4, C5 -> class 0)", () => {
    const cases = [
      { hz: 440, pitchClass: 9 },
      { hz: 1760, pitchClass: 9 },
      { hz: 261.63, pitchClass: 0 },
      { hz: 523.25, pitchClass: 0 },
    ];
    for (const { hz, pitchClass } of cases) {
      const out = new Float32Array(12);
      chroma(inputsFor(sines([{ hz, amplitude: 0.5 }])), out, 0);
      expect(out[pitchClass], `${hz} Hz`).toBe(1);
      out.forEach((v, i) => {
        if (i !== pitchClass) expect(v, `${hz} Hz class ${i}`).toBeLessThan(0.9);
      });
    }
  });

  it("is all 0 on silence", () => {
    const out = new Float32Array(12).fill(9);
    chroma(inputsFor(new Float32Array(FRAME_SIZE), new Float32Array(BIN_COUNT)), out, 0);
    expect(Array.from(out)).toEqual(new Array(12).fill(0));
  });
});
