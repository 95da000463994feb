import { describe, expect, it } from "vitest";
import { FRAME, FRAME_FEATURE_COUNT } from "../../../src/core/analysis/frame-features.js";
import { FrameRing } from "../../../src/core/analysis/frame-ring.js";
import { DESCRIPTOR_COUNT, descriptorIndex } from "../../../src/core/analysis/schema.js";
import { EDGE_FRAMES, UnitAccumulator, summariseFrames } from "../../../src/core/analysis/summarise.js";

function fillRing(ring: FrameRing, rows: number, fill: (row: Float32Array, offset: number, frame: number) => void): void {
  for (let f = 0; f < rows; f++) {
    const offset = ring.append();
    ring.values.fill(0, offset, offset + FRAME_FEATURE_COUNT);
    fill(ring.values, offset, f);
  }
}

describe("unit summary", () => {
  it("gives mean and standard deviation of each frame feature", () => {
    const ring = new FrameRing(16);
    // centroid alternates 1000 / 3000 Hz: mean 2000, std 1000
    fillRing(ring, 10, (row, o, f) => {
      row[o + FRAME.centroidHz] = f % 2 === 0 ? 1000 : 3000;
      row[o + FRAME.rmsDb] = -20;
    });
    const out = new Float32Array(DESCRIPTOR_COUNT);
    summariseFrames(ring, 0, 10, new UnitAccumulator(), out, 0.01, 0.1);
    expect(out[descriptorIndex("centroidHz.mean")]).toBeCloseTo(2000, 3);
    expect(out[descriptorIndex("centroidHz.std")]).toBeCloseTo(1000, 3);
    expect(out[descriptorIndex("rmsDb.mean")]).toBeCloseTo(-20, 5);
    expect(out[descriptorIndex("rmsDb.std")]).toBeCloseTo(0, 3);
    expect(out[descriptorIndex("durationSec")]).toBeCloseTo(0.1, 6);
  });

  it("takes start and end values from the first and last frames", () => {
    const ring = new FrameRing(16);
    fillRing(ring, 12, (row, o, f) => {
      row[o + FRAME.rmsDb] = -f; // 0, -1, ... -11 dB
    });
    const out = new Float32Array(DESCRIPTOR_COUNT);
    summariseFrames(ring, 0, 12, new UnitAccumulator(), out, 0.01, 0.12);
    const firstMean = -(0 + 1 + 2) / EDGE_FRAMES;
    const lastMean = -(9 + 10 + 11) / EDGE_FRAMES;
    expect(out[descriptorIndex("rmsDb.start")]).toBeCloseTo(firstMean, 5);
    expect(out[descriptorIndex("rmsDb.end")]).toBeCloseTo(lastMean, 5);
    expect(out[descriptorIndex("peakDb")]).toBeCloseTo(0, 6);
  });

  it("puts the attack time at the frame of peak level", () => {
    const ring = new FrameRing(16);
    fillRing(ring, 20, (row, o, f) => {
      row[o + FRAME.rmsDb] = f === 7 ? -3 : -30;
    });
    const out = new Float32Array(DESCRIPTOR_COUNT);
    summariseFrames(ring, 0, 20, new UnitAccumulator(), out, 0.0116, 0.232);
    expect(out[descriptorIndex("attackTimeSec")]).toBeCloseTo(7 * 0.0116, 6);
  });

  it("averages pitch over confident frames only, weighted by confidence", () => {
    const ring = new FrameRing(16);
    fillRing(ring, 4, (row, o, f) => {
      row[o + FRAME.f0Midi] = [60, 72, 30, 0][f]!;
      row[o + FRAME.pitchConfidence] = [1, 0.5, 0.2, 0][f]!;
    });
    const out = new Float32Array(DESCRIPTOR_COUNT);
    summariseFrames(ring, 0, 4, new UnitAccumulator(), out, 0.01, 0.04);
    expect(out[descriptorIndex("pitchMidi")]).toBeCloseTo((60 * 1 + 72 * 0.5) / 1.5, 4);
    expect(out[descriptorIndex("pitchConfidence")]).toBeCloseTo((1 + 0.5 + 0.2) / 4, 6);
  });

  it("reports pitch 0 when no frame is voiced", () => {
    const ring = new FrameRing(16);
    fillRing(ring, 5, () => {});
    const out = new Float32Array(DESCRIPTOR_COUNT);
    summariseFrames(ring, 0, 5, new UnitAccumulator(), out, 0.01, 0.05);
    expect(out[descriptorIndex("pitchMidi")]).toBe(0);
    expect(out.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe("frame ring", () => {
  it("keeps rows addressable by absolute frame index across growth and drops", () => {
    const ring = new FrameRing(16);
    for (let f = 0; f < 100; f++) {
      const o = ring.append();
      ring.values[o] = f;
      if (f % 10 === 9) ring.dropBefore(f - 5);
    }
    expect(ring.oldestFrame).toBe(94);
    for (let f = 94; f < 100; f++) expect(ring.values[ring.offsetOf(f)]).toBe(f);
    expect(() => ring.offsetOf(10)).toThrow(RangeError);
    expect(ring.capacity).toBe(16);
  });

  it("grows when more frames are held than it has room for, keeping every row", () => {
    const ring = new FrameRing(16);
    for (let f = 0; f < 70; f++) {
      const offset = ring.append(); // append first: growth replaces `values`
      ring.values[offset + FRAME.flux] = f * 2;
    }
    expect(ring.capacity).toBeGreaterThanOrEqual(70);
    for (let f = 0; f < 70; f++) expect(ring.values[ring.offsetOf(f) + FRAME.flux]).toBe(f * 2);
  });
});
