import { describe, expect, it } from "vitest";
import { YinPitch } from "../../../src/core/analysis/pitch-yin.js";
import { ParameterError } from "../../../src/core/errors.js";
import { createSeededRandom as seededRandom } from "../../../src/core/select/seeded-random.js";

const RATE_HZ = 22050;
const FRAME = 1024;


/** Sum of harmonics k = 1.. with amplitudes amplitudes[k-1], starting at a given phase offset (seconds). */
function harmonicFrame(f0Hz: number, amplitudes: readonly number[], startSec = 0, rateHz = RATE_HZ, size = FRAME): Float32Array {
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const t = startSec + i / rateHz;
    let v = 0;
    for (let k = 1; k <= amplitudes.length; k++) {
      if (k * f0Hz < rateHz / 2) v += amplitudes[k - 1]! * Math.sin(2 * Math.PI * k * f0Hz * t + 0.3 * k);
    }
    x[i] = v;
  }
  return x;
}

/** Sawtooth-like: harmonics with amplitude 1/k. */
const sawtooth = (count: number): number[] => Array.from({ length: count }, (_, i) => 0.5 / (i + 1));
/** Square-like: odd harmonics with amplitude 1/k. */
const square = (count: number): number[] => Array.from({ length: count }, (_, i) => ((i + 1) % 2 === 1 ? 0.5 / (i + 1) : 0));

function analyse(frame: Float32Array, yin = new YinPitch(FRAME, RATE_HZ)): { f0Hz: number; confidence: number } {
  yin.process(frame);
  return { f0Hz: yin.f0Hz, confidence: yin.confidence };
}

describe("YinPitch", () => {
  it("searches lags up to 40 Hz (tau 552 at 22.05 kHz) with a 1024-sample frame by default", () => {
    const yin = new YinPitch(FRAME, RATE_HZ);
    expect(yin.maxLagSamples).toBe(552);
    expect(yin.minLagSamples).toBe(8);
    expect(yin.windowSamples).toBe(1024 - 553);
  });

  it.each([50, 55, 100, 220, 440, 1000, 2000])("a %i Hz sine is found within 1%, confidently", (f0Hz) => {
    for (const startSec of [0, 0.0123]) {
      const { f0Hz: found, confidence } = analyse(harmonicFrame(f0Hz, [0.5], startSec));
      expect(Math.abs(found - f0Hz) / f0Hz).toBeLessThan(0.01);
      expect(confidence).toBeGreaterThan(0.9);
    }
  });

  it("sines between 40 Hz and 2.5 kHz (every 1/3 octave) are all found within 1%", () => {
    const yin = new YinPitch(FRAME, RATE_HZ);
    for (let f0Hz = 42; f0Hz < 2500; f0Hz *= Math.pow(2, 1 / 3)) {
      const { f0Hz: found } = analyse(harmonicFrame(f0Hz, [0.3]), yin);
      expect(Math.abs(found - f0Hz) / f0Hz).toBeLessThan(0.01);
    }
  });

  it.each([55, 110, 220, 330, 440, 880])("harmonic tones (sawtooth-like, square-like) at %i Hz give the fundamental within 1%", (f0Hz) => {
    for (const amplitudes of [sawtooth(12), square(12)]) {
      const { f0Hz: found, confidence } = analyse(harmonicFrame(f0Hz, amplitudes));
      expect(Math.abs(found - f0Hz) / f0Hz).toBeLessThan(0.01);
      expect(confidence).toBeGreaterThan(0.8);
    }
  });

  it("a tone whose second harmonic is twice as strong as its (present) fundamental is not reported an octave up", () => {
    const { f0Hz: found } = analyse(harmonicFrame(196, [0.2, 0.4, 0.1]));
    expect(Math.abs(found - 196) / 196).toBeLessThan(0.01);
  });

  it("a DC offset does not move the estimate, and works with an amplitude of 1e-3 (-60 dBFS)", () => {
    const frame = harmonicFrame(330, sawtooth(8));
    for (let i = 0; i < FRAME; i++) frame[i] = frame[i]! * 0.002 + 0.4;
    const { f0Hz: found } = analyse(frame);
    expect(Math.abs(found - 330) / 330).toBeLessThan(0.01);
  });

  it("white noise is unvoiced or low-confidence", () => {
    const random = seededRandom(1);
    const yin = new YinPitch(FRAME, RATE_HZ);
    for (let trial = 0; trial < 20; trial++) {
      const frame = new Float32Array(FRAME);
      for (let i = 0; i < FRAME; i++) frame[i] = random() - 0.5;
      const { f0Hz, confidence } = analyse(frame, yin);
      expect(f0Hz === 0 || confidence < 0.5).toBe(true);
      expect(confidence).toBeLessThan(0.6);
    }
  });

  it("silence and DC are unvoiced with confidence 0", () => {
    const yin = new YinPitch(FRAME, RATE_HZ);
    expect(analyse(new Float32Array(FRAME), yin)).toEqual({ f0Hz: 0, confidence: 0 });
    expect(analyse(new Float32Array(FRAME).fill(0.5), yin)).toEqual({ f0Hz: 0, confidence: 0 });
    expect(analyse(new Float32Array(FRAME).fill(-0.123), yin)).toEqual({ f0Hz: 0, confidence: 0 });
  });

  it("a voiced frame after an unvoiced one is analysed afresh (no state between frames)", () => {
    const yin = new YinPitch(FRAME, RATE_HZ);
    const tone = harmonicFrame(261.63, sawtooth(6));
    const first = analyse(tone, yin);
    analyse(new Float32Array(FRAME), yin);
    expect(analyse(tone, yin)).toEqual(first);
  });

  it("honours a custom range and threshold, other rates and frame sizes", () => {
    const narrow = new YinPitch(FRAME, RATE_HZ, { minFrequencyHz: 200, maxFrequencyHz: 1000 });
    expect(analyse(harmonicFrame(100, [0.5]), narrow).f0Hz === 0 || narrow.f0Hz >= 200).toBe(true);
    expect(Math.abs(analyse(harmonicFrame(500, [0.5]), narrow).f0Hz - 500)).toBeLessThan(5);
    const hiRes = new YinPitch(2048, 44100);
    expect(Math.abs(analyse(harmonicFrame(82.41, sawtooth(10), 0, 44100, 2048), hiRes).f0Hz - 82.41)).toBeLessThan(0.8);
    const odd = new YinPitch(1000, RATE_HZ, { minFrequencyHz: 60 });
    expect(Math.abs(analyse(harmonicFrame(150, [0.5], 0, RATE_HZ, 1000), odd).f0Hz - 150)).toBeLessThan(1.5);
    const strict = new YinPitch(FRAME, RATE_HZ, { threshold: 0.01 });
    const random = seededRandom(9);
    const noisy = harmonicFrame(440, [0.3]);
    for (let i = 0; i < FRAME; i++) noisy[i] = noisy[i]! + 0.3 * (random() - 0.5);
    analyse(noisy, strict);
    expect(strict.f0Hz).toBe(0);
  });

  it("rejects impossible parameters and short frames", () => {
    expect(() => new YinPitch(FRAME, RATE_HZ, { minFrequencyHz: 20 })).toThrow(ParameterError);
    expect(() => new YinPitch(FRAME, RATE_HZ, { minFrequencyHz: 500, maxFrequencyHz: 400 })).toThrow(ParameterError);
    expect(() => new YinPitch(FRAME, RATE_HZ, { maxFrequencyHz: 8000 })).toThrow(ParameterError);
    expect(() => new YinPitch(FRAME, RATE_HZ, { threshold: 1.5 })).toThrow(ParameterError);
    expect(() => new YinPitch(FRAME, 0)).toThrow(ParameterError);
    expect(() => new YinPitch(FRAME, RATE_HZ).process(new Float32Array(512))).toThrow(ParameterError);
  });
});
