import { describe, expect, it } from "vitest";
import { BandLogs, type ContiguousBank } from "../../../src/core/dsp/band-logs.js";
import { createBandLogsKernel } from "../../../src/core/dsp/band-logs-wasm.js";
import { FAST_LOG_TABLES } from "../../../src/core/dsp/fast-log.js";
import { ParameterError } from "../../../src/core/errors.js";
import { seededRandom } from "../../helpers/signals.js";

/** A seeded bank of `bands` contiguous bands over `bins` bins: overlapping, of lengths 0 .. 40, float32 weights. */
function randomBank(bands: number, bins: number, seed: number): ContiguousBank {
  const random = seededRandom(seed);
  const starts = new Int32Array(bands);
  const lengths = new Int32Array(bands);
  const offsets = new Int32Array(bands);
  const weights: number[] = [];
  for (let b = 0; b < bands; b++) {
    const length = b % 9 === 4 ? 0 : Math.floor(random() * 40);
    starts[b] = Math.floor(random() * (bins - length));
    lengths[b] = length;
    offsets[b] = weights.length;
    for (let i = 0; i < length; i++) weights.push(Math.fround(random()));
  }
  return { starts, lengths, offsets, weights: Float32Array.from(weights) };
}

/** The plain definition: each band's terms added in bin order, then the logarithm rounded to float32. */
function reference(bank: ContiguousBank, x: Float32Array, square: boolean, alpha: number, beta: number, decimal: boolean): number[] {
  return Array.from(bank.starts, (start, b) => {
    let sum = 0;
    for (let i = 0; i < bank.lengths[b]!; i++) {
      const v = x[start + i]!;
      sum += bank.weights[bank.offsets[b]! + i]! * (square ? v * v : v);
    }
    const arg = alpha * sum + beta;
    return Math.fround(decimal ? Math.log10(arg) : Math.log(arg));
  });
}

describe.each([
  ["WebAssembly", true],
  ["JavaScript", false],
])("BandLogs (%s)", (_, wasm) => {
  it("takes the path it was asked for", () => {
    expect(new BandLogs(randomBank(4, 64, 1), 64, { square: false, wasm }).accelerated).toBe(wasm);
  });

  it("equals the plain per-band sum and Math.fround(Math.log*) bit for bit (odd and even band counts, empty bands, power and magnitude)", () => {
    const random = seededRandom(7);
    for (const [bands, bins] of [
      [125, 512],
      [64, 513],
      [7, 100],
    ] as const) {
      const bank = randomBank(bands, bins, bands);
      for (const square of [false, true]) {
        const logs = new BandLogs(bank, bins, { square, wasm });
        const out = new Float32Array(bands + 5);
        for (let frame = 0; frame < 30; frame++) {
          // silence, tiny, ordinary and huge magnitudes
          const scale = [0, 1e-20, 1, 1e3, 1e30][frame % 5]!;
          for (let k = 0; k < bins; k++) logs.spectrum[k] = scale * random() * random();
          for (const [alpha, beta, decimal] of [
            [30, 1, true],
            [1, 0.001, false],
            [1, 1e-10, true],
          ] as const) {
            if (decimal) logs.log10(alpha, beta, out, 5);
            else logs.ln(alpha, beta, out, 5);
            const wanted = reference(bank, logs.spectrum, square, alpha, beta, decimal);
            for (let b = 0; b < bands; b++) {
              if (!Object.is(out[5 + b], wanted[b])) throw new Error(`band ${b} frame ${frame}: ${out[5 + b]} != ${wanted[b]}`);
            }
          }
        }
      }
    }
  });
});

describe("band logs kernel (WebAssembly)", () => {
  it("sums every band in the steps of the per-band loop: alpha * sum + beta bit for bit, before the logarithm", () => {
    const random = seededRandom(11);
    for (const square of [false, true]) {
      const bank = randomBank(125, 512, 5);
      const kernel = createBandLogsKernel(bank, 512, square, 125, FAST_LOG_TABLES)!;
      for (let frame = 0; frame < 20; frame++) {
        for (let k = 0; k < 512; k++) kernel.spectrum[k] = [1e-3, 1, 1e6][frame % 3]! * random();
        kernel.sums(30, 1);
        for (let b = 0; b < 125; b++) {
          let sum = 0;
          for (let i = 0; i < bank.lengths[b]!; i++) {
            const v = kernel.spectrum[bank.starts[b]! + i]!;
            sum += bank.weights[bank.offsets[b]! + i]! * (square ? v * v : v);
          }
          if (!Object.is(kernel.args[b], 30 * sum + 1)) throw new Error(`band ${b}: ${kernel.args[b]} != ${30 * sum + 1}`);
        }
      }
    }
  });
});

describe("BandLogs", () => {
  it("rejects a band that reaches past the spectrum", () => {
    const bank: ContiguousBank = { starts: [0, 60], lengths: [4, 5], offsets: [0, 4], weights: new Float32Array(9) };
    expect(() => new BandLogs(bank, 64, { square: false })).toThrow(ParameterError);
  });
});
