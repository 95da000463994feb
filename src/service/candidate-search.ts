/**
 * Candidates for many target units at once, on top of the corpus's public API.
 *
 * A regeneration asks for k neighbours of every target unit (dozens to hundreds of queries with the same
 * filter and weights). On a small corpus (<= `BATCH_EXACT_MAX_UNITS` live units) the units' index points
 * and records are loaded once per corpus state (cached until the catalog changes) and every query is an
 * exact weighted scan over the filtered units: no per-query filter compilation, selectivity estimate or
 * per-point native calls. Distances are the same RMS z-distances `Corpus.search` reports. Larger corpora
 * use `Corpus.search` (HNSW) per unit.
 */
import { ParameterError } from "../core/errors.js";
import type { Corpus } from "../corpus/corpus.js";
import { columnWeights, DEFAULT_GROUP_WEIGHTS, type GroupWeights } from "../corpus/feature-space.js";
import { resolveWeights } from "../corpus/search.js";
import type { UnitRecord } from "../corpus/store.js";
import { compileFilter, type UnitFilter } from "../corpus/unit-filter.js";

/** Live units up to which the batched exact scan is used: 8192 units (~5 MB of points). */
export const BATCH_EXACT_MAX_UNITS = 8192;

export interface UnitCandidates {
  readonly unitIds: number[];
  readonly distances: number[];
}

interface PointTable {
  readonly generation: number;
  readonly spaceId: number;
  readonly ids: Int32Array;
  readonly dimension: number;
  /** `ids.length * dimension` index-space values. */
  readonly points: Float64Array;
  readonly records: Map<number, UnitRecord>;
}

const tables = new WeakMap<Corpus, PointTable>();

function pointTable(corpus: Corpus): PointTable {
  const catalog = corpus.catalog;
  const space = corpus.space;
  const cached = tables.get(corpus);
  if (cached && cached.generation === catalog.generation && cached.spaceId === space.id) return cached;
  const ids: number[] = [];
  for (let id = 1; id <= catalog.maxUnitId; id++) if (catalog.isLive(id)) ids.push(id);
  const records = new Map<number, UnitRecord>();
  let dimension = 0;
  let points = new Float64Array(0);
  ids.forEach((id, i) => {
    const record = corpus.unit(id);
    records.set(id, record);
    const point = corpus.toPoint(record.vector, record.embedding);
    if (i === 0) {
      dimension = point.length;
      points = new Float64Array(ids.length * dimension);
    }
    points.set(point, i * dimension);
  });
  const table: PointTable = { generation: catalog.generation, spaceId: space.id, ids: Int32Array.from(ids), dimension, points, records };
  tables.set(corpus, table);
  return table;
}

/**
 * A stored unit, from the batch cache when it holds it (no SQLite read), else from the store.
 * @throws NotFoundError when there is no such unit.
 */
export function cachedUnit(corpus: Corpus, unitId: number): UnitRecord {
  return tables.get(corpus)?.records.get(unitId) ?? corpus.unit(unitId);
}

/**
 * k nearest corpus units of each query vector (raw descriptor vectors, as units carry them).
 * @param vectors one raw descriptor vector per query; null entries get no candidates.
 * @returns per query, unit ids and RMS z-distances sorted by distance, then unit id.
 * @throws ParameterError on bad k, weights or filters.
 */
export function searchCandidates(
  corpus: Corpus,
  vectors: readonly (Float32Array | null)[],
  k: number,
  filter: UnitFilter,
  weights: Partial<GroupWeights> | undefined,
): UnitCandidates[] {
  if (!Number.isInteger(k) || k < 1 || k > 10_000) throw new ParameterError(`k: expected an integer in [1, 10000], got ${k}`);
  const live = corpus.catalog.liveUnitCount;
  if (live === 0 || live > BATCH_EXACT_MAX_UNITS) {
    return vectors.map((vector) => {
      if (!vector || live === 0) return { unitIds: [], distances: [] };
      const outcome = corpus.search({ point: corpus.toPoint(vector), k, filter, weights });
      return { unitIds: outcome.hits.map((h) => h.unitId), distances: outcome.hits.map((h) => h.distance) };
    });
  }
  const resolved = resolveWeights(weights);
  const clusterOf = (filter.clusters?.length ?? 0) > 0 ? corpus.clusters() : new Int16Array(0);
  const compiled = compileFilter(filter, corpus.catalog, clusterOf);
  const table = pointTable(corpus);
  const dim = table.dimension;
  // Stored points are z * s0 (default weights); the weighted squared distance is sum (w / w0) (q - p)^2.
  const w = columnWeights(resolved, corpus.space.embeddingDim);
  const w0 = columnWeights(DEFAULT_GROUP_WEIGHTS, corpus.space.embeddingDim);
  const ratio = new Float64Array(dim);
  let total = 0;
  for (let c = 0; c < dim; c++) {
    ratio[c] = w0[c]! > 0 ? w[c]! / w0[c]! : 0;
    total += w[c]!;
  }
  const inverseTotal = total > 0 ? 1 / total : 0;
  const rows: number[] = [];
  for (let i = 0; i < table.ids.length; i++) if (compiled.test(table.ids[i]!)) rows.push(i);

  const bestDistance = new Float64Array(k);
  const bestRow = new Int32Array(k);
  return vectors.map((vector) => {
    if (!vector) return { unitIds: [], distances: [] };
    const query = Float64Array.from(corpus.toPoint(vector));
    const points = table.points;
    let count = 0;
    for (const row of rows) {
      const base = row * dim;
      const worst = count === k ? bestDistance[k - 1]! : Infinity;
      let d = 0;
      // Partial distances only grow: stop as soon as this point cannot enter the top k.
      for (let c = 0; c < dim && d < worst; c += 8) {
        const stop = Math.min(dim, c + 8);
        for (let j = c; j < stop; j++) {
          const diff = query[j]! - points[base + j]!;
          d += ratio[j]! * diff * diff;
        }
      }
      if (!(d < worst)) continue;
      // Insertion into the sorted top-k (ties keep the lower unit id: rows are in id order).
      let j = count < k ? count++ : k - 1;
      while (j > 0 && bestDistance[j - 1]! > d) {
        bestDistance[j] = bestDistance[j - 1]!;
        bestRow[j] = bestRow[j - 1]!;
        j--;
      }
      bestDistance[j] = d;
      bestRow[j] = row;
    }
    const unitIds: number[] = [];
    const distances: number[] = [];
    for (let j = 0; j < count; j++) {
      unitIds.push(table.ids[bestRow[j]!]!);
      distances.push(Math.sqrt(Math.max(0, bestDistance[j]!) * inverseTotal));
    }
    return { unitIds, distances };
  });
}
