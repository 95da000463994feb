import { describe, expect, it } from "vitest";
import { createBarkBandLimits } from "../../../../src/core/analysis/descriptors/bark-bands.js";
import { createChromaFilterBank, CHROMA_WEIGHT_FLOOR } from "../../../../src/core/analysis/descriptors/chroma-filter-bank.js";
import { createDctMatrix } from "../../../../src/core/analysis/descriptors/dct-matrix.js";
import { createMelFilterBank } from "../../../../src/core/analysis/descriptors/mel-filter-bank.js";
import { packFilterBank, type SparseFilterBank } from "../../../../src/core/analysis/descriptors/sparse-filter-bank.js";
import { ParameterError } from "../../../../src/core/errors.js";
import { Meyda, meydaDct, meydaUtilities, seededRandom } from "./meyda-oracle.js";

const CONFIGS = [
  { sampleRateHz: 22050, frameSize: 1024 },
  { sampleRateHz: 44100, frameSize: 2048 },
  { sampleRateHz: 16000, frameSize: 512 },
];

function unpack(bank: SparseFilterBank): Float64Array[] {
  const dense: Float64Array[] = [];
  for (let band = 0; band < bank.bandCount; band++) {
    const row = new Float64Array(bank.binCount);
    for (let e = bank.rowStart[band]!; e < bank.rowStart[band + 1]!; e++) row[bank.bins[e]!] = bank.weights[e]!;
    dense.push(row);
  }
  return dense;
}

describe("createMelFilterBank", () => {
  it("equals meyda's createMelFilterBank(26, ...) weight for weight over the 512 bins meyda reads, zeros not stored", () => {
    for (const { sampleRateHz, frameSize } of CONFIGS) {
      const bank = createMelFilterBank(26, sampleRateHz, frameSize);
      const reference = meydaUtilities.createMelFilterBank(26, sampleRateHz, frameSize);
      const dense = unpack(bank);
      for (let band = 0; band < 26; band++) {
        for (let bin = 0; bin < frameSize / 2; bin++) expect(dense[band]![bin], `${sampleRateHz}/${frameSize} band ${band} bin ${bin}`).toBe(reference[band]![bin]);
      }
      expect(Array.from(bank.weights).every((w) => w !== 0)).toBe(true);
    }
  });
});

describe("createChromaFilterBank", () => {
  it("equals meyda's createChromaFilterBank(12, ...) within CHROMA_WEIGHT_FLOOR and keeps every larger weight exactly", () => {
    for (const { sampleRateHz, frameSize } of CONFIGS) {
      const bank = createChromaFilterBank(sampleRateHz, frameSize);
      const reference = meydaUtilities.createChromaFilterBank(12, sampleRateHz, frameSize);
      const dense = unpack(bank);
      for (let cls = 0; cls < 12; cls++) {
        for (let bin = 0; bin < frameSize / 2; bin++) {
          const expected = reference[cls]![bin]!;
          if (expected > CHROMA_WEIGHT_FLOOR) expect(dense[cls]![bin], `${sampleRateHz} class ${cls} bin ${bin}`).toBe(expected);
          else expect(dense[cls]![bin]).toBe(0);
        }
      }
    }
  });

  it("stores under a sixth of the 12 x 512 cells at 22.05 kHz / 1024", () => {
    expect(createChromaFilterBank(22050, 1024).weights.length).toBeLessThan((12 * 512) / 6);
  });
});

describe("createBarkBandLimits", () => {
  it("puts every bin in the same Bark band as meyda's loudness (probed with single-bin spectra)", () => {
    for (const { sampleRateHz, frameSize } of CONFIGS) {
      const limits = createBarkBandLimits(sampleRateHz, frameSize);
      const barkScale = meydaUtilities.createBarkScale(frameSize, sampleRateHz, frameSize);
      const loudness = (Meyda.featureExtractors as Record<string, (a: object) => { specific: Float32Array }>)["loudness"]!;
      const binCount = frameSize / 2;
      for (let bin = 0; bin < binCount; bin++) {
        const amplitude = new Float32Array(binCount);
        amplitude[bin] = 1;
        const meydaBand = loudness({ ampSpectrum: amplitude, barkScale }).specific.findIndex((v) => v > 0);
        let ourBand = -1;
        for (let band = 0; band < 24; band++) if (bin >= limits[band]! && bin < limits[band + 1]!) ourBand = band;
        expect(ourBand, `${sampleRateHz}/${frameSize} bin ${bin}`).toBe(meydaBand);
      }
    }
  });
});

describe("createDctMatrix", () => {
  it("reproduces the dct package (meyda's MFCC DCT-II, factor 2) to 1e-12", () => {
    const random = seededRandom(11);
    const x = Array.from({ length: 26 }, () => 10 * random());
    const expected = meydaDct(x).slice(0, 13);
    const matrix = createDctMatrix(26, 13);
    for (let k = 0; k < 13; k++) {
      let sum = 0;
      for (let n = 0; n < 26; n++) sum += matrix[k * 26 + n]! * x[n]!;
      expect(Math.abs(sum - expected[k]!), `coefficient ${k}`).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected[k]!)));
    }
  });

  it("throws ParameterError for more outputs than inputs", () => {
    expect(() => createDctMatrix(4, 5)).toThrow(ParameterError);
  });
});

describe("packFilterBank", () => {
  it("keeps the non-zero weights above the floor with their bins, row by row", () => {
    const bank = packFilterBank([[0, 2, 0, 3], [1e-12, 0, 5, 0]], 4, 1e-9);
    expect(Array.from(bank.rowStart)).toEqual([0, 2, 3]);
    expect(Array.from(bank.bins)).toEqual([1, 3, 2]);
    expect(Array.from(bank.weights)).toEqual([2, 3, 5]);
  });
});

describe("packFilterBank contiguity", () => {
  it("marks banks whose bands have no holes (mel) as contiguous, and the chroma bank as not", () => {
    expect(createMelFilterBank(26, 22050, 1024).contiguous).toBe(true);
    expect(createChromaFilterBank(22050, 1024).contiguous).toBe(false);
    expect(packFilterBank([[0, 1, 0, 1]], 4).contiguous).toBe(false);
    expect(packFilterBank([[0, 1, 1, 0], [1, 0, 0, 0]], 4).contiguous).toBe(true);
  });
});
