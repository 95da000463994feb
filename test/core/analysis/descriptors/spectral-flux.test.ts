import { describe, expect, it } from "vitest";
import { spectralFlux } from "../../../../src/core/analysis/descriptors/spectral-flux.js";
import { amplitudeOf, BIN_COUNT, seededRandom, sines, whiteNoise } from "./meyda-oracle.js";

function flux(previousAmplitude: Float32Array, amplitude: Float32Array): number {
  return spectralFlux({ amplitude, previousAmplitude });
}

const tone = amplitudeOf(sines([{ hz: 1000, amplitude: 0.5 }]));
const silence = new Float32Array(BIN_COUNT);

describe("spectralFlux (half-wave-rectified L1 rise over the current L1 sum, Dixon 2006)", () => {
  it("is 0 for identical consecutive frames", () => {
    expect(flux(tone, tone)).toBe(0);
    const noise = amplitudeOf(whiteNoise(1, 0.3));
    expect(flux(noise, noise)).toBe(0);
  });

  it("is 1 at the onset of a tone from silence", () => {
    expect(flux(silence, tone)).toBe(1);
  });

  it("is positive when a tone starts over steady noise, and equals the tone's share of the new frame", () => {
    const noise = amplitudeOf(whiteNoise(2, 0.01));
    const both = amplitudeOf(Float32Array.from(whiteNoise(2, 0.01), (v, i) => v + sines([{ hz: 3000, amplitude: 0.5 }])[i]!));
    const value = flux(noise, both);
    expect(value).toBeGreaterThan(0.5);
    expect(value).toBeLessThanOrEqual(1);
  });

  it("is 0 during a decay: the same spectrum at any lower level, or a symmetric envelope's falling half", () => {
    for (const gain of [0.99, 0.5, 1e-3]) expect(flux(tone, tone.map((a) => a * gain)), `gain ${gain}`).toBe(0);
    // A symmetric (triangular) envelope over frames: the rising half gives the rises, the falling half 0.
    const envelope = [0.2, 0.6, 1, 0.6, 0.2];
    const values = envelope.slice(1).map((g, i) => flux(tone.map((a) => a * envelope[i]!), tone.map((a) => a * g)));
    expect(values[0]).toBeCloseTo(1 - 0.2 / 0.6, 6);
    expect(values[1]).toBeCloseTo(1 - 0.6 / 1, 6);
    expect(values[2]).toBe(0);
    expect(values[3]).toBe(0);
  });

  it("reads 1 - 1/g when a steady spectrum grows by g (level-independent)", () => {
    for (const gain of [1.5, 2, 10]) {
      for (const level of [1e-4, 1]) {
        const before = tone.map((a) => a * level);
        expect(flux(before, before.map((a) => a * gain)), `gain ${gain} level ${level}`).toBeCloseTo(1 - 1 / gain, 5);
      }
    }
  });

  it("is 0, not NaN, when the current frame is silent", () => {
    expect(flux(tone, silence)).toBe(0);
    expect(flux(silence, silence)).toBe(0);
  });

  it("stays in [0, 1] for random spectra", () => {
    const random = seededRandom(3);
    for (let trial = 0; trial < 200; trial++) {
      const a = Float32Array.from({ length: BIN_COUNT }, () => random() * (random() < 0.1 ? 0 : 10));
      const b = Float32Array.from({ length: BIN_COUNT }, () => random() * 10);
      const value = flux(a, b);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
  });
});
