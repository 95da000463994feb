import { describe, expect, it } from "vitest";
import { ANALYSIS_RATE_HZ, HOP_SIZE_SAMPLES } from "../../../src/core/analysis/analysis-config.js";
import { descriptorIndex, DESCRIPTOR_COUNT } from "../../../src/core/analysis/schema.js";
import { UnitAnalyzer, type AnalysedSegment } from "../../../src/core/analysis/unit-analyzer.js";
import type { AnalysisOptions } from "../../../src/core/analysis/analysis-params.js";
import { addNoiseBurst, seededRandom, sine } from "../../helpers/signals.js";

const RATE = ANALYSIS_RATE_HZ;

function analyse(signal: Float32Array, options: Partial<AnalysisOptions> = {}, blockSizes?: () => number): AnalysedSegment[] {
  const segments: AnalysedSegment[] = [];
  const analyzer = new UnitAnalyzer((s) => segments.push(s), options);
  if (!blockSizes) analyzer.push(signal);
  else {
    for (let start = 0; start < signal.length; ) {
      const n = Math.min(blockSizes(), signal.length - start);
      analyzer.push(signal.subarray(start, start + n), n);
      start += n;
    }
  }
  analyzer.finish();
  return segments;
}

function burstTrain(onsetsSec: readonly number[], totalSec: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const signal = new Float32Array(Math.round(totalSec * RATE));
  for (const t of onsetsSec) addNoiseBurst(signal, RATE, t, 0.15, 0.6, random, 0.03);
  return signal;
}

const sec = (samples: number) => samples / RATE;

describe("UnitAnalyzer", () => {
  it("starts one unit at each noise burst, never after its attack", () => {
    const onsets = [0.25, 0.61, 1.02, 1.4, 1.93, 2.31, 2.72, 3.3];
    const segments = analyse(burstTrain(onsets, 4, 1));
    expect(segments.length).toBe(onsets.length);
    segments.forEach((s, i) => {
      const errorSec = sec(s.startSample) - onsets[i]!;
      expect(errorSec).toBeLessThanOrEqual(0.005);
      expect(errorSec).toBeGreaterThan(-0.03);
    });
  });

  it("gives a one-shot followed by silence a single unit that ends with the sound", () => {
    const signal = burstTrain([0.1], 3, 2);
    const segments = analyse(signal);
    expect(segments.length).toBe(1);
    expect(sec(segments[0]!.endSample)).toBeLessThan(0.6);
    expect(segments[0]!.vector.length).toBe(DESCRIPTOR_COUNT);
  });

  it("finds no units in silence, and marks them silent when asked to keep them", () => {
    const silence = new Float32Array(RATE * 2);
    expect(analyse(silence)).toEqual([]);
    const kept = analyse(silence, { segment: "grid", gridMs: 500, keepSilent: true });
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.every((s) => s.silent)).toBe(true);
  });

  it("cuts a fixed grid in grid mode", () => {
    const random = seededRandom(3);
    const noise = Float32Array.from({ length: RATE * 2 }, () => 0.3 * (2 * random() - 1));
    const segments = analyse(noise, { segment: "grid", gridMs: 250 });
    expect(segments.length).toBe(8);
    for (const s of segments) expect(sec(s.endSample - s.startSample)).toBeCloseTo(0.25, 1);
  });

  it("makes one unit per file in whole mode, trimmed to the sound", () => {
    const segments = analyse(burstTrain([0.5, 0.9, 1.3], 3, 4), { segment: "whole" });
    expect(segments.length).toBe(1);
    expect(sec(segments[0]!.startSample)).toBeGreaterThan(0.4);
    expect(sec(segments[0]!.startSample)).toBeLessThanOrEqual(0.505);
    expect(sec(segments[0]!.endSample)).toBeLessThan(2);
  });

  it("gives identical units and vectors whatever the block sizes", () => {
    const signal = burstTrain([0.2, 0.7, 1.1, 1.6], 2.5, 5);
    const whole = analyse(signal);
    const random = seededRandom(9);
    const blocked = analyse(signal, {}, () => 1 + Math.floor(random() * 3000));
    expect(blocked.length).toBe(whole.length);
    blocked.forEach((s, i) => {
      expect(s.startSample).toBe(whole[i]!.startSample);
      expect(s.endSample).toBe(whole[i]!.endSample);
      expect(Array.from(s.vector)).toEqual(Array.from(whole[i]!.vector));
    });
  });

  it("emits after reset exactly the units of a new analyser, in every segmentation mode", () => {
    // the first stream ends, and the second starts, with a loud tone: no state may carry over
    const first = burstTrain([0.15, 0.5, 0.9], 1.8, 21);
    first.set(sine(440, 0.5, RATE, 0.5), first.length - Math.round(0.5 * RATE));
    const second = burstTrain([0.6, 1.0], 1.5, 22);
    second.set(sine(220, 0.4, RATE, 0.5), 0);
    const modes: Partial<AnalysisOptions>[] = [{}, { segment: "grid", gridMs: 200, keepSilent: true }, { segment: "whole" }, { keepSilent: true }];
    for (const options of modes) {
      const fresh = analyse(second, options);
      const reused: AnalysedSegment[] = [];
      const analyzer = new UnitAnalyzer(() => undefined, options);
      analyzer.push(first);
      analyzer.finish();
      // a stream abandoned half-way (a failed file) must leave nothing behind either
      analyzer.reset();
      analyzer.push(first);
      analyzer.reset((s) => reused.push(s));
      analyzer.push(second);
      analyzer.finish();
      expect(reused.length).toBe(fresh.length);
      reused.forEach((s, i) => {
        expect([s.startSample, s.endSample, s.silent]).toEqual([fresh[i]!.startSample, fresh[i]!.endSample, fresh[i]!.silent]);
        expect(Array.from(s.vector)).toEqual(Array.from(fresh[i]!.vector));
      });
    }
  });

  it("describes a 440 Hz tone as A4 with high pitch confidence", () => {
    const tone = sine(440, 1, RATE, 0.5);
    const segments = analyse(tone, { segment: "whole" });
    expect(segments.length).toBe(1);
    const v = segments[0]!.vector;
    expect(v[descriptorIndex("pitchMidi")]).toBeCloseTo(69, 1);
    expect(v[descriptorIndex("pitchConfidence")]).toBeGreaterThan(0.8);
    expect(v[descriptorIndex("centroidHz.mean")]).toBeGreaterThan(300);
    expect(v[descriptorIndex("centroidHz.mean")]).toBeLessThan(700);
  });

  it("keeps memory bounded on a long stream: frames held never exceed the longest unit", () => {
    const random = seededRandom(6);
    const analyzer = new UnitAnalyzer(() => {}, {});
    const block = new Float32Array(RATE);
    let maxBuffered = 0;
    for (let second = 0; second < 300; second++) {
      block.fill(0);
      for (let k = 0; k < 4; k++) addNoiseBurst(block, RATE, 0.05 + k * 0.24, 0.12, 0.5, random, 0.03);
      analyzer.push(block);
      maxBuffered = Math.max(maxBuffered, analyzer.bufferedFrames);
    }
    analyzer.finish();
    const maxUnitFrames = Math.ceil((2000 / 1000) * (RATE / HOP_SIZE_SAMPLES));
    expect(maxBuffered).toBeLessThan(2 * maxUnitFrames + 64);
  });

  it("splits a long steady sound at the maximum unit length", () => {
    const random = seededRandom(8);
    const noise = Float32Array.from({ length: RATE * 5 }, () => 0.3 * (2 * random() - 1));
    const segments = analyse(noise, { maxUnitMs: 1000 });
    expect(segments.length).toBeGreaterThanOrEqual(5);
    for (const s of segments) expect(sec(s.endSample - s.startSample)).toBeLessThanOrEqual(1.0 + 1e-6);
  });

  it("describes DC as sound without pitch and without NaN", () => {
    const dc = new Float32Array(RATE).fill(0.5);
    const segments = analyse(dc, { segment: "whole" });
    expect(segments.length).toBe(1);
    const v = segments[0]!.vector;
    expect(v.every((x) => Number.isFinite(x))).toBe(true);
    expect(v[descriptorIndex("pitchConfidence")]).toBeLessThan(0.1);
    expect(v[descriptorIndex("rmsDb.mean")]).toBeGreaterThan(-10);
  });

  it("describes a full-scale 220 Hz square wave: finite values, pitch A3, level near 0 dBFS", () => {
    const square = Float32Array.from({ length: RATE }, (_, i) => (Math.sin((2 * Math.PI * 220 * i) / RATE) >= 0 ? 1 : -1));
    const segments = analyse(square, { segment: "whole" });
    expect(segments.length).toBe(1);
    const v = segments[0]!.vector;
    expect(v.every((x) => Number.isFinite(x))).toBe(true);
    expect(v[descriptorIndex("pitchMidi")]).toBeCloseTo(57, 0);
    expect(v[descriptorIndex("rmsDb.mean")]).toBeGreaterThan(-1);
    expect(v[descriptorIndex("peakDb")]).toBeLessThanOrEqual(0.01);
  });

  it("finds the pitch of sines from 50 Hz to 2 kHz within 1% at the unit level", () => {
    for (const f of [50, 110, 261.63, 440, 1000, 2000]) {
      const segments = analyse(sine(f, 0.5, RATE, 0.5), { segment: "whole" });
      const midi = segments[0]!.vector[descriptorIndex("pitchMidi")]!;
      const hz = 440 * Math.pow(2, (midi - 69) / 12);
      expect(Math.abs(hz - f) / f).toBeLessThan(0.01);
    }
  });
});
