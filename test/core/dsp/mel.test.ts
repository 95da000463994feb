import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyMelFilterBank, applyMelFilterBankToSquares, createMelFilterBank, hzToMel, logCompress, melFrequencies, melToHz } from "../../../src/core/dsp/mel.js";
import { seededRandom } from "../../helpers/signals.js";
import { REPO_ROOT } from "../../helpers/corpus.js";

interface TinyReference {
  logmel: {
    melBank: { rowSums: number[]; argmaxBins: number[]; maxWeights: number[] };
    melBankHtkNoNorm: {
      options: { sampleRateHz: number; fftSize: number; bands: number; fminHz: number; fmaxHz: number };
      rowSums: number[];
      argmaxBins: number[];
    };
  };
}
const tiny = JSON.parse(readFileSync(join(REPO_ROOT, "test/fixtures/embed/tiny-reference.json"), "utf8")) as TinyReference;

/** Dense weight of band m at bin k. */
function weight(bank: ReturnType<typeof createMelFilterBank>, m: number, k: number): number {
  const j = k - bank.firstBin[m]!;
  return j >= 0 && j < bank.binCount[m]! ? bank.weights[bank.offset[m]! + j]! : 0;
}

const DEFAULT_BANK = { sampleRateHz: 22050, fftSize: 1024, bands: 64, fminHz: 30, fmaxHz: 11025, scale: "slaney", norm: "slaney" } as const;

describe("mel scales (librosa hz_to_mel / mel_to_hz)", () => {
  it("Slaney: linear 200/3 Hz per mel below 1 kHz, 27 mels per factor 6.4 above", () => {
    expect(hzToMel(0, "slaney")).toBe(0);
    expect(hzToMel(200 / 3, "slaney")).toBeCloseTo(1, 12);
    expect(hzToMel(1000, "slaney")).toBeCloseTo(15, 12);
    expect(hzToMel(6400, "slaney")).toBeCloseTo(42, 12);
    expect(hzToMel(440, "slaney")).toBeCloseTo(6.6, 12);
  });

  it("HTK: 2595 log10(1 + f/700)", () => {
    expect(hzToMel(700, "htk")).toBeCloseTo(2595 * Math.log10(2), 10);
    expect(hzToMel(1000, "htk")).toBeCloseTo(999.98554, 4);
  });

  it("mel_to_hz inverts hz_to_mel on both scales", () => {
    for (const scale of ["slaney", "htk"] as const) {
      for (const f of [0, 30, 440, 999, 1000, 1001, 4000, 11025, 22050]) expect(melToHz(hzToMel(f, scale), scale)).toBeCloseTo(f, 8);
    }
  });

  it("mel_frequencies are equally spaced in mel and hit both ends exactly", () => {
    const f = melFrequencies(66, 30, 11025, "slaney");
    expect(f[0]).toBeCloseTo(30, 10);
    expect(f[65]).toBe(11025);
    const step = hzToMel(f[1]!, "slaney") - hzToMel(f[0]!, "slaney");
    for (let i = 1; i < 66; i++) expect(hzToMel(f[i]!, "slaney") - hzToMel(f[i - 1]!, "slaney")).toBeCloseTo(step, 9);
  });
});

describe("mel filter bank (librosa.filters.mel)", () => {
  const bank = createMelFilterBank(DEFAULT_BANK);

  it("matches the float64 NumPy reference: row sums, peak bins and peak weights", () => {
    const ref = tiny.logmel.melBank;
    for (let m = 0; m < 64; m++) {
      let sum = 0;
      let best = 0;
      let bestK = 0;
      for (let k = 0; k < bank.spectrumBins; k++) {
        const w = weight(bank, m, k);
        sum += w;
        if (w > best) {
          best = w;
          bestK = k;
        }
      }
      expect(sum).toBeCloseTo(ref.rowSums[m]!, 10);
      expect(bestK).toBe(ref.argmaxBins[m]);
      expect(best).toBeCloseTo(ref.maxWeights[m]!, 10);
    }
  });

  it("HTK scale without normalisation (VGGish-like 16 kHz, 512-point) matches the reference", () => {
    const ref = tiny.logmel.melBankHtkNoNorm;
    const htk = createMelFilterBank({ ...ref.options, scale: "htk", norm: "none" });
    for (let m = 0; m < ref.options.bands; m++) {
      let sum = 0;
      let best = 0;
      let bestK = 0;
      for (let k = 0; k < htk.spectrumBins; k++) {
        const w = weight(htk, m, k);
        sum += w;
        if (w > best) [best, bestK] = [w, k];
      }
      expect(sum).toBeCloseTo(ref.rowSums[m]!, 10);
      expect(bestK).toBe(ref.argmaxBins[m]);
      expect(best).toBeLessThanOrEqual(1);
    }
  });

  it("each triangle peaks at its centre frequency and is zero outside its neighbours' centres", () => {
    const edges = melFrequencies(66, 30, 11025, "slaney");
    const binHz = 22050 / 1024;
    for (let m = 0; m < 64; m++) {
      expect(bank.centreHz[m]).toBeCloseTo(edges[m + 1]!, 9);
      const firstHz = bank.firstBin[m]! * binHz;
      const lastHz = (bank.firstBin[m]! + bank.binCount[m]! - 1) * binHz;
      expect(firstHz).toBeGreaterThan(edges[m]!);
      expect(lastHz).toBeLessThan(edges[m + 2]!);
    }
  });

  it("Slaney normalisation gives every triangle unit area in Hz (sum of weights x bin width ~ 1 for wide bands)", () => {
    const binHz = 22050 / 1024;
    for (let m = 32; m < 64; m++) {
      // upper bands span many bins, so the Riemann sum is close to the integral
      let sum = 0;
      for (let j = 0; j < bank.binCount[m]!; j++) sum += bank.weights[bank.offset[m]! + j]!;
      expect(sum * binHz).toBeCloseTo(1, 2);
    }
  });

  it("a flat power spectrum of 1 gives each band the sum of its weights", () => {
    const flat = new Float64Array(bank.spectrumBins).fill(1);
    const out = new Float32Array(2 * 64);
    applyMelFilterBank(bank, flat, out, 1, 2);
    for (let m = 0; m < 64; m++) expect(out[1 + 2 * m]).toBeCloseTo(tiny.logmel.melBank.rowSums[m]!, 5);
    expect(out[0]).toBe(0);
  });

  it("rejects fmax above Nyquist and a spectrum shorter than the bank", () => {
    expect(() => createMelFilterBank({ ...DEFAULT_BANK, fmaxHz: 12000 })).toThrow(/fmaxHz/);
    expect(() => applyMelFilterBank(bank, new Float64Array(10), new Float32Array(64))).toThrow(/513/);
  });
});

describe("applyMelFilterBankToSquares", () => {
  it("equals applyMelFilterBank on the stored power spectrum, bit for bit (odd and even band counts)", () => {
    const random = seededRandom(8);
    for (const bands of [64, 13]) {
      const bank = createMelFilterBank({ sampleRateHz: 22050, fftSize: 1024, bands, fminHz: 30, fmaxHz: 11025, scale: "slaney", norm: "slaney" });
      const magnitude = Float32Array.from({ length: 513 }, () => 300 * random() * random());
      const power = Float64Array.from(magnitude, (a) => a * a);
      const expected = new Float64Array(bands);
      const actual = new Float64Array(bands);
      applyMelFilterBank(bank, power, expected);
      applyMelFilterBankToSquares(bank, magnitude, actual);
      expect(Array.from(actual)).toEqual(Array.from(expected));
    }
  });
});

describe("log compression", () => {
  it("ln, log10 and dB (power_to_db with amin = offset)", () => {
    expect(logCompress(0, { kind: "ln", offset: 1e-6 })).toBeCloseTo(Math.log(1e-6), 12);
    expect(logCompress(Math.E - 1e-6, { kind: "ln", offset: 1e-6 })).toBeCloseTo(1, 12);
    expect(logCompress(99.99, { kind: "log10", offset: 0.01 })).toBeCloseTo(2, 12);
    expect(logCompress(100, { kind: "db", offset: 1e-10 })).toBeCloseTo(20, 12);
    expect(logCompress(0, { kind: "db", offset: 1e-10 })).toBeCloseTo(-100, 12);
  });
});
