import { describe, expect, it } from "vitest";
import { RealFft } from "../../src/core/dsp/fft.js";
import { YinPitch } from "../../src/core/analysis/pitch-yin.js";
import { pffftEngineFactory } from "../../src/io/pffft-engine.js";
import { seededRandom, sine } from "../helpers/signals.js";

describe("PFFFT engine", () => {
  const factory = pffftEngineFactory();

  it("loads on this Node (WebAssembly)", () => {
    expect(factory).toBeDefined();
    expect(new RealFft(1024, factory).accelerated).toBe(true);
  });

  it("gives the same amplitude spectrum as fft.js within float32 rounding", () => {
    const random = seededRandom(1);
    for (const size of [64, 256, 1024, 2048]) {
      const frame = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37) + 0.5 * (2 * random() - 1));
      const reference = new Float32Array(size / 2 + 1);
      const fast = new Float32Array(size / 2 + 1);
      new RealFft(size).amplitude(frame, reference);
      new RealFft(size, factory).amplitude(frame, fast);
      const peak = Math.max(...reference);
      for (let k = 0; k <= size / 2; k++) expect(Math.abs(fast[k]! - reference[k]!)).toBeLessThan(1e-5 * peak);
    }
  });

  it("gives the same complex spectrum (signs, DC and Nyquist) and round-trips", () => {
    const size = 512;
    const random = seededRandom(2);
    const frame = Float32Array.from({ length: size }, () => 2 * random() - 1);
    const re1 = new Float32Array(size / 2 + 1);
    const im1 = new Float32Array(size / 2 + 1);
    const re2 = new Float32Array(size / 2 + 1);
    const im2 = new Float32Array(size / 2 + 1);
    new RealFft(size).forward(frame, re1, im1);
    const fast = new RealFft(size, factory);
    fast.forward(frame, re2, im2);
    for (let k = 0; k <= size / 2; k++) {
      expect(re2[k]).toBeCloseTo(re1[k]!, 3);
      expect(im2[k]).toBeCloseTo(im1[k]!, 3);
    }
    const back = new Float32Array(size);
    fast.inverse(re2, im2, back);
    for (let n = 0; n < size; n++) expect(back[n]).toBeCloseTo(frame[n]!, 4);
  });

  it("windowedAmplitude equals windowing in JavaScript then amplitude, bit for bit (float32 and float64 windows, short windows)", () => {
    const random = seededRandom(3);
    const fft = new RealFft(1024, factory);
    for (const windowLength of [1024, 1021, 600]) {
      const frame = Float32Array.from({ length: 1024 }, () => 2 * random() - 1);
      const window32 = Float32Array.from({ length: windowLength }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (windowLength - 1)));
      const window64 = Float64Array.from({ length: windowLength }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / windowLength));
      for (const window of [window32, window64, window32]) {
        const windowed = new Float32Array(1024);
        for (let i = 0; i < windowLength; i++) windowed[i] = frame[i]! * window[i]!;
        const expected = new Float32Array(513);
        fft.amplitude(windowed, expected);
        const actual = new Float32Array(513);
        fft.windowedAmplitude(frame, window, actual);
        expect(Array.from(actual)).toEqual(Array.from(expected));
      }
    }
  });

  it("gives the same spectra after the module's memory grew (its views are made again)", () => {
    const random = seededRandom(5);
    const frame = Float32Array.from({ length: 1024 }, () => 2 * random() - 1);
    const window = Float32Array.from({ length: 1024 }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 1023));
    const fft = new RealFft(1024, factory);
    const run = (): number[][] => {
      const amplitude = new Float32Array(512);
      fft.windowedAmplitude(frame, window, amplitude);
      const spectrum = new Float64Array(2048);
      fft.forwardInterleaved(frame, spectrum);
      const signal = new Float64Array(1024);
      fft.inverseInterleaved(spectrum, signal);
      return [Array.from(amplitude), Array.from(spectrum.subarray(0, 1026)), Array.from(signal)];
    };
    const before = run();
    // a 2^19-point engine needs ~24 MiB more than the module's first 16 MiB: its memory grows
    new RealFft(1 << 19, factory);
    expect(run()).toEqual(before);
  });

  it("shares one engine per size within a thread (no WebAssembly memory per file)", () => {
    expect(factory!(1024)).toBe(factory!(1024));
    expect(factory!(2048)).not.toBe(factory!(1024));
  });

  it("keeps YIN within 1% on sines 50 Hz .. 2 kHz", () => {
    for (const f of [50, 100, 220, 440, 1000, 2000]) {
      const yin = new YinPitch(1024, 22050, { fftEngine: factory });
      yin.process(sine(f, 1024 / 22050, 22050, 0.5));
      expect(Math.abs(yin.f0Hz - f) / f).toBeLessThan(0.01);
      expect(yin.confidence).toBeGreaterThan(0.9);
    }
  });
});
