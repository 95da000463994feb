/**
 * k-nearest-neighbour search over the index with filters and per-query group weights.
 *
 * - Unfiltered, default weights: one HNSW query.
 * - Filters: the filter's selectivity is estimated on a sample of unit ids. Few matches (<= 4096) are
 *   ranked exactly (every matching point compared); otherwise HNSW runs with the filter as its callback
 *   and a candidate list widened to hold the over-fetch. If the filtered HNSW search comes back short
 *   although enough units match, the exact scan answers instead, so a selective filter never silently
 *   loses results.
 * - Weights: the index holds points at default weights. A weighted query over-fetches (8 x k, at least
 *   64 candidates) and re-ranks them by the weighted distance. Stored point p = z * s0 (s0 default column
 *   scale), so the weighted squared distance is sum_c (w_c / w0_c) * (q_c - p_c)^2.
 *
 * Reported distances are RMS z-distances over the weighted columns: sqrt(sum_c w_c dz_c^2 / sum_c w_c),
 * i.e. "on average this many robust standard deviations apart", comparable across weight settings.
 */
import { ParameterError } from "../core/errors.js";
import { columnWeights, DEFAULT_GROUP_WEIGHTS, WEIGHT_GROUPS, type FeatureSpace, type GroupWeights, type WeightGroup } from "./feature-space.js";
import type { UnitCatalog } from "./unit-catalog.js";
import { collectMatches, compileFilter, type CompiledFilter, type UnitFilter } from "./unit-filter.js";
import type { VectorIndex } from "./vector-index.js";

/**
 * Matching sets up to this size are ranked exactly: 512 point reads (~13 us each through hnswlib-node's
 * getPoint), ~7 ms. Larger sets use the filtered HNSW search, with an exact fallback if it comes back short.
 */
export const EXACT_SCAN_MAX_UNITS = 512;
/** Excluded unit ids (a query's own unit) up to this many are handled by over-fetching: 64. */
const OVERFETCH_EXCLUDED_MAX = 64;
/** Unit ids sampled to estimate a filter's selectivity. */
const SELECTIVITY_SAMPLE = 2048;
/** Over-fetch for weighted re-ranking. */
const WEIGHTED_OVERFETCH = 8;
const WEIGHTED_MIN_CANDIDATES = 64;
/** Upper bound of the HNSW candidate list. */
const MAX_EF = 4096;
/** The exact fallback after a short filtered HNSW answer ranks at most this many units (bounded latency). */
const EXACT_FALLBACK_MAX_UNITS = 65_536;

export interface SearchRequest {
  /** The query point in index space (`toIndexPoint`). */
  readonly point: number[];
  readonly k: number;
  readonly filter?: UnitFilter;
  readonly weights?: Partial<GroupWeights>;
}

export interface SearchHit {
  readonly unitId: number;
  /** RMS z-distance over the weighted columns. */
  readonly distance: number;
}

export type SearchStrategy = "hnsw" | "hnsw-filtered" | "exact";

export interface SearchOutcome {
  readonly hits: SearchHit[];
  readonly strategy: SearchStrategy;
  /** Candidates compared (HNSW results or scanned units). */
  readonly candidates: number;
}

export interface SearchContext {
  readonly space: FeatureSpace;
  readonly index: VectorIndex;
  readonly catalog: UnitCatalog;
  readonly clusterOf: Int16Array;
  /** True when the index may hold units the catalog no longer has (it lags the change log). */
  readonly indexLags: boolean;
}

/**
 * Resolves partial weights: missing groups take `base` (the default weights: every group 1).
 * @throws ParameterError on unknown groups or negative / non-finite values, or all weights 0.
 */
export function resolveWeights(weights: Partial<Record<string, number>> | undefined, base: GroupWeights = DEFAULT_GROUP_WEIGHTS): GroupWeights {
  const out: Record<WeightGroup, number> = { ...base };
  if (weights) {
    for (const [group, value] of Object.entries(weights)) {
      if (value === undefined) continue;
      if (!(WEIGHT_GROUPS as readonly string[]).includes(group)) {
        throw new ParameterError(`unknown weight group "${group}" (known: ${WEIGHT_GROUPS.join(", ")})`);
      }
      if (!Number.isFinite(value) || value < 0) throw new ParameterError(`weight ${group}=${value}: expected a number >= 0`);
      out[group as WeightGroup] = value;
    }
  }
  if (WEIGHT_GROUPS.every((group) => out[group] === 0)) throw new ParameterError("all weights are 0");
  return out;
}

/** True when the weights rank like the index's points (the embedding group counts only in a space that has one). */
function isDefault(weights: GroupWeights, embeddingDim: number): boolean {
  return WEIGHT_GROUPS.every((group) => weights[group] === DEFAULT_GROUP_WEIGHTS[group] || (group === "embedding" && embeddingDim === 0));
}

/** Per-column ratio w / w0 and the RMS normaliser 1 / sum(w). */
function weighting(space: FeatureSpace, weights: GroupWeights): { ratio: Float64Array; inverseTotal: number } {
  const w = columnWeights(weights, space.embeddingDim);
  const w0 = columnWeights(DEFAULT_GROUP_WEIGHTS, space.embeddingDim);
  const ratio = new Float64Array(w.length);
  let total = 0;
  for (let c = 0; c < w.length; c++) {
    ratio[c] = w0[c]! > 0 ? w[c]! / w0[c]! : 0;
    total += w[c]!;
  }
  return { ratio, inverseTotal: total > 0 ? 1 / total : 0 };
}

function weightedSquared(query: number[], point: number[], ratio: Float64Array): number {
  let d = 0;
  for (let c = 0; c < query.length; c++) {
    const diff = query[c]! - point[c]!;
    d += ratio[c]! * diff * diff;
  }
  return d;
}

function rank(
  context: SearchContext,
  request: SearchRequest,
  labels: ArrayLike<number>,
  ratio: Float64Array,
  inverseTotal: number,
  k: number,
  defaultDistances?: readonly number[],
): SearchHit[] {
  const scored: SearchHit[] = [];
  for (let i = 0; i < labels.length; i++) {
    const unitId = labels[i]!;
    if (defaultDistances) {
      // Default weights: the HNSW distance already is the weighted squared distance.
      scored.push({ unitId, distance: Math.sqrt(Math.max(0, defaultDistances[i]!) * inverseTotal) });
      continue;
    }
    const point = context.index.getPoint(unitId);
    if (!point) continue;
    scored.push({ unitId, distance: Math.sqrt(weightedSquared(request.point, point, ratio) * inverseTotal) });
  }
  scored.sort((a, b) => a.distance - b.distance || a.unitId - b.unitId);
  return scored.slice(0, k);
}

function estimateMatches(context: SearchContext, filter: CompiledFilter): number {
  const maxId = context.catalog.maxUnitId;
  if (maxId <= SELECTIVITY_SAMPLE) {
    let count = 0;
    for (let id = 1; id <= maxId; id++) if (filter.test(id)) count++;
    return count;
  }
  // Deterministic stratified sample: one id per stride, offset by a fixed golden-ratio sequence.
  let hits = 0;
  const stride = maxId / SELECTIVITY_SAMPLE;
  for (let i = 0; i < SELECTIVITY_SAMPLE; i++) {
    const id = 1 + Math.min(maxId - 1, Math.floor((i + ((i * 0.618033988749895) % 1)) * stride));
    if (filter.test(id)) hits++;
  }
  return Math.round((hits / SELECTIVITY_SAMPLE) * maxId);
}

/**
 * Runs one query.
 * @throws ParameterError for bad k, weights or filters.
 */
export function searchUnits(context: SearchContext, request: SearchRequest): SearchOutcome {
  const k = request.k;
  if (!Number.isInteger(k) || k < 1 || k > 10_000) throw new ParameterError(`k: expected an integer in [1, 10000], got ${k}`);
  if (request.point.length !== context.index.dimension) {
    throw new RangeError(`query point has ${request.point.length} values, index has ${context.index.dimension}`);
  }
  const weights = resolveWeights(request.weights);
  const weighted = !isDefault(weights, context.space.embeddingDim);
  const { ratio, inverseTotal } = weighting(context.space, weights);
  const filter = compileFilter(request.filter ?? {}, context.catalog, context.clusterOf);
  const wanted = weighted ? Math.min(MAX_EF, Math.max(WEIGHTED_MIN_CANDIDATES, k * WEIGHTED_OVERFETCH)) : k;
  const live = context.catalog.liveUnitCount;
  if (live === 0) return { hits: [], strategy: "hnsw", candidates: 0 };

  const clean = !context.indexLags && live === context.catalog.unitCount;
  if (clean && (!filter.restrictive || (filter.excludedUnitsOnly >= 0 && filter.excludedUnitsOnly <= OVERFETCH_EXCLUDED_MAX))) {
    // No filter, or only a few excluded units: fetch that many more and drop them (no per-candidate callback).
    const extra = Math.max(0, filter.excludedUnitsOnly);
    const result = context.index.search(request.point, wanted + extra, Math.max(context.index.params.efSearch, wanted + extra));
    let labels: ArrayLike<number> = result.labels;
    let distances: readonly number[] = result.distances;
    if (extra > 0) {
      const keep = result.labels.map((label) => filter.test(label));
      labels = result.labels.filter((_, i) => keep[i]);
      distances = result.distances.filter((_, i) => keep[i]);
    }
    return {
      hits: rank(context, request, labels, ratio, inverseTotal, k, weighted ? undefined : distances),
      strategy: "hnsw",
      candidates: labels.length,
    };
  }

  const estimate = filter.restrictive ? estimateMatches(context, filter) : live;
  if (estimate <= EXACT_SCAN_MAX_UNITS * 2) {
    const matches = collectMatches(context.catalog, filter);
    if (matches.length <= EXACT_SCAN_MAX_UNITS) {
      return { hits: rank(context, request, matches, ratio, inverseTotal, k), strategy: "exact", candidates: matches.length };
    }
  }
  const fraction = Math.max(1e-6, Math.min(1, estimate / Math.max(1, context.catalog.maxUnitId)));
  const ef = Math.min(MAX_EF, Math.max(context.index.params.efSearch, wanted, Math.ceil(context.index.params.efSearch / Math.sqrt(fraction))));
  const result = context.index.search(request.point, wanted, ef, filter.test);
  if (result.labels.length < Math.min(wanted, estimate)) {
    const matches = collectMatches(context.catalog, filter);
    if (result.labels.length < Math.min(wanted, matches.length) && matches.length <= EXACT_FALLBACK_MAX_UNITS) {
      return { hits: rank(context, request, matches, ratio, inverseTotal, k), strategy: "exact", candidates: matches.length };
    }
  }
  return {
    hits: rank(context, request, result.labels, ratio, inverseTotal, k, weighted ? undefined : result.distances),
    strategy: "hnsw-filtered",
    candidates: result.labels.length,
  };
}
