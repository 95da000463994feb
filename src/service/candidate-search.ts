/**
 * Candidates for many target units at once, on top of the corpus's public API.
 *
 * A regeneration asks for k neighbours of every target unit (dozens to hundreds of queries with the same
 * filter and weights). On a small corpus (<= `BATCH_EXACT_MAX_UNITS` live units) the units' index points
 * and records are loaded once per corpus state (cached until the catalog changes) and every query is an
 * exact weighted scan over the filtered units: no per-query filter compilation, selectivity estimate or
 * per-point native calls. Distances are the same RMS z-distances `Corpus.search` reports. Larger corpora
 * use `Corpus.search` (HNSW) per unit; a filter that only leaves out a few files (the target's own) is
 * answered by a slightly wider unfiltered search, and the records of the units found stay cached across
 * regenerations (one store read per new unit).
 */
import { ParameterError } from "../core/errors.js";
import type { Corpus } from "../corpus/corpus.js";
import { columnWeights, DEFAULT_GROUP_WEIGHTS, type GroupWeights } from "../corpus/feature-space.js";
import { resolveWeights } from "../corpus/search.js";
import type { UnitRecord } from "../corpus/store.js";
import { DEFAULT_HNSW_PARAMS } from "../corpus/vector-index.js";
import { compileFilter, type UnitFilter } from "../corpus/unit-filter.js";
import { NotFoundError } from "../corpus/corpus-error.js";
import { runStepsSliced, type Yielder } from "./time-slicer.js";
import { runSteps } from "../core/steps.js";

/** Live units up to which the batched exact scan is used: 8192 units (~5 MB of points). */
export const BATCH_EXACT_MAX_UNITS = 8192;
/** Unit records kept across regenerations on large corpora: 32768 (~15 MB). */
const RECORD_CACHE_UNITS = 32_768;
/** Extra neighbours fetched for a filter that only excludes units, at least: 16. */
const EXCLUSION_OVERFETCH_MIN = 16;

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

function currentTable(corpus: Corpus): PointTable | undefined {
  const cached = tables.get(corpus);
  return cached && cached.generation === corpus.catalog.generation && cached.spaceId === corpus.space.id ? cached : undefined;
}

/**
 * Loads the live units' index points and records (one store read per unit), yielding between units so
 * that a caller can spread the work over several event-loop turns. Units deleted meanwhile are left out
 * (only when `tolerateDeletes`); the table is kept for the catalog state it started from, so a later call
 * reloads it when that changed. A feature-space change meanwhile restarts the load.
 */
function* tableLoading(corpus: Corpus, tolerateDeletes: boolean): Generator<void, PointTable> {
  const catalog = corpus.catalog;
  const space = corpus.space;
  const generation = catalog.generation;
  const ids: number[] = [];
  for (let id = 1; id <= catalog.maxUnitId; id++) if (catalog.isLive(id)) ids.push(id);
  const records = new Map<number, UnitRecord>();
  const kept: number[] = [];
  let dimension = 0;
  let points = new Float64Array(0);
  for (const id of ids) {
    yield;
    if (corpus.space.id !== space.id) return yield* tableLoading(corpus, tolerateDeletes);
    let record: UnitRecord;
    try {
      record = corpus.unit(id);
    } catch (error) {
      if (tolerateDeletes && error instanceof NotFoundError) continue;
      throw error;
    }
    records.set(id, record);
    const point = corpus.toPoint(record.vector, record.embedding);
    if (kept.length === 0) {
      dimension = point.length;
      points = new Float64Array(ids.length * dimension);
    }
    points.set(point, kept.length * dimension);
    kept.push(id);
  }
  const table: PointTable = { generation, spaceId: space.id, ids: Int32Array.from(kept), dimension, points, records };
  tables.set(corpus, table);
  return table;
}

function pointTable(corpus: Corpus): PointTable {
  const cached = currentTable(corpus);
  if (cached) return cached;
  return runSteps(tableLoading(corpus, false));
}

async function loadPointTable(corpus: Corpus, yielder: Yielder | undefined): Promise<PointTable> {
  if (!yielder) return pointTable(corpus);
  return runStepsSliced(tableLoading(corpus, true), yielder);
}

/**
 * Unit records read from the store, kept across regenerations (least recently used first out). A unit's
 * row never changes once written (units are added and deleted, never updated), so a cached record stays
 * right; only ids a search just returned (live units) are looked up.
 */
const recordCaches = new WeakMap<Corpus, Map<number, UnitRecord>>();

/**
 * A stored unit: from the batch table or the record cache when they hold it (no SQLite read), else from
 * the store (and then cached).
 * @throws NotFoundError when there is no such unit.
 */
export function cachedUnit(corpus: Corpus, unitId: number): UnitRecord {
  const fromTable = tables.get(corpus)?.records.get(unitId);
  if (fromTable) return fromTable;
  let cache = recordCaches.get(corpus);
  if (!cache) {
    cache = new Map();
    recordCaches.set(corpus, cache);
  }
  const hit = cache.get(unitId);
  if (hit) {
    cache.delete(unitId);
    cache.set(unitId, hit);
    return hit;
  }
  const record = corpus.unit(unitId);
  cache.set(unitId, record);
  if (cache.size > RECORD_CACHE_UNITS) cache.delete(cache.keys().next().value!);
  return record;
}

/** Answers candidate queries with one k, filter and weights. */
export interface CandidateSearcher {
  /**
   * k nearest corpus units of a raw descriptor vector (null: no candidates) and its unit embedding (when
   * the corpus has embeddings; null: descriptors decide), sorted by distance, then unit id.
   */
  search(vector: Float32Array | null, embedding?: Float32Array | null): UnitCandidates;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > 10_000) throw new ParameterError(`k: expected an integer in [1, 10000], got ${k}`);
}

export interface CandidateSearchOptions {
  /** Live units up to which the batched exact scan answers (default `BATCH_EXACT_MAX_UNITS`). */
  readonly exactMaxUnits?: number;
}

/** True when the batched exact scan answers (small corpora); else each query is an index search. */
function usesExactScan(corpus: Corpus, options: CandidateSearchOptions): boolean {
  const live = corpus.catalog.liveUnitCount;
  return live > 0 && live <= (options.exactMaxUnits ?? BATCH_EXACT_MAX_UNITS);
}

/** Filter keys that only exclude (a few files or units); any other key restricts the search. */
const EXCLUDING_KEYS: ReadonlySet<string> = new Set(["excludeFileIds", "excludeUnitIds"]);

/** Units a filter that only excludes files and units leaves out; undefined when the filter restricts more. */
function excludedUnitCount(corpus: Corpus, filter: UnitFilter): number | undefined {
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || EXCLUDING_KEYS.has(key)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    return undefined;
  }
  let count = filter.excludeUnitIds?.length ?? 0;
  for (const fileId of filter.excludeFileIds ?? []) count += corpus.store.getFile(fileId)?.unitCount ?? 0;
  return count;
}

/**
 * Index searches, one per query. A filter that only excludes a few files or units (a regeneration leaves
 * out its target's own file) is answered by an unfiltered search for a few more neighbours with the
 * excluded ones dropped: as cheap as k alone while the over-fetch stays within the search list (ef), and
 * without a filter callback on every visited node. When too many of them were excluded, the filtered
 * search answers instead.
 */
function indexSearcher(corpus: Corpus, k: number, filter: UnitFilter, weights: Partial<GroupWeights> | undefined): CandidateSearcher {
  const live = corpus.catalog.liveUnitCount;
  const excluded = excludedUnitCount(corpus, filter);
  const overfetch = excluded === undefined ? 0 : Math.min(excluded, Math.max(EXCLUSION_OVERFETCH_MIN, DEFAULT_HNSW_PARAMS.efSearch - k));
  const excludedFiles = new Set(filter.excludeFileIds ?? []);
  const excludedUnits = new Set(filter.excludeUnitIds ?? []);
  return {
    search(vector, embedding) {
      if (!vector || live === 0) return { unitIds: [], distances: [] };
      const point = corpus.toPoint(vector, embedding);
      if (overfetch > 0) {
        const wide = corpus.search({ point, k: k + overfetch, weights });
        const files = corpus.catalog.unitFile;
        const kept = wide.hits.filter((h) => !excludedUnits.has(h.unitId) && !excludedFiles.has(files[h.unitId] ?? 0));
        if (kept.length >= k || wide.hits.length < k + overfetch) {
          const hits = kept.slice(0, k);
          return { unitIds: hits.map((h) => h.unitId), distances: hits.map((h) => h.distance) };
        }
      }
      const outcome = corpus.search({ point, k, filter, weights });
      return { unitIds: outcome.hits.map((h) => h.unitId), distances: outcome.hits.map((h) => h.distance) };
    },
  };
}

function exactSearcher(corpus: Corpus, table: PointTable, k: number, filter: UnitFilter, weights: Partial<GroupWeights> | undefined): CandidateSearcher {
  const resolved = resolveWeights(weights);
  const clusterOf = (filter.clusters?.length ?? 0) > 0 ? corpus.clusters() : new Int16Array(0);
  const compiled = compileFilter(filter, corpus.catalog, clusterOf);
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
  const matching: number[] = [];
  for (let i = 0; i < table.ids.length; i++) if (compiled.test(table.ids[i]!)) matching.push(i);
  const rows = Int32Array.from(matching);
  const points = table.points;
  const bestDistance = new Float64Array(k);
  const bestRow = new Int32Array(k);
  const query = new Float64Array(dim);
  return {
    search(vector, embedding) {
      if (!vector) return { unitIds: [], distances: [] };
      query.set(corpus.toPoint(vector, embedding));
      let count = 0;
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
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
    },
  };
}

/**
 * A searcher for many target units with one k, filter and weights: the batched exact scan on small
 * corpora, index searches on large ones. The point table of a small corpus is loaded here when the corpus
 * changed since the last call, in slices when a `yielder` is given.
 * @throws ParameterError on bad k, weights or filters.
 */
export async function prepareCandidateSearch(
  corpus: Corpus,
  k: number,
  filter: UnitFilter,
  weights: Partial<GroupWeights> | undefined,
  yielder?: Yielder,
  options: CandidateSearchOptions = {},
): Promise<CandidateSearcher> {
  checkK(k);
  if (!usesExactScan(corpus, options)) {
    resolveWeights(weights);
    return indexSearcher(corpus, k, filter, weights);
  }
  const table = currentTable(corpus) ?? (await loadPointTable(corpus, yielder));
  return exactSearcher(corpus, table, k, filter, weights);
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
  options: CandidateSearchOptions = {},
): UnitCandidates[] {
  checkK(k);
  const searcher = usesExactScan(corpus, options) ? exactSearcher(corpus, pointTable(corpus), k, filter, weights) : indexSearcher(corpus, k, filter, weights);
  return vectors.map((vector) => searcher.search(vector));
}
