import { describe, expect, it } from "vitest";
import meydaModule from "meyda";
import { RealFft } from "../../../src/core/dsp/fft.js";
import { hannWindow } from "../../../src/core/dsp/window.js";
import { ParameterError } from "../../../src/core/errors.js";
import { createSeededRandom as seededRandom } from "../../../src/core/select/seeded-random.js";

/** meyda's d.ts declares an ES default export but ships CommonJS `module.exports = Meyda`. */
type MeydaApi = typeof meydaModule.default;
const Meyda: MeydaApi =
  (meydaModule as unknown as { default?: MeydaApi }).default ?? (meydaModule as unknown as MeydaApi);


function noise(length: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = 2 * random() - 1;
  return out;
}

/** Naive O(N^2) DFT in double precision: bins 0..N/2. */
function naiveDft(x: Float32Array): { re: Float64Array; im: Float64Array } {
  const n = x.length;
  const re = new Float64Array(n / 2 + 1);
  const im = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    let sr = 0;
    let si = 0;
    for (let t = 0; t < n; t++) {
      const phase = (-2 * Math.PI * ((k * t) % n)) / n;
      sr += x[t]! * Math.cos(phase);
      si += x[t]! * Math.sin(phase);
    }
    re[k] = sr;
    im[k] = si;
  }
  return { re, im };
}

describe("RealFft", () => {
  it.each([16, 64, 256, 1024, 2048])("amplitude of seeded noise equals a naive DFT within 1e-4 relative (N = %i)", (size) => {
    const x = noise(size, size);
    const fft = new RealFft(size);
    const amplitude = new Float32Array(size / 2 + 1);
    fft.amplitude(x, amplitude);
    const reference = naiveDft(x);
    let peak = 0;
    for (let k = 0; k <= size / 2; k++) peak = Math.max(peak, Math.hypot(reference.re[k]!, reference.im[k]!));
    for (let k = 0; k <= size / 2; k++) {
      const expected = Math.hypot(reference.re[k]!, reference.im[k]!);
      // relative to the bin, with an absolute floor at 1e-4 of the spectrum's peak for near-zero bins
      expect(Math.abs(amplitude[k]! - expected)).toBeLessThanOrEqual(1e-4 * Math.max(expected, peak * 1e-2));
    }
  });

  it("forward gives the naive DFT's real and imaginary parts (sign convention e^{-i...})", () => {
    const size = 128;
    const x = noise(size, 7);
    const fft = new RealFft(size);
    const re = new Float32Array(size / 2 + 1);
    const im = new Float32Array(size / 2 + 1);
    fft.forward(x, re, im);
    const reference = naiveDft(x);
    for (let k = 0; k <= size / 2; k++) {
      expect(re[k]).toBeCloseTo(reference.re[k]!, 3);
      expect(im[k]).toBeCloseTo(reference.im[k]!, 3);
    }
    expect(im[0]).toBe(0);
    expect(im[size / 2]).toBe(0);
  });

  it("a sine on bin 10 of a 1024 frame has amplitude N/2 there and ~0 elsewhere", () => {
    const size = 1024;
    const x = new Float32Array(size);
    for (let i = 0; i < size; i++) x[i] = Math.sin((2 * Math.PI * 10 * i) / size);
    const amplitude = new Float32Array(size / 2);
    new RealFft(size).amplitude(x, amplitude);
    expect(amplitude[10]).toBeCloseTo(size / 2, 2);
    for (let k = 0; k < size / 2; k++) if (k !== 10) expect(amplitude[k]).toBeLessThan(1e-3);
  });

  it("matches meyda's amplitudeSpectrum (bins 0..N/2-1, Hann window) within 1e-4 relative", () => {
    const size = 512;
    const x = noise(size, 3);
    const window = hannWindow(size);
    const windowed = new Float32Array(size);
    for (let i = 0; i < size; i++) windowed[i] = x[i]! * window[i]!;
    const amplitude = new Float32Array(size / 2);
    new RealFft(size).amplitude(windowed, amplitude);
    Meyda.bufferSize = size;
    Meyda.windowingFunction = "hanning";
    const meyda = Meyda.extract("amplitudeSpectrum", Array.from(x)) as unknown as Float32Array;
    let peak = 0;
    for (let k = 0; k < size / 2; k++) peak = Math.max(peak, meyda[k]!);
    for (let k = 0; k < size / 2; k++) {
      expect(Math.abs(amplitude[k]! - meyda[k]!)).toBeLessThanOrEqual(1e-4 * Math.max(meyda[k]!, peak * 1e-2));
    }
  });

  it.each([16, 32, 1024, 4096])("inverse(forward(x)) reproduces x within 1e-6 (N = %i)", (size) => {
    const x = noise(size, size + 1);
    const fft = new RealFft(size);
    const re = new Float32Array(size / 2 + 1);
    const im = new Float32Array(size / 2 + 1);
    const back = new Float32Array(size);
    fft.forward(x, re, im);
    fft.inverse(re, im, back);
    for (let i = 0; i < size; i++) expect(Math.abs(back[i]! - x[i]!)).toBeLessThan(1e-6 * Math.sqrt(size));
  });

  it("inverse of a single cosine bin is a cosine of amplitude 2/N", () => {
    const size = 64;
    const fft = new RealFft(size);
    const re = new Float32Array(size / 2 + 1);
    const im = new Float32Array(size / 2 + 1);
    re[5] = 1;
    im[3] = 1;
    const out = new Float32Array(size);
    fft.inverse(re, im, out);
    for (let n = 0; n < size; n++) {
      const expected =
        (2 / size) * Math.cos((2 * Math.PI * 5 * n) / size) - (2 / size) * Math.sin((2 * Math.PI * 3 * n) / size);
      expect(out[n]).toBeCloseTo(expected, 7);
    }
  });

  it("leaves the input untouched and gives identical results on repeated calls", () => {
    const size = 256;
    const x = noise(size, 11);
    const copy = x.slice();
    const fft = new RealFft(size);
    const a = new Float32Array(size / 2 + 1);
    const b = new Float32Array(size / 2 + 1);
    fft.amplitude(x, a);
    fft.amplitude(x, b);
    expect(x).toEqual(copy);
    expect(b).toEqual(a);
  });

  it("rejects sizes that are not powers of two >= 16 and short buffers", () => {
    expect(() => new RealFft(8)).toThrow(ParameterError);
    expect(() => new RealFft(1000)).toThrow(ParameterError);
    const fft = new RealFft(32);
    expect(() => fft.amplitude(new Float32Array(16), new Float32Array(17))).toThrow(ParameterError);
    expect(() => fft.amplitude(new Float32Array(32), new Float32Array(18))).toThrow(ParameterError);
    expect(() => fft.forward(new Float32Array(32), new Float32Array(16), new Float32Array(17))).toThrow(ParameterError);
  });
});
