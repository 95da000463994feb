import { describe, expect, it } from "vitest";
import { analyseOnsets, detectOnsets, onsetFMeasure } from "../../../src/core/analysis/onset-detect.js";
import { ParameterError } from "../../../src/core/errors.js";
import { createSeededRandom as seededRandom } from "../../../src/core/select/seeded-random.js";


type EventShape = "click" | "burst";

/**
 * Events at seeded random times: gaps 50-400 ms, gains -30..0 dB. A click is one full-scale sample; a burst
 * is white noise with a 10 ms exponential decay, 60 ms long.
 */
function eventTrain(
  shape: EventShape,
  sampleRateHz: number,
  durationSec: number,
  seed: number,
): { signal: Float32Array; truthSec: number[] } {
  const random = seededRandom(seed);
  const signal = new Float32Array(Math.round(durationSec * sampleRateHz));
  const truthSec: number[] = [];
  let time = 0.2;
  while (time < durationSec - 0.5) {
    const start = Math.round(time * sampleRateHz);
    truthSec.push(start / sampleRateHz);
    const gain = Math.pow(10, (-30 * random()) / 20);
    if (shape === "click") {
      signal[start] = gain;
    } else {
      const length = Math.round(0.06 * sampleRateHz);
      for (let n = 0; n < length; n++) {
        signal[start + n] = gain * (2 * random() - 1) * Math.exp(-n / (0.01 * sampleRateHz));
      }
    }
    time += 0.05 + 0.35 * random();
  }
  return { signal, truthSec };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

describe("onsetFMeasure", () => {
  it("scores exact matches as 1 and counts matches one-to-one", () => {
    expect(onsetFMeasure([1, 2, 3], [1, 2, 3], 0.03).f).toBe(1);
    const doubled = onsetFMeasure([1, 1.01], [1], 0.03);
    expect(doubled.truePositives).toBe(1);
    expect(doubled.falsePositives).toBe(1);
    expect(doubled.precision).toBe(0.5);
    expect(doubled.recall).toBe(1);
    expect(doubled.f).toBeCloseTo(2 / 3, 12);
  });

  it("matches only within the tolerance", () => {
    expect(onsetFMeasure([1.029], [1], 0.03).truePositives).toBe(1);
    expect(onsetFMeasure([1.031], [1], 0.03).truePositives).toBe(0);
  });

  it("pairs the closest detections first (greedy by distance)", () => {
    // Truth 1.00 and 1.04; detection 1.02 is 20 ms from both, 1.05 only matches 1.04 (10 ms).
    const score = onsetFMeasure([1.02, 1.05], [1.0, 1.04], 0.03);
    expect(score.truePositives).toBe(2);
    expect(score.errorsSec[0]).toBeCloseTo(0.02, 12);
    expect(score.errorsSec[1]).toBeCloseTo(0.01, 12);
  });

  it("defines the empty cases", () => {
    expect(onsetFMeasure([], [], 0.03).f).toBe(1);
    expect(onsetFMeasure([1], [], 0.03).f).toBe(0);
    expect(onsetFMeasure([], [1], 0.03).f).toBe(0);
    expect(() => onsetFMeasure([], [], -1)).toThrow(ParameterError);
  });
});

describe("detectOnsets", () => {
  for (const shape of ["click", "burst"] as const) {
    for (const sampleRateHz of [22050, 44100]) {
      it(`finds ${shape} trains at ${sampleRateHz} Hz (gaps >= 50 ms, -30..0 dB) with F >= 0.95 at ±30 ms and median error within 2 ms`, () => {
        const { signal, truthSec } = eventTrain(shape, sampleRateHz, 20, shape === "click" ? 11 : 12);
        const detected = detectOnsets(signal, sampleRateHz);
        const score = onsetFMeasure(detected, truthSec, 0.03);
        expect(truthSec.length).toBeGreaterThan(70);
        expect(score.f).toBeGreaterThanOrEqual(0.95);
        expect(Math.abs(median(score.errorsSec))).toBeLessThan(0.002);
      });
    }
  }

  it("finds no onsets in silence", () => {
    expect(detectOnsets(new Float32Array(22050 * 3), 22050)).toEqual([]);
  });

  it("finds no onsets after the start in DC, a steady sine or stationary noise", () => {
    const rate = 22050;
    const durationSec = 5;
    const dc = new Float32Array(rate * durationSec).fill(0.5);
    const sine = new Float32Array(rate * durationSec);
    for (let n = 0; n < sine.length; n++) sine[n] = 0.5 * Math.sin((2 * Math.PI * 440 * n) / rate);
    const random = seededRandom(8);
    const noise = new Float32Array(rate * durationSec);
    for (let n = 0; n < noise.length; n++) noise[n] = 0.1 * (2 * random() - 1);
    for (const signal of [dc, sine, noise]) {
      // The abrupt end of the test signal is a real discontinuity (an onset is allowed there).
      const inside = detectOnsets(signal, rate).filter((time) => time > 0.1 && time < durationSec - 0.1);
      expect(inside).toEqual([]);
    }
  });

  it("finds no onsets in bursts below the silence gate", () => {
    const rate = 22050;
    const signal = new Float32Array(rate * 2);
    const random = seededRandom(5);
    // -80 dBFS RMS noise bursts: they have spectral flux, but are quieter than the -70 dB gate.
    for (let k = 0; k < 8; k++) {
      const start = Math.round((0.1 + 0.2 * k) * rate);
      for (let n = 0; n < 1000; n++) signal[start + n] = 0.0003 * (2 * random() - 1);
    }
    expect(detectOnsets(signal, rate)).toEqual([]);
  });

  it("returns per-frame novelty and levels for every STFT frame of the signal", () => {
    const rate = 22050;
    const { signal } = eventTrain("burst", rate, 2, 3);
    const analysis = analyseOnsets(signal);
    const frames = Math.ceil((signal.length - 1024) / 256) + 1;
    expect(analysis.novelty.length).toBe(frames);
    expect(analysis.rmsDb.length).toBe(frames);
    expect(analysis.delayFrames).toBe(6);
    expect(Math.min(...analysis.novelty)).toBeGreaterThanOrEqual(0);
  });

  it("rejects a bad sample rate", () => {
    expect(() => detectOnsets(new Float32Array(10), 0)).toThrow(ParameterError);
  });
});
