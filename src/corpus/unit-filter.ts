/**
 * Query filters over the unit catalog: folders (globs), categories, clusters, duration / pitch /
 * loudness ranges, excluded files and units. A filter compiles to a predicate over unit ids that reads
 * only typed arrays, so it can run inside the HNSW search callback.
 */
import { ParameterError } from "../core/errors.js";
import { categoryMask } from "./categories.js";
import { compileFolderGlob, toGlobPath } from "./glob.js";
import type { UnitCatalog } from "./unit-catalog.js";

/** An inclusive numeric range; a missing bound is open. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
}

export interface UnitFilter {
  /** Folder globs (see `glob.ts`); a unit matches when its file matches any of them. */
  readonly folders?: readonly string[];
  /** Category names; a unit matches when its file has any of them. */
  readonly categories?: readonly string[];
  /** Cluster ids; a unit matches when it is in any of them. */
  readonly clusters?: readonly number[];
  readonly durationSec?: Range;
  /** Pitch range in MIDI notes; unpitched units never match a pitch range. */
  readonly pitchMidi?: Range;
  /** Mean level range, dBFS. */
  readonly loudnessDb?: Range;
  readonly rootIds?: readonly number[];
  readonly excludeFileIds?: readonly number[];
  readonly excludeUnitIds?: readonly number[];
}

export interface CompiledFilter {
  /** True when the filter restricts anything beyond "searchable". */
  readonly restrictive: boolean;
  /** Stable text of the filter (cache key). */
  readonly key: string;
  /**
   * When the only restriction is a list of excluded unit ids (a query excluding its own unit): how many.
   * -1 otherwise. Such a filter is better served by over-fetching than by a filtered search.
   */
  readonly excludedUnitsOnly: number;
  /** Unit id -> matches (live units only). */
  readonly test: (unitId: number) => boolean;
}

function checkRange(name: string, range: Range | undefined): void {
  if (!range) return;
  for (const bound of [range.min, range.max]) {
    if (bound !== undefined && !Number.isFinite(bound)) throw new ParameterError(`${name}: range bound ${bound} is not a number`);
  }
  if (range.min !== undefined && range.max !== undefined && range.min > range.max) {
    throw new ParameterError(`${name}: min ${range.min} is above max ${range.max}`);
  }
}

function inRange(value: number, range: Range): boolean {
  // NaN fails both comparisons: unpitched units never match a pitch range.
  return (range.min === undefined || value >= range.min) && (range.max === undefined || value <= range.max);
}

const folderCache = new WeakMap<UnitCatalog, { generation: number; byKey: Map<string, Uint8Array> }>();

/** Per file id: 1 when the file's path matches one of the globs. Cached per catalog file generation. */
function matchingFiles(catalog: UnitCatalog, globs: readonly string[]): Uint8Array {
  let cache = folderCache.get(catalog);
  if (!cache || cache.generation !== catalog.fileGeneration) {
    cache = { generation: catalog.fileGeneration, byKey: new Map() };
    folderCache.set(catalog, cache);
  }
  const key = JSON.stringify(globs);
  const hit = cache.byKey.get(key);
  if (hit) return hit;
  const patterns = globs.map(compileFolderGlob);
  let maxId = 0;
  for (const file of catalog.allFiles()) if (file.id > maxId) maxId = file.id;
  const out = new Uint8Array(maxId + 1);
  for (const file of catalog.allFiles()) {
    const path = toGlobPath(file.path);
    if (patterns.some((pattern) => pattern.test(path))) out[file.id] = 1;
  }
  if (cache.byKey.size > 32) cache.byKey.clear();
  cache.byKey.set(key, out);
  return out;
}

/**
 * Compiles a filter against the catalog (and the current clusters).
 * @param clusterOf cluster id per unit id (-1 none).
 * @throws ParameterError on unknown categories, bad globs or inverted ranges.
 */
export function compileFilter(filter: UnitFilter, catalog: UnitCatalog, clusterOf: Int16Array): CompiledFilter {
  checkRange("duration", filter.durationSec);
  checkRange("pitch", filter.pitchMidi);
  checkRange("loudness", filter.loudnessDb);
  const mask = filter.categories && filter.categories.length > 0 ? categoryMask(filter.categories) : 0;
  const folders = filter.folders && filter.folders.length > 0 ? matchingFiles(catalog, filter.folders) : undefined;
  const clusters = filter.clusters && filter.clusters.length > 0 ? new Set(filter.clusters) : undefined;
  const roots = filter.rootIds && filter.rootIds.length > 0 ? new Set(filter.rootIds) : undefined;
  const excludeFiles = filter.excludeFileIds && filter.excludeFileIds.length > 0 ? new Set(filter.excludeFileIds) : undefined;
  const excludeUnits = filter.excludeUnitIds && filter.excludeUnitIds.length > 0 ? new Set(filter.excludeUnitIds) : undefined;
  const { durationSec, pitchMidi, loudnessDb } = filter;
  const restrictive =
    mask !== 0 ||
    folders !== undefined ||
    clusters !== undefined ||
    roots !== undefined ||
    excludeFiles !== undefined ||
    excludeUnits !== undefined ||
    durationSec !== undefined ||
    pitchMidi !== undefined ||
    loudnessDb !== undefined;
  const unitFile = catalog.unitFile;
  const fileLive = catalog.fileLive;
  const fileMask = catalog.fileMask;
  const test = (unitId: number): boolean => {
    const fileId = unitFile[unitId] ?? 0;
    if (fileId === 0 || fileLive[fileId] !== 1) return false;
    if (mask !== 0 && (fileMask[fileId]! & mask) === 0) return false;
    if (folders !== undefined && folders[fileId] !== 1) return false;
    if (clusters !== undefined && !clusters.has(clusterOf[unitId] ?? -1)) return false;
    if (roots !== undefined && !roots.has(catalog.file(fileId)?.rootId ?? -1)) return false;
    if (excludeFiles !== undefined && excludeFiles.has(fileId)) return false;
    if (excludeUnits !== undefined && excludeUnits.has(unitId)) return false;
    if (durationSec !== undefined && !inRange(catalog.unitDurationSec[unitId]!, durationSec)) return false;
    if (pitchMidi !== undefined && !inRange(catalog.unitPitchMidi[unitId]!, pitchMidi)) return false;
    if (loudnessDb !== undefined && !inRange(catalog.unitLoudnessDb[unitId]!, loudnessDb)) return false;
    return true;
  };
  const key = JSON.stringify({ ...filter, folders: filter.folders ?? [], categories: filter.categories ?? [] });
  const excludedUnitsOnly =
    excludeUnits !== undefined &&
    mask === 0 &&
    folders === undefined &&
    clusters === undefined &&
    roots === undefined &&
    excludeFiles === undefined &&
    durationSec === undefined &&
    pitchMidi === undefined &&
    loudnessDb === undefined
      ? excludeUnits.size
      : -1;
  return { restrictive, key, test, excludedUnitsOnly };
}

/** Ids of all units that pass `filter.test`, ascending. */
export function collectMatches(catalog: UnitCatalog, filter: CompiledFilter): Int32Array {
  const out: number[] = [];
  const maxId = catalog.maxUnitId;
  for (let id = 1; id <= maxId; id++) if (filter.test(id)) out.push(id);
  return Int32Array.from(out);
}
