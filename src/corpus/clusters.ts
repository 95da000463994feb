/**
 * Unsupervised categories: seeded k-means (k-means++ seeding, Lloyd iterations) over index-space points.
 * Deterministic for a given input order and seed.
 */
import { createSeededRandom as createRng } from "../core/select/seeded-random.js";
import { runSteps } from "../core/steps.js";

/** mulberry32 seeded PRNG in [0, 1): one implementation, `src/core/select/seeded-random.ts`. */
export { createRng };

/** Columns summed between two checks against the bound in `squaredDistanceBelow`. */
const BOUND_CHECK_COLUMNS = 16;

/**
 * The squared distance when it is below `bound`, else some value >= `bound` (summing stops early: the
 * partial sums of squares never decrease, also in floating point, so a stopped sum could not have ended
 * below the bound). Callers only compare the result with `bound`: the outcome is that of the full sum.
 */
function squaredDistanceBelow(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dim: number, bound: number): number {
  let d = 0;
  let c = 0;
  while (c < dim) {
    const end = Math.min(dim, c + BOUND_CHECK_COLUMNS);
    for (; c < end; c++) {
      const diff = a[aOffset + c]! - b[bOffset + c]!;
      d += diff * diff;
    }
    if (d >= bound) return d;
  }
  return d;
}

export interface KMeansOptions {
  readonly seed: number;
  readonly maxIterations: number;
}

/** Lloyd iterations stop when at most this fraction of the points changed cluster: 0.2 %. */
const CONVERGED_FRACTION = 0.002;

/** Points handled between two pauses of `kMeansSteps` (about 0.1-0.5 ms of work at 32 x 75). */
const POINTS_PER_STEP = 128;


/**
 * Clusters `count` points of `dim` values into `k` centroids.
 * @param points row-major `count * dim`.
 * @returns `k * dim` centroid values (fewer distinct centroids when there are fewer distinct points:
 *   duplicates then share a position).
 */
export function kMeans(points: Float32Array, count: number, dim: number, k: number, options: KMeansOptions): Float32Array {
  return runSteps(kMeansSteps(points, count, dim, k, options));
}

/**
 * `kMeans` as a step generator: it pauses (yields) every few hundred points, so a caller on the main
 * thread can spread the work over event-loop turns; the result is the same as `kMeans`.
 */
export function* kMeansSteps(points: Float32Array, count: number, dim: number, k: number, options: KMeansOptions): Generator<void, Float32Array> {
  const centroids = new Float32Array(k * dim);
  if (count === 0 || k === 0) return centroids;
  const random = createRng(options.seed);
  // k-means++ seeding (Arthur & Vassilvitskii 2007): each next seed drawn with probability ~ D(x)^2.
  const nearest = new Float64Array(count).fill(Infinity);
  let chosen = Math.floor(random() * count);
  for (let j = 0; j < k; j++) {
    centroids.set(points.subarray(chosen * dim, chosen * dim + dim), j * dim);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const d = squaredDistanceBelow(points, i * dim, centroids, j * dim, dim, nearest[i]!);
      if (d < nearest[i]!) nearest[i] = d;
      total += nearest[i]!;
    }
    yield;
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
  const sums = new Float64Array(k * dim);
  const sizes = new Int32Array(k);
  for (let iteration = 0; iteration < options.maxIterations; iteration++) {
    let changed = 0;
    for (let i = 0; i < count; i++) {
      if (i % POINTS_PER_STEP === POINTS_PER_STEP - 1) yield;
      let best = 0;
      let bestDistance = Infinity;
      for (let j = 0; j < k; j++) {
        const d = squaredDistanceBelow(points, i * dim, centroids, j * dim, dim, bestDistance);
        if (d < bestDistance) {
          bestDistance = d;
          best = j;
        }
      }
      if (assignment[i] !== best) {
        assignment[i] = best;
        changed++;
      }
    }
    // Converged: fewer than 0.2 % of the points moved (on CC0 descriptors the inertia is then within
    // 0.1 % of the fixed point, at about half the iterations).
    if (changed <= count * CONVERGED_FRACTION) break;
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < count; i++) {
      const j = assignment[i]!;
      sizes[j]!++;
      for (let c = 0; c < dim; c++) sums[j * dim + c]! += points[i * dim + c]!;
    }
    for (let j = 0; j < k; j++) {
      if (sizes[j] === 0) continue; // an empty cluster keeps its centroid
      for (let c = 0; c < dim; c++) centroids[j * dim + c] = sums[j * dim + c]! / sizes[j]!;
    }
  }
  return centroids;
}
