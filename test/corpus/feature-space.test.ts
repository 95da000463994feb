import { describe, expect, it } from "vitest";
import { DESCRIPTOR_COLUMNS, DESCRIPTOR_COUNT, descriptorIndex } from "../../src/core/analysis/schema.js";
import { ParameterError } from "../../src/core/errors.js";
import {
  columnWeights,
  DEFAULT_GROUP_WEIGHTS,
  fitFeatureSpace,
  fitFeatureSpaceSteps,
  nearestCluster,
  standardise,
  toIndexPoint,
  Z_CLIP,
} from "../../src/corpus/feature-space.js";
import { createRng, gaussian } from "./helpers.js";

function gaussianRows(count: number, mean: number, sigma: number, seed: number): Float32Array {
  const random = createRng(seed);
  return Float32Array.from({ length: count * DESCRIPTOR_COUNT }, () => mean + sigma * gaussian(random));
}

describe("feature space", () => {
  it("estimates median and robust sigma (IQR / 1.349) of Gaussian columns within 3 %", () => {
    const rows = gaussianRows(8000, 5, 2, 1);
    const space = fitFeatureSpace(rows, 8000, { corpusUnits: 8000 });
    const linear = descriptorIndex("flatness.mean");
    expect(space.transforms[linear]).toBe("linear");
    expect(space.center[linear]).toBeCloseTo(5, 1);
    expect(Math.abs(space.scale[linear]! / 2 - 1)).toBeLessThan(0.03);
  });

  it("is not moved by 5 % of wild outliers (mean/std would be)", () => {
    const rows = gaussianRows(4000, 0, 1, 2);
    const column = descriptorIndex("flux.mean");
    for (let r = 0; r < 200; r++) rows[r * DESCRIPTOR_COUNT + column] = 1e6;
    const space = fitFeatureSpace(rows, 4000, { corpusUnits: 4000 });
    expect(Math.abs(space.center[column]!)).toBeLessThan(0.2); // the mean would be 50,000
    expect(space.scale[column]!).toBeLessThan(1.3);
  });

  it("log-transforms durations and frequencies, clips z at 8 and maps NaN to the median", () => {
    const rows = gaussianRows(1000, 1, 0.1, 3);
    const space = fitFeatureSpace(rows, 1000, { corpusUnits: 1000 });
    expect(space.transforms[descriptorIndex("durationSec")]).toBe("log");
    expect(space.transforms[descriptorIndex("centroidHz.mean")]).toBe("log");
    const raw = new Float32Array(DESCRIPTOR_COUNT).fill(1);
    raw[0] = 1e9;
    raw[1] = Number.NaN;
    const z = new Float64Array(DESCRIPTOR_COUNT);
    standardise(space, raw, z);
    expect(z[0]).toBe(Z_CLIP);
    expect(z[1]).toBe(0);
  });

  it("gives each group a share of the squared distance proportional to sqrt(columns)", () => {
    const w = columnWeights(DEFAULT_GROUP_WEIGHTS, 0);
    const share: Record<string, number> = {};
    DESCRIPTOR_COLUMNS.forEach((_, c) => {
      const group = c === descriptorIndex("durationSec") ? "duration" : "other";
      share[group] = (share[group] ?? 0) + w[c]!;
    });
    expect(share["duration"]).toBeCloseTo(1, 10); // one column, weight 1 / sqrt(1)
    expect(() => columnWeights({ ...DEFAULT_GROUP_WEIGHTS, pitch: -1 }, 0)).toThrow(ParameterError);
  });

  it("fits deterministic clusters that separate well-separated blobs", () => {
    const count = 2000;
    const rows = new Float32Array(count * DESCRIPTOR_COUNT);
    const random = createRng(4);
    for (let r = 0; r < count; r++) {
      const blob = r % 2 === 0 ? -20 : 20;
      for (let c = 0; c < DESCRIPTOR_COUNT; c++) rows[r * DESCRIPTOR_COUNT + c] = blob + gaussian(random);
    }
    const a = fitFeatureSpace(rows, count, { corpusUnits: count, seed: 9 });
    const b = fitFeatureSpace(rows, count, { corpusUnits: count, seed: 9 });
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
    expect(a.clusterCount).toBe(32);
    const left = new Set<number>();
    const right = new Set<number>();
    for (let r = 0; r < 200; r++) {
      const cluster = nearestCluster(a, toIndexPoint(a, rows.subarray(r * DESCRIPTOR_COUNT, (r + 1) * DESCRIPTOR_COUNT)));
      (r % 2 === 0 ? left : right).add(cluster);
    }
    for (const cluster of left) expect(right.has(cluster)).toBe(false);
  });

  it("fits the same space step by step as in one go, pausing between columns and within the clustering", () => {
    const count = 3000;
    const rows = gaussianRows(count, 2, 3, 11);
    const whole = fitFeatureSpace(rows, count, { corpusUnits: count, seed: 5 });
    const steps = fitFeatureSpaceSteps(rows, count, { corpusUnits: count, seed: 5 });
    let pauses = 0;
    let next = steps.next();
    while (!next.done) {
      pauses++;
      next = steps.next();
    }
    const stepped = next.value;
    expect(Array.from(stepped.center)).toEqual(Array.from(whole.center));
    expect(Array.from(stepped.scale)).toEqual(Array.from(whole.scale));
    expect(Array.from(stepped.centroids)).toEqual(Array.from(whole.centroids));
    // one pause per column, one per seeded centroid, and one per 128 points of every Lloyd iteration
    expect(pauses).toBeGreaterThan(DESCRIPTOR_COUNT + whole.clusterCount + Math.floor(count / 128));
  });
});
