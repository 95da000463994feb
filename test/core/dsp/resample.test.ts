import { describe, expect, it } from "vitest";
import { resampleAll, StreamingResampler, type ResamplerOptions } from "../../../src/core/dsp/resample.js";
import { createPolyphaseKernel, simdAvailable } from "../../../src/core/dsp/fir-simd.js";
import { ParameterError } from "../../../src/core/errors.js";
import { createSeededRandom as seededRandom } from "../../../src/core/select/seeded-random.js";


const TO_ANALYSIS: ReadonlyArray<readonly [number, number]> = [
  [44100, 22050],
  [48000, 22050],
  [96000, 22050],
  [88200, 22050],
  [16000, 22050],
  [8000, 22050],
  [32000, 22050],
];

function sine(frequencyHz: number, rateHz: number, length: number, amplitude = 1): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz);
  return x;
}

/**
 * Amplitude of the sinusoid of `frequencyHz` in y[from .. to): a Hann-windowed DFT at that frequency
 * (Goertzel-like), normalised so a unit sine reads 1; the window keeps leakage from other tones negligible.
 */
function toneAmplitude(y: Float32Array, frequencyHz: number, rateHz: number, from: number, to: number): number {
  const length = to - from;
  let re = 0;
  let im = 0;
  let weightSum = 0;
  for (let i = 0; i < length; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / length);
    const phase = (2 * Math.PI * frequencyHz * (from + i)) / rateHz;
    re += w * y[from + i]! * Math.cos(phase);
    im += w * y[from + i]! * Math.sin(phase);
    weightSum += w;
  }
  return (2 * Math.hypot(re, im)) / weightSum;
}

function rms(y: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let n = from; n < to; n++) sum += y[n]! * y[n]!;
  return Math.sqrt(sum / (to - from));
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

/** Streams `input` through a resampler in the given block sizes, output buffers sized by the API's bounds. */
function streamInBlocks(
  input: Float32Array,
  inRate: number,
  outRate: number,
  blockSizes: readonly number[],
  options?: ResamplerOptions,
): Float32Array {
  const resampler = new StreamingResampler(inRate, outRate, options);
  const out: number[] = [];
  let offset = 0;
  let b = 0;
  while (offset < input.length) {
    const size = Math.min(blockSizes[b++ % blockSizes.length]!, input.length - offset);
    const block = new Float32Array(resampler.maxOutputFor(size));
    const written = resampler.process(input.subarray(offset, offset + size), size, block);
    expect(written).toBeLessThanOrEqual(block.length);
    for (let i = 0; i < written; i++) out.push(block[i]!);
    offset += size;
  }
  const tail = new Float32Array(resampler.maxFlushOutput);
  const written = resampler.flush(tail);
  for (let i = 0; i < written; i++) out.push(tail[i]!);
  expect(resampler.samplesIn).toBe(input.length);
  expect(resampler.samplesOut).toBe(out.length);
  return Float32Array.from(out);
}

describe("StreamingResampler", () => {
  it.each(TO_ANALYSIS)("%i -> %i: a stream of L samples gives round(L * out / in) samples", (inRate, outRate) => {
    for (const length of [0, 1, 2, 3, 5, 99, 1000, 4097, inRate + 17]) {
      const y = resampleAll(new Float32Array(length).fill(0.25), inRate, outRate);
      expect(y.length).toBe(Math.round((length * outRate) / inRate));
    }
  });

  it("22050 -> 22050 is an exact copy", () => {
    const x = sine(1234.5, 22050, 3000, 0.7);
    x[17] = 1;
    x[18] = -1;
    expect(resampleAll(x, 22050, 22050)).toEqual(x);
    expect(streamInBlocks(x, 22050, 22050, [1, 333, 4096])).toEqual(x);
  });

  it.each(TO_ANALYSIS)(
    "%i -> %i: passband sines keep their amplitude within 0.1 dB up to 0.9 x the lower Nyquist",
    (inRate, outRate) => {
      const lowNyquistHz = Math.min(inRate, outRate) / 2;
      const length = Math.round(inRate * 0.25);
      for (const fraction of [0.02, 0.3, 0.6, 0.8, 0.9]) {
        const frequencyHz = fraction * lowNyquistHz;
        const y = resampleAll(sine(frequencyHz, inRate, length, 0.5), inRate, outRate);
        const margin = 400;
        const amplitude = toneAmplitude(y, frequencyHz, outRate, margin, y.length - margin);
        expect(Math.abs(db(amplitude / 0.5))).toBeLessThan(0.1);
      }
    },
  );

  it.each(TO_ANALYSIS)(
    "%i -> %i: output n is the input's sine at time n / out (no group delay), error < -60 dB",
    (inRate, outRate) => {
      const lowNyquistHz = Math.min(inRate, outRate) / 2;
      const length = Math.round(inRate * 0.2);
      for (const frequencyHz of [440, 0.7 * lowNyquistHz]) {
        const y = resampleAll(sine(frequencyHz, inRate, length), inRate, outRate);
        const ideal = sine(frequencyHz, outRate, y.length);
        let worst = 0;
        for (let n = 400; n < y.length - 400; n++) worst = Math.max(worst, Math.abs(y[n]! - ideal[n]!));
        expect(worst).toBeLessThan(1e-3);
      }
    },
  );

  it.each([12000, 15000, 20000])(
    "44100 -> 22050: a %i Hz tone (above the output Nyquist) is attenuated >= 80 dB (Goertzel at its alias, and RMS)",
    (frequencyHz) => {
      const y = resampleAll(sine(frequencyHz, 44100, 44100), 44100, 22050);
      const aliasHz = 22050 - frequencyHz;
      const margin = 200;
      expect(db(toneAmplitude(y, aliasHz, 22050, margin, y.length - margin))).toBeLessThan(-80);
      expect(db(rms(y, margin, y.length - margin) * Math.SQRT2)).toBeLessThan(-80);
    },
  );

  it.each(TO_ANALYSIS.filter(([inRate]) => inRate > 22050))(
    "%i -> %i: every tone from 1.09 x the output Nyquist up to the input Nyquist is attenuated >= 80 dB",
    (inRate, outRate) => {
      const length = Math.round(inRate * 0.1);
      const margin = 300;
      for (let frequencyHz = 12017; frequencyHz < inRate / 2; frequencyHz += 1931) {
        const y = resampleAll(sine(frequencyHz, inRate, length), inRate, outRate);
        expect(db(rms(y, margin, y.length - margin) * Math.SQRT2)).toBeLessThan(-80);
      }
    },
  );

  it.each([
    [16000, 22050],
    [8000, 22050],
    [32000, 22050],
  ] as const)("%i -> %i: images of a passband tone are >= 80 dB down", (inRate, outRate) => {
    const frequencyHz = 0.8 * (inRate / 2);
    const y = resampleAll(sine(frequencyHz, inRate, inRate / 4), inRate, outRate);
    const margin = 300;
    for (let k = 1; k * inRate - frequencyHz < outRate / 2; k++) {
      for (const imageHz of [k * inRate - frequencyHz, k * inRate + frequencyHz]) {
        if (imageHz >= outRate / 2) continue;
        expect(db(toneAmplitude(y, imageHz, outRate, margin, y.length - margin))).toBeLessThan(-80);
      }
    }
  });

  it.each(TO_ANALYSIS)("%i -> %i: random block sizes give exactly the output of one call", (inRate, outRate) => {
    const random = seededRandom(inRate + outRate);
    const input = new Float32Array(Math.round(inRate * 0.3));
    for (let i = 0; i < input.length; i++) input[i] = 2 * random() - 1;
    const reference = resampleAll(input, inRate, outRate);
    const blockSizes = Array.from({ length: 40 }, () => 1 + Math.floor(random() * 9000));
    expect(streamInBlocks(input, inRate, outRate, blockSizes)).toEqual(reference);
    expect(streamInBlocks(input.subarray(0, 3000), inRate, outRate, [1, 0, 2, 7])).toEqual(
      resampleAll(input.subarray(0, 3000), inRate, outRate),
    );
  });

  it.each(TO_ANALYSIS)("%i -> %i: an impulse at input sample k appears centred at output k * out / in", (inRate, outRate) => {
    for (const k of [1000, 1001, 1003, 2017]) {
      const x = new Float32Array(4000);
      x[k] = 1;
      const y = resampleAll(x, inRate, outRate);
      // first moment of the (signed) band-limited pulse: exact for a pulse band-limited below the output rate
      let area = 0;
      let moment = 0;
      for (let n = 0; n < y.length; n++) {
        area += y[n]!;
        moment += n * y[n]!;
      }
      expect(Math.abs(moment / area - (k * outRate) / inRate)).toBeLessThan(0.01);
    }
  });

  it("44100 -> 22050: an impulse at an even input sample gives an output symmetric about k / 2", () => {
    const x = new Float32Array(4000);
    x[2000] = 1;
    const y = resampleAll(x, 44100, 22050);
    expect(y[1000]).toBeCloseTo(0.5, 4);
    let asymmetry = 0;
    for (let d = 1; d < 100; d++) asymmetry = Math.max(asymmetry, Math.abs(y[1000 - d]! - y[1000 + d]!));
    expect(asymmetry).toBe(0);
  });

  it.each([
    [192000, 22050],
    [176400, 22050],
    [22050, 44100],
    [44100, 48000],
  ] as const)("%i -> %i (other ratios, up and down): exact length, timing and streaming", (inRate, outRate) => {
    const length = Math.round(inRate * 0.15) + 3;
    const frequencyHz = 0.6 * (Math.min(inRate, outRate) / 2);
    const x = sine(frequencyHz, inRate, length);
    const y = resampleAll(x, inRate, outRate);
    expect(y.length).toBe(Math.round((length * outRate) / inRate));
    const ideal = sine(frequencyHz, outRate, y.length);
    let worst = 0;
    for (let n = 400; n < y.length - 400; n++) worst = Math.max(worst, Math.abs(y[n]! - ideal[n]!));
    expect(worst).toBeLessThan(1e-3);
    expect(streamInBlocks(x, inRate, outRate, [4097, 1, 999, 12_000])).toEqual(y);
  });

  it("a constant input gives the same constant (unity DC gain in every phase) away from the ends", () => {
    for (const [inRate, outRate] of TO_ANALYSIS) {
      const y = resampleAll(new Float32Array(inRate / 10).fill(0.5), inRate, outRate);
      let worst = 0;
      for (let n = 300; n < y.length - 300; n++) worst = Math.max(worst, Math.abs(y[n]! - 0.5));
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it("the WebAssembly SIMD kernel assembles and validates on this runtime (so the fast path is in use)", () => {
    expect(simdAvailable()).toBe(true);
  });

  it("the parity split and centre-tap kernels compute exactly what their JavaScript expressions do", () => {
    const kernels = createPolyphaseKernel(1 << 14)!;
    const heap = kernels.heap;
    const random = seededRandom(6);
    for (let i = 0; i < 4096; i++) heap[i] = 2 * random() - 1;
    kernels.split(0, 4 * 4096, 4 * 8192, 2048);
    for (let j = 0; j < 2048; j++) {
      expect(heap[4096 + j]).toBe(heap[2 * j]);
      expect(heap[8192 + j]).toBe(heap[2 * j + 1]);
    }
    const tap = 0.4999871233;
    const values = Array.from(heap.subarray(0, 1024));
    kernels.addCentre(0, 4 * 4096, 1024, tap);
    let mismatches = 0;
    for (let i = 0; i < 1024; i++) if (heap[i] !== Math.fround(values[i]! + tap * heap[4096 + i]!)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it("the JavaScript fallback matches the WebAssembly SIMD kernel within float32 rounding", () => {
    const random = seededRandom(5);
    const input = new Float32Array(20_000);
    for (let i = 0; i < input.length; i++) input[i] = 2 * random() - 1;
    for (const [inRate, outRate] of TO_ANALYSIS) {
      const simd = resampleAll(input, inRate, outRate);
      const js = resampleAll(input, inRate, outRate, { simd: false });
      expect(js.length).toBe(simd.length);
      let worst = 0;
      for (let n = 0; n < js.length; n++) worst = Math.max(worst, Math.abs(js[n]! - simd[n]!));
      expect(worst).toBeLessThan(2e-6);
    }
  });

  it("ratios with a huge reduced fraction (44100 -> 22051) use interpolated phases and keep the timing", () => {
    const y = resampleAll(sine(1000, 44100, 11025), 44100, 22051);
    expect(y.length).toBe(Math.round((11025 * 22051) / 44100));
    const ideal = sine(1000, 22051, y.length);
    let worst = 0;
    for (let n = 300; n < y.length - 300; n++) worst = Math.max(worst, Math.abs(y[n]! - ideal[n]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('"fast" quality: passband within 0.1 dB to 0.75 x Nyquist, >= 60 dB stopband from 1.2 x', () => {
    const options = { quality: "fast" } as const;
    const pass = resampleAll(sine(8000, 44100, 22050), 44100, 22050, options);
    expect(Math.abs(db(toneAmplitude(pass, 8000, 22050, 200, pass.length - 200)))).toBeLessThan(0.1);
    const stop = resampleAll(sine(13300, 44100, 22050), 44100, 22050, options);
    expect(db(rms(stop, 200, stop.length - 200) * Math.SQRT2)).toBeLessThan(-60);
  });

  it("reset starts a new stream; process after flush is refused; bad arguments throw ParameterError", () => {
    const resampler = new StreamingResampler(48000, 22050);
    const x = sine(300, 48000, 5000);
    const out = new Float32Array(resampler.maxOutputFor(5000));
    const tail = new Float32Array(resampler.maxFlushOutput);
    const first = resampler.process(x, 5000, out);
    const firstCopy = out.slice(0, first);
    resampler.flush(tail);
    expect(() => resampler.process(x, 10, out)).toThrow(ParameterError);
    expect(resampler.flush(tail)).toBe(0);
    resampler.reset();
    expect(resampler.process(x, 5000, out)).toBe(first);
    expect(out.slice(0, first)).toEqual(firstCopy);
    expect(() => resampler.process(x, 5000, new Float32Array(10))).toThrow(ParameterError);
    expect(() => resampler.process(x, 5001, out)).toThrow(ParameterError);
    expect(() => new StreamingResampler(0, 22050)).toThrow(ParameterError);
    expect(() => new StreamingResampler(44100.5, 22050)).toThrow(ParameterError);
    expect(() => new StreamingResampler(44100, 22050, { quality: "best" as "high" })).toThrow(ParameterError);
    const fresh = new StreamingResampler(44100, 22050);
    expect(() => fresh.flush(new Float32Array(fresh.maxFlushOutput - 1))).toThrow(ParameterError);
  });
});
