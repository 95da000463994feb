/**
 * The feature space of the index: how a raw descriptor vector (`DESCRIPTOR_SCHEMA` order) becomes the
 * point stored in HNSW.
 *
 * 1. Per-column transform: log10 for quantities spanning decades (durations, attack, frequencies).
 * 2. Robust standardisation: `z = (x - median) / (IQR / 1.349)`, clipped to +-8. Median/IQR, not
 *    mean/std, because descriptor columns are heavy-tailed (spectral flux, spread, -120 dB floors of
 *    near-silent units, minutes-long loops among 100 ms hits): a handful of outliers would otherwise set
 *    the scale for everyone. IQR/1.349 equals the standard deviation for Gaussian data, so z keeps its
 *    usual meaning; a column with IQR 0 falls back to its standard deviation, then to 1.
 * 3. Group weighting: every column of group g is multiplied by `sqrt(W_g / sqrt(n_g))` (n_g columns
 *    in the group, W_g the default group weight 1), so a group's share of the squared distance grows
 *    with the square root of its size: timbre (40 columns) 41 %, pitch (26) 33 %, loudness (8) 18 %,
 *    duration (1) 6.5 %. Raw per-column weighting would drown duration; equal per-group weighting
 *    would let one duration column count as much as 40 timbre columns.
 *
 * The statistics are fitted on the corpus and frozen under a feature-space id; the index records the
 * id it was built with, and a new id means a full rebuild from the stored raw vectors (never a mix).
 * The cluster centroids (k-means in the weighted space) belong to the same id.
 */
import { DESCRIPTOR_COLUMNS, DESCRIPTOR_COUNT, DESCRIPTOR_GROUPS, DESCRIPTOR_SCHEMA_VERSION } from "../core/analysis/schema.js";
import { ParameterError } from "../core/errors.js";
import { runSteps } from "../core/steps.js";
import { kMeansSteps } from "./clusters.js";

/** Groups a query can weight. `embedding` applies when the space holds learned embeddings. */
export const WEIGHT_GROUPS = ["timbre", "pitch", "loudness", "duration", "embedding"] as const;
export type WeightGroup = (typeof WEIGHT_GROUPS)[number];
export type GroupWeights = Readonly<Record<WeightGroup, number>>;

export const DEFAULT_GROUP_WEIGHTS: GroupWeights = { timbre: 1, pitch: 1, loudness: 1, duration: 1, embedding: 1 };

/** z-scores are clipped here: 8 robust standard deviations. */
export const Z_CLIP = 8;
/** Floor before log10 (1 ms, 1 Hz-ish): keeps zero attack times and DC-only frames finite. */
const LOG_FLOOR = 1e-3;
/** Sample size for fitting: 65,536 units fix medians and quartiles to well under 1 % of the IQR. */
export const FIT_SAMPLE_UNITS = 65_536;
/** Upper bound on clusters. */
export const MAX_CLUSTERS = 32;
/**
 * k-means runs on at most this many sampled units (64 per centroid at 32 clusters): 2048 x 32 centroids x
 * 75 columns x about 10 iterations, ~50 ms, paid at every refit while a new corpus grows.
 */
const CLUSTER_SAMPLE_UNITS = 2048;

export type ColumnTransform = "linear" | "log";

/** The transform of a descriptor column: log for durations and frequencies (they span decades). */
export function columnTransform(column: string): ColumnTransform {
  if (column === "durationSec" || column === "attackTimeSec") return "log";
  if (/Hz\.(mean|start|end)$/.test(column)) return "log";
  return "linear";
}

export interface FeatureSpace {
  /** Store id; 0 for a space that has not been saved yet. */
  readonly id: number;
  readonly schemaVersion: number;
  readonly columns: readonly string[];
  readonly transforms: readonly ColumnTransform[];
  /** Median of each (transformed) column. */
  readonly center: Float32Array;
  /** Robust scale of each (transformed) column, > 0. */
  readonly scale: Float32Array;
  /** Length of the embedding part (0: descriptors only). */
  readonly embeddingDim: number;
  /** The embedding model (`name@version`) whose vectors fill the embedding part; null without one. */
  readonly embeddingModel: string | null;
  /**
   * Factor applied to the L2-normalised embedding so that its columns vary as much as z-scored
   * descriptor columns (mean column variance 1): sqrt(dim / (1 - |mean embedding|^2)), fitted on the
   * sample (sqrt(dim) without one). Without it a unit-length embedding would weigh ~1/dim of a group.
   */
  readonly embeddingScale: number;
  /** `clusterCount * dimension` values in index space (weighted). */
  readonly centroids: Float32Array;
  readonly clusterCount: number;
  /** How many units the statistics were fitted on (the corpus size at fit time). */
  readonly fittedOnUnits: number;
}

/** Number of values per index point. */
export function spaceDimension(space: Pick<FeatureSpace, "columns" | "embeddingDim">): number {
  return space.columns.length + space.embeddingDim;
}

const TRANSFORMS: readonly ColumnTransform[] = DESCRIPTOR_COLUMNS.map(columnTransform);

/** Squared-distance weight of one column of each group at unit group weight: 1 / sqrt(n_g). */
const GROUP_COLUMN_SHARE: Readonly<Record<WeightGroup, number>> = (() => {
  const counts: Record<WeightGroup, number> = { timbre: 0, pitch: 0, loudness: 0, duration: 0, embedding: 0 };
  for (const group of DESCRIPTOR_GROUPS) counts[group]++;
  const share = {} as Record<WeightGroup, number>;
  for (const group of WEIGHT_GROUPS) share[group] = counts[group] > 0 ? 1 / Math.sqrt(counts[group]) : 1;
  return share;
})();

/** Index of each column's group in `WEIGHT_GROUPS`. */
const COLUMN_GROUP_INDEX: Int8Array = Int8Array.from(DESCRIPTOR_GROUPS, (group) => WEIGHT_GROUPS.indexOf(group));

/**
 * Per-column squared-distance weights `W_g / sqrt(n_g)` for given group weights, descriptor columns
 * first, then the embedding columns (sharing `embedding` equally).
 * @throws ParameterError on a negative or non-finite weight.
 */
export function columnWeights(weights: GroupWeights, embeddingDim: number): Float64Array {
  for (const group of WEIGHT_GROUPS) {
    const w = weights[group];
    if (!Number.isFinite(w) || w < 0) throw new ParameterError(`weight ${group}=${w}: expected a number >= 0`);
  }
  const out = new Float64Array(DESCRIPTOR_COUNT + embeddingDim);
  for (let c = 0; c < DESCRIPTOR_COUNT; c++) {
    const group = WEIGHT_GROUPS[COLUMN_GROUP_INDEX[c]!]!;
    out[c] = weights[group] * GROUP_COLUMN_SHARE[group];
  }
  const embeddingShare = embeddingDim > 0 ? weights.embedding / Math.sqrt(embeddingDim) : 0;
  for (let c = 0; c < embeddingDim; c++) out[DESCRIPTOR_COUNT + c] = embeddingShare;
  return out;
}

const defaultScalesByEmbeddingDim = new Map<number, Float32Array>();

/** The index-space multipliers at default weights: `sqrt(columnWeights(DEFAULT))` (shared, do not modify). */
export function defaultColumnScales(embeddingDim: number): Float32Array {
  let scales = defaultScalesByEmbeddingDim.get(embeddingDim);
  if (scales === undefined) {
    scales = Float32Array.from(columnWeights(DEFAULT_GROUP_WEIGHTS, embeddingDim), (w) => Math.sqrt(w));
    defaultScalesByEmbeddingDim.set(embeddingDim, scales);
  }
  return scales;
}

function transformValue(value: number, transform: ColumnTransform): number {
  return transform === "log" ? Math.log10(Math.max(value, LOG_FLOOR)) : value;
}

/**
 * Raw vector -> robust z-scores (unweighted), NaN mapped to 0 (the median).
 * @param raw `DESCRIPTOR_COUNT` values; @param out receives `DESCRIPTOR_COUNT` values.
 */
export function standardise(space: FeatureSpace, raw: ArrayLike<number>, out: Float64Array | Float32Array): void {
  const n = space.columns.length;
  for (let c = 0; c < n; c++) {
    const x = transformValue(raw[c]!, space.transforms[c]!);
    let z = (x - space.center[c]!) / space.scale[c]!;
    if (!(z === z)) z = 0;
    out[c] = z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
  }
}

/**
 * Raw descriptor vector (+ optional embedding) -> the index point (standardised, default-weighted).
 * @returns a plain array (what hnswlib-node takes) of `spaceDimension(space)` values.
 */
export function toIndexPoint(space: FeatureSpace, raw: ArrayLike<number>, embedding?: ArrayLike<number> | null): number[] {
  const n = space.columns.length;
  const z = new Float64Array(n);
  standardise(space, raw, z);
  const scales = defaultColumnScales(space.embeddingDim);
  const point = new Array<number>(n + space.embeddingDim);
  for (let c = 0; c < n; c++) point[c] = z[c]! * scales[c]!;
  if (space.embeddingDim > 0) {
    let norm = 0;
    if (embedding) for (let i = 0; i < space.embeddingDim; i++) norm += (embedding[i] ?? 0) ** 2;
    const inv = norm > 0 ? space.embeddingScale / Math.sqrt(norm) : 0;
    for (let i = 0; i < space.embeddingDim; i++) point[n + i] = (embedding ? (embedding[i] ?? 0) * inv : 0) * scales[n + i]!;
  }
  return point;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** IQR of a unit-variance Gaussian: 1.349, so IQR / 1.349 estimates the standard deviation. */
const IQR_PER_SIGMA = 1.349;
/** A scale below this is treated as a constant column. */
const MIN_SCALE = 1e-9;

export interface FitOptions {
  /** Total corpus units when the sample was drawn (recorded as `fittedOnUnits`). */
  readonly corpusUnits: number;
  readonly embeddingDim?: number;
  readonly embeddingModel?: string | null;
  /** Sampled unit embeddings (any length-`embeddingDim` vectors) for fitting `embeddingScale`. */
  readonly embeddings?: readonly Float32Array[];
  readonly seed?: number;
}

/**
 * Fits a feature space (statistics + clusters) on a sample of raw vectors.
 * @param vectors `count * DESCRIPTOR_COUNT` raw values, row-major.
 * @param count number of rows (may be 0: the identity space, used before any unit exists).
 */
export function fitFeatureSpace(vectors: Float32Array, count: number, options: FitOptions): FeatureSpace {
  return runSteps(fitFeatureSpaceSteps(vectors, count, options));
}

/**
 * `fitFeatureSpace` as a step generator: pauses after every column and every few hundred points of the
 * clustering, so the main thread can fit between queries (see `Corpus`); same result.
 */
export function* fitFeatureSpaceSteps(vectors: Float32Array, count: number, options: FitOptions): Generator<void, FeatureSpace> {
  const n = DESCRIPTOR_COUNT;
  const center = new Float32Array(n);
  const scale = new Float32Array(n).fill(1);
  const column = new Float64Array(count);
  for (let c = 0; c < n; c++) {
    let m = 0;
    for (let r = 0; r < count; r++) {
      const x = transformValue(vectors[r * n + c]!, TRANSFORMS[c]!);
      if (x === x) column[m++] = x;
    }
    const sorted = column.subarray(0, m).sort();
    center[c] = median(sorted);
    let s = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / IQR_PER_SIGMA;
    if (!(s > MIN_SCALE) && m > 1) {
      let mean = 0;
      for (let i = 0; i < m; i++) mean += sorted[i]!;
      mean /= m;
      let v = 0;
      for (let i = 0; i < m; i++) v += (sorted[i]! - mean) ** 2;
      s = Math.sqrt(v / (m - 1));
    }
    scale[c] = s > MIN_SCALE ? s : 1;
    yield;
  }
  const base: FeatureSpace = {
    id: 0,
    schemaVersion: DESCRIPTOR_SCHEMA_VERSION,
    columns: DESCRIPTOR_COLUMNS,
    transforms: TRANSFORMS,
    center,
    scale,
    embeddingDim: options.embeddingDim ?? 0,
    embeddingModel: options.embeddingModel ?? null,
    embeddingScale: fitEmbeddingScale(options.embeddingDim ?? 0, options.embeddings ?? []),
    centroids: new Float32Array(0),
    clusterCount: 0,
    fittedOnUnits: options.corpusUnits,
  };
  const clusterCount = Math.min(MAX_CLUSTERS, Math.max(count > 0 ? 1 : 0, Math.round(Math.sqrt(count / 2))));
  if (clusterCount === 0) return base;
  const dim = n;
  const step = Math.max(1, Math.floor(count / CLUSTER_SAMPLE_UNITS));
  const rows = Math.ceil(count / step);
  const points = new Float32Array(rows * dim);
  const scales = defaultColumnScales(0);
  const z = new Float64Array(n);
  for (let r = 0, i = 0; r < count && i < rows; r += step, i++) {
    standardise(base, vectors.subarray(r * n, r * n + n), z);
    for (let c = 0; c < n; c++) points[i * dim + c] = z[c]! * scales[c]!;
  }
  const centroids = yield* kMeansSteps(points, rows, dim, clusterCount, { seed: options.seed ?? 1, maxIterations: 20 });
  // Centroids live in descriptor space only; an embedding tail (if any) does not take part in clustering.
  return { ...base, centroids, clusterCount };
}

/** Least spread assumed for embeddings, 1 - |mean|^2 (a collapsed model must not blow the scale up). */
const MIN_EMBEDDING_SPREAD = 0.05;

/**
 * `embeddingScale` of a space: sqrt(dim / (1 - |m|^2)) where m is the mean of the L2-normalised sample
 * embeddings (for unit vectors the summed column variance is 1 - |m|^2).
 */
export function fitEmbeddingScale(embeddingDim: number, embeddings: readonly Float32Array[]): number {
  if (embeddingDim === 0) return 1;
  const mean = new Float64Array(embeddingDim);
  let count = 0;
  for (const e of embeddings) {
    if (e.length !== embeddingDim) continue;
    let norm = 0;
    for (let i = 0; i < embeddingDim; i++) norm += e[i]! * e[i]!;
    if (!(norm > 0)) continue;
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < embeddingDim; i++) mean[i] = mean[i]! + e[i]! * inv;
    count++;
  }
  if (count < 2) return Math.sqrt(embeddingDim);
  let meanNorm = 0;
  for (let i = 0; i < embeddingDim; i++) meanNorm += (mean[i]! / count) ** 2;
  return Math.sqrt(embeddingDim / Math.max(MIN_EMBEDDING_SPREAD, 1 - meanNorm));
}

/** The nearest centroid of an index point (descriptor part), or -1 when the space has no clusters. */
export function nearestCluster(space: FeatureSpace, point: ArrayLike<number>): number {
  const dim = space.columns.length;
  let best = -1;
  let bestDistance = Infinity;
  for (let k = 0; k < space.clusterCount; k++) {
    let d = 0;
    const offset = k * dim;
    for (let c = 0; c < dim; c++) {
      const diff = point[c]! - space.centroids[offset + c]!;
      d += diff * diff;
    }
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

/** True when the space was fitted for the current descriptor schema and the given embedding model. */
export function isCurrentSpace(space: FeatureSpace, embedding: EmbeddingSpec | null = null): boolean {
  return (
    space.schemaVersion === DESCRIPTOR_SCHEMA_VERSION &&
    space.columns.length === DESCRIPTOR_COUNT &&
    space.columns.every((name, i) => name === DESCRIPTOR_COLUMNS[i]) &&
    space.embeddingDim === (embedding?.dim ?? 0) &&
    space.embeddingModel === (embedding?.model ?? null)
  );
}

/** The embedding part of a corpus: which model (`name@version`) and how many values per unit. */
export interface EmbeddingSpec {
  readonly model: string;
  readonly dim: number;
}
