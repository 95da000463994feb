import { describe, expect, it } from "vitest";
import { createDescriptorSumsKernel, SUM, SUM_COUNT } from "../../../../src/core/analysis/descriptors/descriptor-sums-wasm.js";
import { createFrameDescriptorInputs } from "../../../../src/core/analysis/descriptors/frame-descriptor-inputs.js";
import type { SparseFilterBank } from "../../../../src/core/analysis/descriptors/sparse-filter-bank.js";
import { zeroCrossings } from "../../../../src/core/analysis/descriptors/zero-crossings.js";
import { seededRandom } from "../../../helpers/signals.js";

/**
 * The accumulators of `amplitudeSum`, `spectralCentroidHz`, `spectralSpreadHz`, `spectralFlux` and `rmsDb`,
 * exactly as those functions run them (four partial sums by index mod 4; two by index mod 2), in `SUM` order.
 */
function reference(amplitude: Float32Array, previous: Float32Array, signal: Float32Array): number[] {
  const s = [0, 0, 0, 0];
  const e = [0, 0];
  const w = [0, 0];
  const q = [0, 0];
  const r = [0, 0];
  const t = [0, 0, 0, 0];
  for (let k = 0; k < amplitude.length; k++) {
    const a = amplitude[k]!;
    const lane = k % 2;
    s[k % 4] = s[k % 4]! + a;
    e[lane] = e[lane]! + a;
    const ka = k * a;
    w[lane] = w[lane]! + ka;
    q[lane] = q[lane]! + k * ka;
    const d = a - previous[k]!;
    r[lane] = r[lane]! + (d + Math.abs(d));
  }
  for (let i = 0; i < signal.length; i++) t[i % 4] = t[i % 4]! + signal[i]! * signal[i]!;
  return [...s, ...e, ...w, ...q, ...r, ...t];
}

describe("descriptor sums kernel", () => {
  it("gives every partial sum bit for bit as the descriptors' own accumulators, and their zero crossings, frame after frame", () => {
    const kernel = createDescriptorSumsKernel(512, 1024)!;
    expect(kernel).not.toBeNull();
    const random = seededRandom(3);
    let previous = new Float32Array(512);
    for (let frame = 0; frame < 50; frame++) {
      const scale = [0, 1e-30, 1, 300, 1e20][frame % 5]!;
      const amplitude = Float32Array.from({ length: 512 }, (_, k) => (scale * random() * random()) / (1 + k / 30));
      // signs flipping at random, zeros and negative zeros included
      const signal = Float32Array.from({ length: 1024 }, (_, i) => (i % 97 === 0 ? (i % 2 ? -0 : 0) : scale * (random() - 0.5)));
      kernel.spectrum.set(amplitude);
      kernel.runSpectrum();
      kernel.signal.set(signal);
      expect(kernel.runSignal()).toBe(zeroCrossings({ signal }));
      const wanted = reference(amplitude, previous, signal);
      for (let i = 0; i < SUM_COUNT; i++) {
        if (!Object.is(kernel.sums[i], wanted[i])) throw new Error(`frame ${frame} sum ${i}: ${kernel.sums[i]} != ${wanted[i]}`);
      }
      previous = amplitude;
      if (frame === 20) {
        kernel.resetPrevious();
        previous = new Float32Array(512);
      }
    }
    expect(SUM.squares4 + 4).toBe(SUM_COUNT);
  });

  it("sums the mel (squared) and chroma banks band by band in the steps of mfcc and chroma: entry pairs in two lanes, an odd last entry in the first", () => {
    const { melBank, chromaBank } = createFrameDescriptorInputs(22050, 1024);
    const kernel = createDescriptorSumsKernel(512, 1024, [
      { bank: melBank, square: true },
      { bank: chromaBank, square: false },
    ])!;
    const bandSums = (bank: SparseFilterBank, x: Float32Array, square: boolean): number[] =>
      Array.from({ length: bank.bandCount }, (_, band) => {
        let first = 0;
        let second = 0;
        let e = bank.rowStart[band]!;
        const end = bank.rowStart[band + 1]!;
        const term = (entry: number): number => {
          const v = x[bank.bins[entry]!]!;
          return bank.weights[entry]! * (square ? v * v : v);
        };
        for (; e + 1 < end; e += 2) {
          first += term(e);
          second += term(e + 1);
        }
        if (e < end) first += term(e);
        return first + second;
      });
    const random = seededRandom(9);
    for (let frame = 0; frame < 20; frame++) {
      const x = Float32Array.from({ length: 512 }, (_, k) => ([1e-6, 1, 1e4][frame % 3]! * random()) / (1 + k / 40));
      kernel.spectrum.set(x);
      kernel.runBanks();
      const wanted = [bandSums(melBank, x, true), bandSums(chromaBank, x, false)];
      wanted.forEach((sums, bank) =>
        sums.forEach((sum, band) => {
          if (!Object.is(kernel.bankSums[bank]![band], sum)) throw new Error(`frame ${frame} bank ${bank} band ${band}`);
        }),
      );
    }
    // both banks have bands of odd length (the single last entry is exercised)
    for (const bank of [melBank, chromaBank]) {
      expect(Array.from({ length: bank.bandCount }, (_, b) => (bank.rowStart[b + 1]! - bank.rowStart[b]!) % 2).includes(1)).toBe(true);
    }
  });

  it("counts the crossings of a known signal: alternating signs, and none in a constant one", () => {
    const kernel = createDescriptorSumsKernel(4, 16)!;
    kernel.signal.set(Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? -1 : 1)));
    expect(kernel.runSignal()).toBe(15);
    kernel.signal.fill(-2);
    expect(kernel.runSignal()).toBe(0);
    kernel.signal.set([1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, -1]);
    expect(kernel.runSignal()).toBe(3);
  });

  it("is not made for sizes it cannot run (not multiples of 4)", () => {
    expect(createDescriptorSumsKernel(510, 1024)).toBeNull();
    expect(createDescriptorSumsKernel(512, 1022)).toBeNull();
    expect(createDescriptorSumsKernel(0, 1024)).toBeNull();
  });
});
