/**
 * The corpus: the store (source of truth) plus what is derived from it in memory: the unit catalog
 * (filter metadata) and the HNSW index generation (feature space + index + cluster ids). Every change
 * goes through the store first; the change log then drives the catalog (at once) and the index (in
 * time slices of a few milliseconds, so queries keep being answered while thousands of units arrive).
 *
 * Durability: the index is persisted as snapshots that name the change sequence they contain. On open,
 * the newest matching snapshot is loaded and the log after it replayed; if there is none (or it is
 * corrupt, of another feature space or store), the index is rebuilt from the stored vectors.
 *
 * Cold start: the feature space (normalisation statistics + clusters) is refitted whenever the corpus
 * has grown by `growthFactor` (2) since the last fit (at 1, 2, 4, 8 ... units) until a fit has seen
 * `freezeAtUnits` units; then it is frozen. Each refit is a new feature-space id and a full rebuild
 * built beside the live index and swapped in when complete, so the index never mixes two spaces. The
 * rebuilds form a geometric series: together they cost less than two builds of the final index.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { DESCRIPTOR_COUNT } from "../core/analysis/schema.js";
import { ParameterError } from "../core/errors.js";
import { NotFoundError } from "./corpus-error.js";
import { DB_FILE_NAME, INDEX_DIR_NAME } from "./data-dir.js";
import {
  FIT_SAMPLE_UNITS,
  fitFeatureSpaceSteps,
  isCurrentSpace,
  type EmbeddingSpec,
  nearestCluster,
  spaceDimension,
  toIndexPoint,
  type FeatureSpace,
} from "./feature-space.js";
import { schemaVersionPrefix } from "./scanner.js";
import { searchUnits, type SearchOutcome, type SearchRequest } from "./search.js";
import {
  CHANGE_ADD,
  CorpusStore,
  type AnalysisCommit,
  type CommitResult,
  type FileCommit,
  type FileIdentityRow,
  type FilePresence,
  type FileRecord,
  type RootRecord,
  type RootStatus,
  type UnitRecord,
} from "./store.js";
import { UnitCatalog } from "./unit-catalog.js";
import {
  DEFAULT_HNSW_PARAMS,
  listSnapshots,
  removeStaleTempFiles,
  snapshotSizeMatches,
  VectorIndex,
  writeSnapshot,
  type HnswParams,
  type SnapshotName,
} from "./vector-index.js";
import { acquireWriterLock, type WriterLock } from "./writer-lock.js";

export interface RefitPolicy {
  /** Refit when the corpus holds this many times the units of the last fit. */
  readonly growthFactor: number;
  /** No automatic refit once a fit has seen this many units. */
  readonly freezeAtUnits: number;
  /**
   * While the corpus grows fast (a new collection being indexed), refits wait for this long after the
   * previous one unless the corpus has grown by `eagerGrowthFactor` meanwhile. Default 0 (never wait).
   */
  readonly minIntervalMs?: number;
  /** Growth that refits at once however recent the last refit was (with `minIntervalMs`). */
  readonly eagerGrowthFactor?: number;
}

/**
 * Refit at every doubling until 50,000 units: the statistics always describe at least half the corpus,
 * and all rebuilds together cost less than two builds of the final index. While a collection is indexed
 * at full speed (thousands of units a second), at most one doubling refit per 10 s, else every
 * quadrupling: the rebuilds then cost about a third of the final build instead of one build, on the main
 * thread that also answers queries, and the statistics still describe at least a quarter of the corpus.
 */
export const DEFAULT_REFIT_POLICY: RefitPolicy = { growthFactor: 2, freezeAtUnits: 50_000, minIntervalMs: 10_000, eagerGrowthFactor: 4 };

export interface SnapshotPolicy {
  /** Snapshot once this many changes are not yet in a snapshot... */
  readonly minChanges: number;
  /** ...or when the oldest unsnapshotted change is this old (ms). */
  readonly maxAgeMs: number;
}

/** 20,000 changes or 60 s: a restart replays at most a few seconds of work. */
export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { minChanges: 20_000, maxAgeMs: 60_000 };

/** Rebuild (compact) when more than this fraction of the index's points are deleted. */
const COMPACT_DELETED_FRACTION = 0.3;
/** ...and the index holds at least this many points. */
const COMPACT_MIN_POINTS = 10_000;
/** Index work per time slice: 8 ms keeps query latency low while indexing. */
export const DEFAULT_SLICE_MS = 8;
/** Rows read from the store per batch. */
const BATCH_ROWS = 512;

export type CorpusPhase = "catalog" | "snapshot" | "replay" | "fit" | "rebuild";

export interface CorpusProgress {
  readonly phase: CorpusPhase;
  readonly done: number;
  readonly total: number;
}

export interface CorpusOptions {
  readonly dataDir: string;
  /** Read without writing (no lock, no snapshots, no refits): a `find` next to a running indexer. */
  readonly readOnly?: boolean;
  readonly hnsw?: HnswParams;
  readonly refit?: RefitPolicy;
  readonly snapshot?: SnapshotPolicy;
  readonly sliceMs?: number;
  readonly onProgress?: (progress: CorpusProgress) => void;
  /**
   * The embedding part of the vectors: a model and its size, null for descriptors only, undefined to keep
   * what the store was built with. A change drops the units of the other model (their files are analysed
   * again) and fits a new feature space: never a mix. Read-only opens always keep the stored choice.
   */
  readonly embedding?: EmbeddingSpec | null;
  /** The embedding of a new corpus (no feature space saved yet) when `embedding` is undefined. */
  readonly defaultEmbedding?: EmbeddingSpec;
  /** Background maintenance failures (snapshot write, refit); the corpus keeps serving from memory. */
  readonly onError?: (error: Error) => void;
  readonly nowMs?: () => number;
}

/** Clusters of single units remembered between queries (per index generation): 100,000 entries. */
const CLUSTER_MEMO_MAX = 100_000;

/** After a failed maintenance run, automatic refits and snapshots pause for 30 s (no busy retry loop). */
const MAINTENANCE_BACKOFF_MS = 30_000;

interface Generation {
  readonly space: FeatureSpace;
  readonly index: VectorIndex;
  /** Cluster id per unit id: -2 not computed yet, -1 none. Filled lazily (see `clusters()`). */
  clusters: Int16Array | null;
  appliedSeq: number;
  writing: boolean;
}

export interface IndexHealth {
  readonly state: "ready" | "rebuilding";
  readonly loadedFrom: "snapshot" | "rebuild" | "empty";
  readonly spaceId: number;
  readonly spaceFittedOnUnits: number;
  readonly dimension: number;
  readonly clusterCount: number;
  readonly indexedSeq: number;
  readonly lastSeq: number;
  /** Changes in the store not yet in the index. */
  readonly lag: number;
  readonly storedPoints: number;
  readonly liveUnits: number;
  readonly snapshot: { readonly seq: number; readonly sizeBytes: number; readonly fileName: string } | null;
  /** The last background maintenance failure (snapshot write, refit), if any. */
  readonly lastError: string | null;
}

export interface DiskUse {
  readonly databaseBytes: number;
  readonly indexBytes: number;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The store plus its in-memory derivatives. Create with `Corpus.open`. */
export class Corpus {
  readonly dataDir: string;
  readonly indexDir: string;
  readonly store: CorpusStore;
  readonly catalog = new UnitCatalog();
  readonly readOnly: boolean;
  private generation!: Generation;
  private catalogSeq = 0;
  private readonly hnsw: HnswParams;
  private readonly refitPolicy: RefitPolicy;
  private readonly snapshotPolicy: SnapshotPolicy;
  private readonly sliceMs: number;
  private readonly onProgress: (progress: CorpusProgress) => void;
  private readonly onError: (error: Error) => void;
  private readonly nowMs: () => number;
  private maintenancePausedUntilMs = 0;
  /** The last background failure, shown by `health()`. */
  private lastError: string | null = null;
  private readonly lock: WriterLock | null;
  private pumpScheduled = false;
  private idleWaiters: (() => void)[] = [];
  private rebuilding: Promise<void> | null = null;
  /** When this process last fitted a feature space (null: not yet; a refit is then never delayed). */
  private lastFitAtMs: number | null = null;
  private deferredRefitTimer: NodeJS.Timeout | null = null;
  private rebuildStartSeq = Number.POSITIVE_INFINITY;
  private maintaining: Promise<void> | null = null;
  private lastSnapshot: SnapshotName | null = null;
  /** Snapshot writes run one after another (each removes the files of the ones before). */
  private snapshotChain: Promise<void> = Promise.resolve();
  private firstUnsnapshottedAtMs: number | null = null;
  private loadedFrom: IndexHealth["loadedFrom"] = "empty";
  private closed = false;
  private embeddingSpec: EmbeddingSpec | null = null;
  private clusterMemo: { generation: Generation; clusters: Map<number, number> } | null = null;
  private readonly requestedEmbedding: EmbeddingSpec | null | undefined;
  private readonly defaultEmbedding: EmbeddingSpec | null;

  private constructor(options: CorpusOptions, store: CorpusStore, lock: WriterLock | null) {
    this.dataDir = options.dataDir;
    this.indexDir = join(options.dataDir, INDEX_DIR_NAME);
    this.store = store;
    this.lock = lock;
    this.readOnly = options.readOnly ?? false;
    this.hnsw = options.hnsw ?? DEFAULT_HNSW_PARAMS;
    this.refitPolicy = options.refit ?? DEFAULT_REFIT_POLICY;
    this.snapshotPolicy = options.snapshot ?? DEFAULT_SNAPSHOT_POLICY;
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    this.onProgress = options.onProgress ?? (() => undefined);
    this.onError = options.onError ?? (() => undefined);
    this.nowMs = options.nowMs ?? Date.now;
    this.requestedEmbedding = options.embedding;
    this.defaultEmbedding = options.defaultEmbedding ?? null;
  }

  /** The embedding model and size the corpus vectors carry (null: descriptors only). */
  get embedding(): EmbeddingSpec | null {
    return this.embeddingSpec;
  }

  /**
   * Opens a corpus: store, catalog, feature space and index (snapshot + replay, or rebuild).
   * @throws StoreError when the database cannot be opened or another process holds the writer lock.
   */
  static async open(options: CorpusOptions): Promise<Corpus> {
    const readOnly = options.readOnly ?? false;
    let lock: WriterLock | null = null;
    let store: CorpusStore;
    if (readOnly) {
      store = CorpusStore.open(options.dataDir, { readOnly: true, nowMs: options.nowMs });
    } else {
      store = CorpusStore.open(options.dataDir, { nowMs: options.nowMs });
      try {
        lock = acquireWriterLock(options.dataDir);
      } catch (error) {
        store.close();
        throw error;
      }
    }
    const corpus = new Corpus(options, store, lock);
    try {
      await corpus.load();
    } catch (error) {
      store.close();
      lock?.release();
      throw error;
    }
    return corpus;
  }

  private async load(): Promise<void> {
    let space = this.store.currentFeatureSpace();
    const stored: EmbeddingSpec | null =
      space && space.embeddingDim > 0 && space.embeddingModel !== null ? { model: space.embeddingModel, dim: space.embeddingDim } : null;
    this.embeddingSpec = this.readOnly
      ? stored
      : this.requestedEmbedding !== undefined
        ? this.requestedEmbedding
        : space
          ? stored
          : this.defaultEmbedding;
    if (!this.readOnly) {
      await removeStaleTempFiles(this.indexDir);
      // Never a mix: units of another descriptor schema or embedding model go (their files are analysed again).
      this.store.invalidateOtherSchemas(schemaVersionPrefix(this.embeddingSpec?.model ?? null));
    }
    if (!space || !isCurrentSpace(space, this.embeddingSpec)) {
      space = await this.fitSpace();
      this.loadedFrom = "rebuild";
    }
    // The snapshot loads on a libuv thread while the catalog fills here (it yields between batches):
    // at a million units each takes about a second, and the first answer waits for both.
    const snapshotLoading = this.loadSnapshot(space);
    snapshotLoading.catch(() => undefined);
    await this.loadCatalog();
    const snapshot = await snapshotLoading;
    if (snapshot) {
      this.generation = { space, index: snapshot.index, clusters: null, appliedSeq: snapshot.name.seq, writing: false };
      this.lastSnapshot = snapshot.name;
      this.loadedFrom = "snapshot";
      this.replayAll(this.generation, "replay");
    } else {
      this.generation = await this.buildGeneration(space);
      this.loadedFrom = this.store.unitCount() > 0 ? "rebuild" : "empty";
      if (!this.readOnly && this.store.unitCount() > 0) await this.snapshot().catch((error: Error) => this.onError(error));
    }
  }

  private async loadCatalog(): Promise<void> {
    const seq = this.store.lastSeq();
    let after = 0;
    for (;;) {
      const files = this.store.filesAfter(after, 4096);
      if (files.length === 0) break;
      for (const file of files) this.catalog.setFile(file);
      after = files[files.length - 1]!.id;
    }
    const total = this.store.unitCount();
    let done = 0;
    after = 0;
    for (;;) {
      const units = this.store.unitScalarsAfter(after, 8192);
      if (units.length === 0) break;
      for (const unit of units) this.catalog.addUnit(unit);
      after = units[units.length - 1]!.id;
      done += units.length;
      this.onProgress({ phase: "catalog", done, total });
      await yieldToEventLoop(); // lets the snapshot read start and go on meanwhile
    }
    // Changes committed while loading are replayed (catalog updates are idempotent).
    this.catalogSeq = seq;
    this.syncCatalog();
  }

  /**
   * Fits a feature space on the stored vectors; saved (and made current) unless read-only. Runs in time
   * slices (sample read in batches, statistics and clustering as steps): queries keep being answered.
   */
  private async fitSpace(): Promise<FeatureSpace> {
    const total = this.store.unitCount();
    this.onProgress({ phase: "fit", done: 0, total });
    // Every `step`-th unit in id order, read a batch at a time.
    const step = Math.max(1, Math.ceil(total / FIT_SAMPLE_UNITS));
    const capacity = Math.min(total, FIT_SAMPLE_UNITS);
    const vectors = new Float32Array(capacity * DESCRIPTOR_COUNT);
    const embeddings: Float32Array[] = [];
    let count = 0;
    let rowNumber = 0;
    let after = 0;
    let sliceStart = performance.now();
    while (count < capacity) {
      const rows = this.store.unitVectorsAfter(after, BATCH_ROWS * 8);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (rowNumber++ % step !== 0 || count >= capacity) continue;
        vectors.set(row.vector.subarray(0, DESCRIPTOR_COUNT), count * DESCRIPTOR_COUNT);
        if (row.embedding) embeddings.push(row.embedding);
        count++;
      }
      after = rows[rows.length - 1]!.id;
      if (performance.now() - sliceStart >= this.sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    const steps = fitFeatureSpaceSteps(vectors, count, {
      corpusUnits: total,
      embeddingDim: this.embeddingSpec?.dim ?? 0,
      embeddingModel: this.embeddingSpec?.model ?? null,
      embeddings,
    });
    let fitted: FeatureSpace;
    for (;;) {
      const next = steps.next();
      if (next.done) {
        fitted = next.value;
        break;
      }
      if (performance.now() - sliceStart >= this.sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    this.onProgress({ phase: "fit", done: total, total });
    this.lastFitAtMs = this.nowMs();
    return this.readOnly ? fitted : this.store.saveFeatureSpace(fitted);
  }

  private async loadSnapshot(space: FeatureSpace): Promise<{ index: VectorIndex; name: SnapshotName } | undefined> {
    if (space.id === 0) return undefined;
    const storeId = this.store.storeId();
    const lastSeq = this.store.lastSeq();
    const floor = this.store.prunedThrough();
    const dimension = spaceDimension(space);
    for (const name of await listSnapshots(this.indexDir)) {
      if (name.storeId !== storeId || name.spaceId !== space.id || name.dimension !== dimension) continue;
      if (name.seq > lastSeq || name.seq < floor) continue;
      if (!(await snapshotSizeMatches(this.indexDir, name))) continue;
      this.onProgress({ phase: "snapshot", done: 0, total: name.sizeBytes });
      try {
        const index = await VectorIndex.load(join(this.indexDir, name.fileName), dimension, this.hnsw);
        this.onProgress({ phase: "snapshot", done: name.sizeBytes, total: name.sizeBytes });
        return { index, name };
      } catch {
        // Corrupt or unreadable: fall through to an older one, or a rebuild.
      }
    }
    return undefined;
  }

  /** Builds an index for `space` from every stored unit, in time slices; then catches up with the log. */
  private async buildGeneration(space: FeatureSpace): Promise<Generation> {
    const startSeq = this.store.lastSeq();
    this.rebuildStartSeq = Math.min(this.rebuildStartSeq, startSeq);
    const total = this.store.unitCount();
    let capacity = 1024;
    while (capacity < total + 1) capacity *= 2;
    const generation: Generation = {
      space,
      index: VectorIndex.create(spaceDimension(space), this.hnsw, capacity),
      clusters: null,
      appliedSeq: startSeq,
      writing: false,
    };
    let after = 0;
    let done = 0;
    let sliceStart = performance.now();
    this.onProgress({ phase: "rebuild", done, total });
    for (;;) {
      const rows = this.store.unitVectorsAfter(after, BATCH_ROWS);
      if (rows.length === 0) break;
      for (const row of rows) {
        generation.index.add(row.id, toIndexPoint(space, row.vector, row.embedding));
        after = row.id;
        done++;
        if (performance.now() - sliceStart >= this.sliceMs) {
          this.onProgress({ phase: "rebuild", done, total: Math.max(total, done) });
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
    }
    this.onProgress({ phase: "rebuild", done, total: Math.max(total, done) });
    while (this.applyChanges(generation, this.sliceMs)) await yieldToEventLoop();
    this.rebuildStartSeq = Number.POSITIVE_INFINITY;
    return generation;
  }

  // ---------------------------------------------------------------- change log -> catalog, index

  private syncCatalog(): void {
    const lastSeq = this.store.lastSeq();
    while (this.catalogSeq < lastSeq) {
      const rows = this.store.changesAfter(this.catalogSeq, lastSeq, 4096);
      if (rows.length === 0) {
        this.catalogSeq = lastSeq;
        break;
      }
      for (const row of rows) {
        if (row.op === CHANGE_ADD) {
          if (row.scalars) this.catalog.addUnit(row.scalars);
        } else {
          this.catalog.removeUnit(row.unitId);
        }
        this.catalogSeq = row.seq;
      }
    }
    this.releaseLogRows();
  }

  /** Log rows both the catalog and the live index have read are dropped from the store's memory. */
  private releaseLogRows(): void {
    if (this.generation) this.store.releaseChangesThrough(Math.min(this.catalogSeq, this.generation.appliedSeq));
  }

  /** Applies log entries to a generation for up to `budgetMs`. @returns true when more are left. */
  private applyChanges(generation: Generation, budgetMs: number): boolean {
    const started = performance.now();
    const lastSeq = this.store.lastSeq();
    while (generation.appliedSeq < lastSeq) {
      const rows = this.store.changesAfter(generation.appliedSeq, lastSeq, 256);
      if (rows.length === 0) {
        generation.appliedSeq = lastSeq;
        break;
      }
      for (const row of rows) {
        if (row.op === CHANGE_ADD) {
          if (row.vector) {
            const point = toIndexPoint(generation.space, row.vector, row.embedding);
            generation.index.add(row.unitId, point);
            if (generation.clusters) this.setCluster(generation, row.unitId, point);
          }
        } else {
          generation.index.remove(row.unitId);
        }
        generation.appliedSeq = row.seq;
        if (this.firstUnsnapshottedAtMs === null && generation === this.generation) this.firstUnsnapshottedAtMs = this.nowMs();
        if (performance.now() - started >= budgetMs) {
          if (generation === this.generation) this.releaseLogRows();
          return generation.appliedSeq < lastSeq;
        }
      }
    }
    if (generation === this.generation) this.releaseLogRows();
    return false;
  }

  private replayAll(generation: Generation, phase: CorpusPhase): void {
    const total = this.store.lastSeq() - generation.appliedSeq;
    const from = generation.appliedSeq;
    while (this.applyChanges(generation, 250)) {
      this.onProgress({ phase, done: generation.appliedSeq - from, total });
    }
    this.onProgress({ phase, done: total, total });
  }

  private setCluster(generation: Generation, unitId: number, point: ArrayLike<number>): void {
    let clusters = generation.clusters!;
    if (unitId >= clusters.length) {
      let length = Math.max(1024, clusters.length);
      while (length <= unitId) length *= 2;
      const next = new Int16Array(length).fill(-2);
      next.set(clusters);
      clusters = next;
      generation.clusters = clusters;
    }
    clusters[unitId] = nearestCluster(generation.space, point);
  }

  /**
   * Brings catalog and index up to the store's change log: the catalog at once, the index in time
   * slices (call after every store change; cheap when nothing changed).
   */
  sync(): void {
    if (this.closed) return;
    this.syncCatalog();
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      if (this.closed) return;
      const generation = this.generation;
      if (generation.writing) return; // resumed when the snapshot write completes
      if (!this.readOnly && this.refitDue()) {
        // The refit rebuilds from the store, pending changes included: adding them here first is wasted work.
        void this.maintain().then(() => this.schedulePump());
        return;
      }
      const more = this.applyChanges(generation, this.sliceMs);
      if (more) {
        this.schedulePump();
        return;
      }
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
      if (!this.readOnly) void this.maintain();
    });
  }

  /** Resolves when the index holds every change committed so far (and no rebuild is running). */
  async whenIndexed(): Promise<void> {
    for (;;) {
      this.sync();
      if (this.rebuilding) await this.rebuilding;
      if (this.generation.appliedSeq >= this.store.lastSeq() && !this.rebuilding) return;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.schedulePump();
      });
    }
  }

  // ---------------------------------------------------------------- maintenance

  /** True when the feature space should be refitted (the corpus grew past the policy's threshold). */
  refitDue(): boolean {
    if (this.nowMs() < this.maintenancePausedUntilMs) return false;
    const space = this.generation.space;
    if (space.fittedOnUnits >= this.refitPolicy.freezeAtUnits) return false;
    const units = this.catalog.unitCount;
    const policy = this.refitPolicy;
    if (!(units > 0 && units >= Math.max(1, space.fittedOnUnits * policy.growthFactor))) return false;
    return this.refitWaitMs(units) <= 0;
  }

  /** How long a due doubling refit still waits for `minIntervalMs` (<= 0: not waiting). */
  private refitWaitMs(units: number): number {
    const policy = this.refitPolicy;
    const interval = policy.minIntervalMs ?? 0;
    if (this.lastFitAtMs === null || interval <= 0) return 0;
    if (units >= Math.max(1, this.generation.space.fittedOnUnits * (policy.eagerGrowthFactor ?? policy.growthFactor))) return 0;
    return this.lastFitAtMs + interval - this.nowMs();
  }

  /**
   * Fits the feature space on the corpus as it is now and rebuilds the index in it (writers only):
   * makes distances independent of when the automatic refits happened to run (evaluations).
   */
  async refitNow(): Promise<void> {
    if (this.readOnly) throw new ParameterError("refit: the corpus is open read-only");
    await this.maintaining;
    await this.rebuild(await this.fitSpace());
  }

  /**
   * Runs due maintenance: refit + rebuild, compaction, snapshot. Writers only; concurrent calls share one run.
   */
  maintain(): Promise<void> {
    if (this.readOnly || this.closed) return Promise.resolve();
    if (this.nowMs() < this.maintenancePausedUntilMs) return Promise.resolve();
    if (!this.maintaining) {
      this.maintaining = this.runMaintenance()
        .catch((error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          this.lastError = failure.message;
          this.maintenancePausedUntilMs = this.nowMs() + MAINTENANCE_BACKOFF_MS;
          this.onError(failure);
        })
        .finally(() => {
          this.maintaining = null;
        });
    }
    return this.maintaining;
  }

  private async runMaintenance(): Promise<void> {
    if (this.refitDue()) {
      await this.rebuild(await this.fitSpace());
      return;
    }
    this.scheduleDeferredRefit();
    const index = this.generation.index;
    const deleted = index.storedCount - this.catalog.unitCount;
    if (index.storedCount >= COMPACT_MIN_POINTS && deleted > COMPACT_DELETED_FRACTION * index.storedCount) {
      await this.rebuild(this.generation.space);
      return;
    }
    if (this.snapshotDue()) await this.snapshot();
  }

  /** A doubling refit held back by `minIntervalMs` runs when the interval is over, even if nothing changes. */
  private scheduleDeferredRefit(): void {
    if (this.deferredRefitTimer || this.closed) return;
    const space = this.generation.space;
    const units = this.catalog.unitCount;
    if (space.fittedOnUnits >= this.refitPolicy.freezeAtUnits || !(units > 0 && units >= Math.max(1, space.fittedOnUnits * this.refitPolicy.growthFactor))) return;
    const wait = this.refitWaitMs(units);
    if (wait <= 0) return;
    this.deferredRefitTimer = setTimeout(() => {
      this.deferredRefitTimer = null;
      void this.maintain();
    }, wait);
    this.deferredRefitTimer.unref?.();
  }

  private snapshotDue(): boolean {
    const pending = this.generation.appliedSeq - (this.lastSnapshot?.seq ?? 0);
    if (pending <= 0) return false;
    if (pending >= this.snapshotPolicy.minChanges) return true;
    return this.firstUnsnapshottedAtMs !== null && this.nowMs() - this.firstUnsnapshottedAtMs >= this.snapshotPolicy.maxAgeMs;
  }

  /** Rebuilds the index for `space` beside the live one and swaps it in; then snapshots it. */
  rebuild(space: FeatureSpace = this.generation.space): Promise<void> {
    if (this.rebuilding) return this.rebuilding;
    this.rebuilding = (async () => {
      try {
        const next = await this.buildGeneration(space);
        if (this.closed) return;
        this.generation = next;
        this.loadedFrom = "rebuild";
        this.firstUnsnapshottedAtMs = this.nowMs();
        if (!this.readOnly) await this.snapshotNow();
      } finally {
        this.rebuilding = null;
      }
    })();
    return this.rebuilding;
  }

  /** Writes a snapshot of the live index now (writers only; waits for a running rebuild first). */
  async snapshot(): Promise<void> {
    if (this.readOnly) return;
    if (this.rebuilding) await this.rebuilding;
    await this.snapshotNow();
  }

  private snapshotNow(): Promise<void> {
    const run = this.snapshotChain.then(() => this.writeSnapshotOfLive());
    this.snapshotChain = run.catch(() => undefined);
    return run;
  }

  private async writeSnapshotOfLive(): Promise<void> {
    const generation = this.generation;
    if (generation.writing || this.closed) return;
    if (this.lastSnapshot && this.lastSnapshot.seq === generation.appliedSeq && this.lastSnapshot.spaceId === generation.space.id) return;
    generation.writing = true;
    try {
      const name = await writeSnapshot(this.indexDir, generation.index, {
        storeId: this.store.storeId(),
        spaceId: generation.space.id,
        seq: generation.appliedSeq,
      });
      this.lastSnapshot = name;
      this.firstUnsnapshottedAtMs = null;
      const prunable = Math.min(name.seq, this.catalogSeq, this.rebuildStartSeq);
      if (prunable > this.store.prunedThrough()) this.store.pruneChanges(prunable);
    } finally {
      generation.writing = false;
      if (!this.closed) this.schedulePump();
    }
  }

  // ---------------------------------------------------------------- file and root changes

  private refreshFiles(fileIds: Iterable<number>): void {
    for (const id of fileIds) {
      const record = this.store.getFile(id);
      if (record) this.catalog.setFile(record);
      else this.catalog.deleteFile(id);
    }
    this.sync();
  }

  addRoot(path: string, analysisOptions: string): RootRecord {
    return this.store.addRoot(path, analysisOptions);
  }

  setRootStatus(root: RootRecord, status: RootStatus): void {
    this.store.setRootStatus(root.id, status);
    this.refreshFiles(this.store.listFilesOfRoot(root.id).map((file) => file.id));
  }

  /** Removes a root with its files and units. @returns removed unit count. */
  removeRoot(root: RootRecord): number {
    const fileIds = this.store.listFilesOfRoot(root.id).map((file) => file.id);
    const removed = this.store.removeRoot(root.id);
    this.refreshFiles(fileIds);
    return removed.length;
  }

  /** A committed file row goes to the catalog before its units (they count as live only in a live file). */
  private fileCommitted(file: FileRecord): void {
    this.catalog.setFile(file);
    this.sync();
  }

  markPending(rootId: number, path: string, identity: FileIdentityRow, categoryMask: number): FileRecord {
    const file = this.store.markPending(rootId, path, identity, categoryMask);
    this.fileCommitted(file);
    return file;
  }

  commitAnalysis(fileId: number, identity: FileIdentityRow, commit: AnalysisCommit): CommitResult {
    const result = this.store.commitAnalysis(fileId, identity, commit);
    this.fileCommitted(result.file);
    return result;
  }

  /** Creates or replaces the row at `path` with a fresh analysis in one transaction (see `CorpusStore.commitAnalysisAt`). */
  commitAnalysisAt(rootId: number, path: string, identity: FileIdentityRow, categoryMask: number, commit: AnalysisCommit): CommitResult {
    const result = this.store.commitAnalysisAt(rootId, path, identity, categoryMask, commit);
    this.fileCommitted(result.file);
    return result;
  }

  commitFailure(fileId: number, identity: FileIdentityRow, analysisVersion: string, error: string): number[] {
    const removed = this.store.commitFailure(fileId, identity, analysisVersion, error);
    this.refreshFiles([fileId]);
    return removed;
  }

  /** Creates or replaces the row at `path` as failed, in one transaction (see `CorpusStore.commitFailureAt`). */
  commitFailureAt(
    rootId: number,
    path: string,
    identity: FileIdentityRow,
    categoryMask: number,
    analysisVersion: string,
    error: string,
  ): CommitResult {
    const result = this.store.commitFailureAt(rootId, path, identity, categoryMask, analysisVersion, error);
    this.fileCommitted(result.file);
    return result;
  }

  /**
   * Commits several files' analyses in one store transaction (see `CorpusStore.commitFiles`), then
   * brings the catalog and the index up to date once.
   * @returns per commit, in order: what it changed, or the error that stopped it.
   */
  commitFiles(commits: readonly FileCommit[]): (CommitResult | Error)[] {
    const results = this.store.commitFiles(commits);
    for (const result of results) if (!(result instanceof Error)) this.catalog.setFile(result.file);
    this.sync();
    return results;
  }

  moveFile(file: FileRecord, rootId: number, newPath: string, identity: FileIdentityRow, categoryMask: number): void {
    const occupant = this.store.getFileByPath(newPath);
    this.store.moveFile(file.id, rootId, newPath, identity, categoryMask);
    this.refreshFiles(occupant && occupant.id !== file.id ? [file.id, occupant.id] : [file.id]);
  }

  cloneFile(donor: FileRecord, rootId: number, path: string, identity: FileIdentityRow, categoryMask: number): FileRecord {
    const result = this.store.cloneFile(donor.id, rootId, path, identity, categoryMask);
    this.refreshFiles([result.fileId]);
    return this.store.getFile(result.fileId)!;
  }

  setPresence(fileIds: readonly number[], presence: FilePresence): void {
    if (fileIds.length === 0) return;
    this.store.setPresence(fileIds, presence);
    this.refreshFiles(fileIds);
  }

  deleteFile(fileId: number): number {
    const removed = this.store.deleteFile(fileId);
    this.refreshFiles([fileId]);
    return removed.length;
  }

  // ---------------------------------------------------------------- queries

  get space(): FeatureSpace {
    return this.generation.space;
  }

  /** The index point of a raw descriptor vector in the live feature space. */
  toPoint(vector: ArrayLike<number>, embedding?: ArrayLike<number> | null): number[] {
    if (vector.length < DESCRIPTOR_COUNT) throw new RangeError(`descriptor vector has ${vector.length} values, expected ${DESCRIPTOR_COUNT}`);
    return toIndexPoint(this.generation.space, vector, embedding);
  }

  /** Cluster ids per unit id of the live generation (computed on first use, then kept up to date). */
  clusters(): Int16Array {
    const generation = this.generation;
    if (!generation.clusters) {
      const clusters = new Int16Array(Math.max(1024, this.catalog.maxUnitId + 1)).fill(-2);
      generation.clusters = clusters;
      for (let id = 1; id <= this.catalog.maxUnitId; id++) {
        if (!this.catalog.hasUnit(id)) continue;
        const point = generation.index.getPoint(id);
        if (point) this.setCluster(generation, id, point);
      }
    }
    return generation.clusters;
  }

  /** The cluster of one unit (computed from its index point when clusters are not materialised). */
  clusterOf(unitId: number): number {
    const generation = this.generation;
    const known = generation.clusters?.[unitId];
    if (known !== undefined && known !== -2) return known;
    // Remembered per generation: reading a point back from hnswlib costs ~13 us (query hits ask often).
    const memo = this.clusterMemo?.generation === generation ? this.clusterMemo.clusters : new Map<number, number>();
    this.clusterMemo = { generation, clusters: memo };
    const remembered = memo.get(unitId);
    if (remembered !== undefined) return remembered;
    const point = generation.index.getPoint(unitId);
    const cluster = point ? nearestCluster(generation.space, point) : -1;
    if (memo.size < CLUSTER_MEMO_MAX) memo.set(unitId, cluster);
    return cluster;
  }

  /** Runs a query on the live index (see `searchUnits`). */
  search(request: SearchRequest): SearchOutcome {
    const generation = this.generation;
    const usesClusters = (request.filter?.clusters?.length ?? 0) > 0;
    return searchUnits(
      {
        space: generation.space,
        index: generation.index,
        catalog: this.catalog,
        clusterOf: usesClusters ? this.clusters() : (generation.clusters ?? new Int16Array(0)),
        indexLags: generation.appliedSeq < this.catalogSeq,
      },
      request,
    );
  }

  /**
   * A stored unit.
   * @throws NotFoundError when there is no unit with this id.
   */
  unit(unitId: number): UnitRecord {
    const unit = this.store.getUnit(unitId);
    if (!unit) throw new NotFoundError(`no unit with id ${unitId} in the corpus`);
    return unit;
  }

  health(): IndexHealth {
    const generation = this.generation;
    const lastSeq = this.store.lastSeq();
    return {
      state: this.rebuilding ? "rebuilding" : "ready",
      loadedFrom: this.loadedFrom,
      spaceId: generation.space.id,
      spaceFittedOnUnits: generation.space.fittedOnUnits,
      dimension: generation.index.dimension,
      clusterCount: generation.space.clusterCount,
      indexedSeq: generation.appliedSeq,
      lastSeq,
      lag: Math.max(0, lastSeq - generation.appliedSeq),
      storedPoints: generation.index.storedCount,
      liveUnits: this.catalog.liveUnitCount,
      snapshot: this.lastSnapshot
        ? { seq: this.lastSnapshot.seq, sizeBytes: this.lastSnapshot.sizeBytes, fileName: this.lastSnapshot.fileName }
        : null,
      lastError: this.lastError,
    };
  }

  diskUse(): DiskUse {
    const db = join(this.dataDir, DB_FILE_NAME);
    const databaseBytes = fileSize(db) + fileSize(`${db}-wal`) + fileSize(`${db}-shm`);
    const indexBytes = this.lastSnapshot ? fileSize(join(this.indexDir, this.lastSnapshot.fileName)) : 0;
    return { databaseBytes, indexBytes };
  }

  /** Finishes index work, writes a final snapshot (writers) and closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.readOnly) {
        await this.whenIndexed();
        if (this.maintaining) await this.maintaining;
        await this.snapshot();
      }
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.closed = true;
      if (this.deferredRefitTimer) clearTimeout(this.deferredRefitTimer);
      this.deferredRefitTimer = null;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
      this.store.close();
      this.lock?.release();
    }
  }
}
