import { describe, expect, it } from "vitest";
import { createRng, kMeans } from "../../src/corpus/clusters.js";
import { gaussian } from "./helpers.js";

/** k-means++ seeding + Lloyd iterations with every distance summed in full: what `kMeans` must equal bit for bit. */
function referenceKMeans(points: Float32Array, count: number, dim: number, k: number, seed: number, maxIterations: number): Float32Array {
  const distance = (i: number, centroids: Float32Array, j: number): number => {
    let d = 0;
    for (let c = 0; c < dim; c++) {
      const diff = points[i * dim + c]! - centroids[j * dim + c]!;
      d += diff * diff;
    }
    return d;
  };
  const centroids = new Float32Array(k * dim);
  const random = createRng(seed);
  const nearest = new Float64Array(count).fill(Infinity);
  let chosen = Math.floor(random() * count);
  for (let j = 0; j < k; j++) {
    centroids.set(points.subarray(chosen * dim, chosen * dim + dim), j * dim);
    let total = 0;
    for (let i = 0; i < count; i++) {
      nearest[i] = Math.min(nearest[i]!, distance(i, centroids, j));
      total += nearest[i]!;
    }
    if (total <= 0) {
      chosen = Math.floor(random() * count);
      continue;
    }
    let target = random() * total;
    chosen = count - 1;
    for (let i = 0; i < count; i++) {
      target -= nearest[i]!;
      if (target <= 0) {
        chosen = i;
        break;
      }
    }
  }
  const assignment = new Int32Array(count).fill(-1);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let changed = 0;
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (distance(i, centroids, j) < distance(i, centroids, best)) best = j;
      if (assignment[i] !== best) changed++;
      assignment[i] = best;
    }
    if (changed <= count * 0.002) break;
    const sums = new Float64Array(k * dim);
    const sizes = new Int32Array(k);
    for (let i = 0; i < count; i++) {
      sizes[assignment[i]!]!++;
      for (let c = 0; c < dim; c++) sums[assignment[i]! * dim + c]! += points[i * dim + c]!;
    }
    for (let j = 0; j < k; j++) {
      if (sizes[j] === 0) continue;
      for (let c = 0; c < dim; c++) centroids[j * dim + c] = sums[j * dim + c]! / sizes[j]!;
    }
  }
  return centroids;
}

describe("kMeans", () => {
  it("equals plain k-means++ / Lloyd with full distance sums bit for bit (the early-stopped sums change nothing)", () => {
    const random = createRng(11);
    for (const [count, dim, k] of [
      [300, 75, 12],
      [64, 20, 6],
      [50, 3, 7],
      [5, 75, 5],
    ] as const) {
      const points = Float32Array.from({ length: count * dim }, (_, i) => 2 * gaussian(random) + ((i / dim) % 4) * 3);
      for (let i = 0; i < count; i += 9) points.copyWithin(i * dim, 0, dim); // duplicate points: ties
      const got = kMeans(points, count, dim, k, { seed: 3, maxIterations: 20 });
      const want = referenceKMeans(points, count, dim, k, 3, 20);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
  });
});
