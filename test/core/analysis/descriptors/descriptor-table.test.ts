import { beforeAll, describe, expect, it } from "vitest";
import { DESCRIPTOR_NAMES, DESCRIPTOR_TABLE } from "../../../../src/core/analysis/descriptors/descriptor-table.js";
import { FrameDescriptorExtractor } from "../../../../src/core/analysis/descriptors/frame-descriptor-extractor.js";
import { ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES } from "../../../../src/core/analysis/analysis-config.js";
import { FRAME_FEATURES, FRAME_FEATURE_COUNT, frameFeatureIndex } from "../../../../src/core/analysis/frame-features.js";
import { amplitudeOf, corpusSignal, sines, whiteNoise } from "./meyda-oracle.js";

describe("DESCRIPTOR_TABLE", () => {
  it("lists exactly the frame row names of frame-features.ts, in row order, except the pitch tracker's pair", () => {
    const tableRows = DESCRIPTOR_NAMES.flatMap((name) => [...DESCRIPTOR_TABLE[name].rows]);
    expect(tableRows).toEqual(FRAME_FEATURES.filter((name) => name !== "f0Midi" && name !== "pitchConfidence"));
    expect(DESCRIPTOR_NAMES).toEqual(Object.keys(DESCRIPTOR_TABLE));
  });

  it("gives every descriptor a unit, a doc line, an ordered range and contiguous rows (one for a scalar)", () => {
    for (const name of DESCRIPTOR_NAMES) {
      const spec = DESCRIPTOR_TABLE[name];
      expect(spec.unit.length, name).toBeGreaterThan(0);
      expect(spec.doc.length, name).toBeGreaterThan(20);
      expect(spec.range[0], name).toBeLessThan(spec.range[1]);
      if (spec.kind === "scalar") expect(spec.rows.length, name).toBe(1);
      const first = frameFeatureIndex(spec.rows[0]!);
      spec.rows.forEach((row, i) => expect(frameFeatureIndex(row), `${name} ${row}`).toBe(first + i));
    }
  });

  describe("ranges hold on real and synthetic frames", () => {
    const frames: Float32Array[] = [
      new Float32Array(FRAME_SIZE_SAMPLES),
      sines([{ hz: 100, amplitude: 1 }]),
      sines([{ hz: 10000, amplitude: 1 }]),
      whiteNoise(1, 1),
      Float32Array.from({ length: FRAME_SIZE_SAMPLES }, (_, i) => (i % 2 === 0 ? 1 : -1)),
      new Float32Array(FRAME_SIZE_SAMPLES).fill(1),
    ];
    beforeAll(async () => {
      const loop = await corpusSignal("loop_amen.flac");
      for (let start = 0; start + FRAME_SIZE_SAMPLES <= loop.length; start += 4096) frames.push(loop.slice(start, start + FRAME_SIZE_SAMPLES));
    });

    it("keeps every value of every frame inside its descriptor's range, never NaN", () => {
      const extractor = new FrameDescriptorExtractor(ANALYSIS_RATE_HZ, FRAME_SIZE_SAMPLES);
      const row = new Float32Array(FRAME_FEATURE_COUNT);
      for (const frame of frames) {
        extractor.process(frame, amplitudeOf(frame), row, 0);
        for (const name of DESCRIPTOR_NAMES) {
          const { rows, range } = DESCRIPTOR_TABLE[name];
          for (const rowName of rows) {
            const value = row[frameFeatureIndex(rowName)]!;
            expect(Number.isNaN(value), rowName).toBe(false);
            expect(value, rowName).toBeGreaterThanOrEqual(range[0]);
            expect(value, rowName).toBeLessThanOrEqual(range[1]);
          }
        }
      }
      expect(frames.length).toBeGreaterThan(10);
    });
  });
});
