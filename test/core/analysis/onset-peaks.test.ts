import { describe, expect, it } from "vitest";
import {
  DEFAULT_ONSET_PEAK_OPTIONS,
  ONSET_PARAMETERS,
  OnsetPeakPicker,
  type OnsetPeakOptions,
} from "../../../src/core/analysis/onset-peaks.js";
import { ParameterError } from "../../../src/core/errors.js";

const RATE_HZ = 22050;
const HOP = 256;
const LOUD_DB = -20;

/** Runs the picker over a novelty curve; returns [onset frame, frame at which it was reported] pairs. */
function pick(
  novelty: number[],
  options: Partial<OnsetPeakOptions> = {},
  levelsDb?: number[],
): { onsets: number[]; reportedAt: number[] } {
  const picker = new OnsetPeakPicker(RATE_HZ, HOP, options);
  const onsets: number[] = [];
  const reportedAt: number[] = [];
  novelty.forEach((value, i) => {
    const onset = picker.push(value, levelsDb?.[i] ?? LOUD_DB, i);
    if (onset >= 0) {
      onsets.push(onset);
      reportedAt.push(i);
    }
  });
  for (const onset of picker.flush()) {
    onsets.push(onset);
    reportedAt.push(novelty.length);
  }
  return { onsets, reportedAt };
}

function curve(length: number, peaks: Record<number, number>): number[] {
  return Array.from({ length }, (_, i) => peaks[i] ?? 0);
}

describe("OnsetPeakPicker", () => {
  it("has a delay of max(postMax, postAvg) frames: 6 frames (70 ms) by default", () => {
    expect(new OnsetPeakPicker(RATE_HZ, HOP).delayFrames).toBe(6);
    expect(new OnsetPeakPicker(RATE_HZ, HOP, { postAvgMs: 0, postMaxMs: 0 }).delayFrames).toBe(0);
  });

  it("reports an isolated peak exactly delayFrames after it", () => {
    const { onsets, reportedAt } = pick(curve(60, { 20: 10 }));
    expect(onsets).toEqual([20]);
    expect(reportedAt).toEqual([26]);
  });

  it("applies peak >= meanRatio * local mean + threshold", () => {
    // Default: 3 * (value / 16 frames in the mean window) + 3.5.
    expect(pick(curve(60, { 20: 4.2 })).onsets).toEqual([]);
    expect(pick(curve(60, { 20: 4.4 })).onsets).toEqual([20]);
    expect(pick(curve(60, { 20: 4.4 }), { threshold: 5 }).onsets).toEqual([]);
  });

  it("keeps only the local maximum of neighbouring peaks", () => {
    expect(pick(curve(60, { 20: 10, 21: 12, 22: 6 })).onsets).toEqual([21]);
  });

  it("keeps the first of two peaks closer than minInterOnsetMs", () => {
    const novelty = curve(80, { 20: 10, 24: 10 });
    expect(pick(novelty, { minInterOnsetMs: 60, preMaxMs: 0 }).onsets).toEqual([20]);
    expect(pick(novelty, { minInterOnsetMs: 30, preMaxMs: 0 }).onsets).toEqual([20, 24]);
  });

  it("never reports an onset at a frame below the silence gate", () => {
    const levels = Array.from({ length: 60 }, () => -80);
    expect(pick(curve(60, { 20: 10 }), {}, levels).onsets).toEqual([]);
    expect(pick(curve(60, { 20: 10 }), { silenceGateDb: -60 }, levels.map(() => -65)).onsets).toEqual([]);
    expect(pick(curve(60, { 20: 10 }), { silenceGateDb: -90 }, levels).onsets).toEqual([20]);
  });

  it("decides the last frames at flush", () => {
    const { onsets, reportedAt } = pick(curve(24, { 21: 10 }));
    expect(onsets).toEqual([21]);
    expect(reportedAt).toEqual([24]);
  });

  it("reports nothing for silence", () => {
    expect(pick(curve(500, {})).onsets).toEqual([]);
  });

  it("rejects out-of-order frames and out-of-range options with ParameterError", () => {
    const picker = new OnsetPeakPicker(RATE_HZ, HOP);
    picker.push(0, LOUD_DB, 0);
    expect(() => picker.push(0, LOUD_DB, 2)).toThrow(ParameterError);
    expect(() => new OnsetPeakPicker(RATE_HZ, HOP, { threshold: -1 })).toThrow(ParameterError);
    expect(() => new OnsetPeakPicker(RATE_HZ, HOP, { minInterOnsetMs: Number.NaN })).toThrow(ParameterError);
  });

  it("declares every option once in ONSET_PARAMETERS with its default", () => {
    expect(Object.keys(ONSET_PARAMETERS).sort()).toEqual(Object.keys(DEFAULT_ONSET_PEAK_OPTIONS).sort());
    for (const [name, def] of Object.entries(ONSET_PARAMETERS)) {
      expect(def.key).toBe(name);
      expect(def.defaultValue).toBe(DEFAULT_ONSET_PEAK_OPTIONS[name as keyof OnsetPeakOptions]);
      expect(def.doc.length).toBeGreaterThan(10);
    }
    expect(() => new OnsetPeakPicker(RATE_HZ, HOP, { thresold: 1 } as Partial<OnsetPeakOptions>)).toThrow(ParameterError);
  });
});
