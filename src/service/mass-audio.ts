/**
 * MassAudio: the one application service. CLI commands, and later the OSC, Max and MIDI adapters, talk
 * to this object only. It owns the corpus (store + index), the indexer with its analysis port, and the
 * watchers, and it turns requests (roots, index, find, status) into typed results or typed errors.
 *
 * Ports are injected (`analyzer`, `nowMs`), so tests and the Max entry can pass their own; `open()` with
 * no analyzer creates the worker-thread pool on first use.
 */
import { EventEmitter } from "node:events";
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { packageRoot } from "../cli/paths.js";
import { performance } from "node:perf_hooks";
import { resolveAnalysisOptions } from "../core/analysis/analysis-params.js";
import type { Unit } from "../core/analysis/unit.js";
import { ParameterError } from "../core/errors.js";
import { analyzeClip, type AnalysisOptions } from "../io/analyze-file.js";
import { readModelManifest, resolveModelDir, unitVectorSize, ModelError } from "../io/model-manifest.js";
import type { OnnxEmbedder } from "../io/onnx-embedder.js";
import type { EmbeddingSpec } from "../corpus/feature-space.js";
import { createWorkerAnalyzer, type Analyzer } from "../corpus/analyzer.js";
import { categoriesOfMask } from "../corpus/categories.js";
import { Corpus, type CorpusProgress, type IndexHealth, type DiskUse, type RefitPolicy, type SnapshotPolicy } from "../corpus/corpus.js";
import { NotFoundError } from "../corpus/corpus-error.js";
import { resolveDataDir } from "../corpus/data-dir.js";
import type { GroupWeights } from "../corpus/feature-space.js";
import { Indexer, type IndexerEvent, type IndexProgress } from "../corpus/indexer.js";
import type { SearchStrategy } from "../corpus/search.js";
import type { RootRecord, RootStatus, StoreCounts } from "../corpus/store.js";
import type { UnitFilter } from "../corpus/unit-filter.js";
import type { HnswParams } from "../corpus/vector-index.js";
import { RootWatcher, type WatchOptions } from "../corpus/watcher.js";
import {
  regenerate,
  type RegenerateProgress,
  type RegenerateRequest,
  type RegenerateResult,
} from "./regenerate.js";
import { SourceCache } from "./source-cache.js";

/** Memory for the source ranges regenerations keep cached: 256 MiB (the `--cache-mb` default). */
const REGEN_CACHE_BYTES = 256 * 1024 * 1024;

export interface MassAudioOptions {
  /** Data folder; default `$MASS_AUDIO_HOME` or the platform's app-data folder. */
  readonly dataDir?: string;
  /** Open for queries only (no writer lock; `index` and root changes are refused). */
  readonly readOnly?: boolean;
  /**
   * Embedding model of the corpus vectors: a model folder or the name of one under `models/`, null for
   * descriptors only, undefined to keep what the corpus was built with (none for a new corpus). A change
   * re-analyses every file on the next `index` (never a mix of models in one index).
   */
  readonly embeddingModel?: string | null;
  /** Embedding model for a new corpus (one never opened before) when `embeddingModel` is undefined. */
  readonly defaultEmbeddingModel?: string;
  /** Analysis port; default a worker-thread pool created on first use. */
  readonly analyzer?: Analyzer;
  /** Worker threads of the default pool; default one per core. */
  readonly workers?: number;
  readonly hnsw?: HnswParams;
  readonly refit?: RefitPolicy;
  readonly snapshot?: SnapshotPolicy;
  readonly watch?: WatchOptions & {
    /** How often offline roots are checked for their return: 2 s. */
    readonly rootPollMs?: number;
  };
  /** Grace period before a vanished file's units are deleted (see `Indexer`). */
  readonly missingGraceMs?: number;
  /** Progress while the corpus opens (catalog load, snapshot load, replay, rebuild). */
  readonly onOpenProgress?: (progress: CorpusProgress) => void;
  readonly nowMs?: () => number;
}

export interface RootInfo {
  readonly path: string;
  readonly status: RootStatus;
  readonly analysisOptions: Partial<AnalysisOptions>;
  readonly files: Readonly<Record<"ok" | "failed" | "pending" | "missing" | "offline", number>>;
  readonly units: number;
}

/** What to find neighbours of. */
export type FindTarget =
  | { readonly unitId: number }
  | { readonly path: string; readonly atSec?: number }
  | { readonly channels: readonly Float32Array[]; readonly sampleRateHz: number; readonly atSec?: number }
  | { readonly vector: Float32Array };

export interface FindRequest {
  readonly target: FindTarget;
  /** Neighbours wanted: 1..10000, default 10. */
  readonly k?: number;
  readonly filter?: UnitFilter;
  readonly weights?: Partial<GroupWeights>;
  /** Analysis options for audio targets not in the corpus (default: the analysis defaults). */
  readonly analysis?: Partial<AnalysisOptions>;
}

export interface FindHit {
  readonly unitId: number;
  readonly path: string;
  readonly startFrame: number;
  readonly endFrame: number;
  readonly sampleRateHz: number;
  readonly startSec: number;
  readonly endSec: number;
  /** RMS z-distance over the weighted descriptor columns (0 = identical). */
  readonly distance: number;
  readonly categories: string[];
  readonly cluster: number;
  readonly durationSec: number;
  /** MIDI note, null when unpitched. */
  readonly pitchMidi: number | null;
  readonly loudnessDb: number;
}

export interface FindResult {
  readonly query: {
    readonly source: "unit" | "corpus-file" | "audio-file" | "clip" | "vector";
    readonly unitId?: number;
    readonly path?: string;
    readonly startSec?: number;
    readonly endSec?: number;
  };
  readonly hits: FindHit[];
  readonly strategy: SearchStrategy;
  readonly tookMs: number;
}

export interface IndexSummary extends IndexProgress {
  readonly roots: { readonly path: string; readonly online: boolean }[];
  readonly unitsTotal: number;
}

export interface StatusReport {
  readonly dataDir: string;
  readonly roots: RootInfo[];
  readonly counts: StoreCounts;
  readonly failed: { readonly path: string; readonly error: string }[];
  readonly index: IndexHealth;
  readonly disk: DiskUse;
  readonly watching: string[];
}

export interface MassAudioEvents {
  file: [event: Extract<IndexerEvent, { type: "file" }>];
  root: [event: Extract<IndexerEvent, { type: "root" }>];
  progress: [progress: IndexProgress];
  warning: [error: Error];
}

/** A find's query: the point to search from, what it was, and the unit to leave out of the hits. */
interface QueryPoint {
  readonly vector: Float32Array;
  readonly embedding: Float32Array | null;
  readonly query: FindResult["query"];
  readonly excludeUnitId?: number;
}

/** Unit spans remembered for find hits: 65,536 units (about 6 MB). */
const UNIT_SPANS_KEPT = 65_536;

/** Roots poll interval for offline roots: 2 s. */
const DEFAULT_ROOT_POLL_MS = 2000;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function unitCovering(units: readonly Unit[], atSec: number | undefined): Unit | undefined {
  if (units.length === 0) return undefined;
  if (atSec === undefined) return units.find((unit) => !unit.silent) ?? units[0];
  let best = units[0]!;
  for (const unit of units) if (unit.startSec <= atSec) best = unit;
  return best;
}

/** Meta key of the embedding model folder the corpus was last opened with. */
const MODEL_DIR_META = "embedding_model_dir";

/** A model folder's identity in the store (`name@version`) and its unit vector length. */
async function modelSpecOf(dir: string): Promise<{ dir: string; spec: EmbeddingSpec }> {
  const { manifest } = await readModelManifest(dir);
  return { dir: resolve(dir), spec: { model: `${manifest.name}@${manifest.version}`, dim: unitVectorSize(manifest) } };
}

/**
 * The model folder for the corpus's embeddings: the one asked for (remembered for later opens), else
 * the remembered one, else `models/<name>`; checked against the model the vectors were made with.
 * @throws ModelError when the corpus needs a model that is missing or another model's folder is found
 */
async function embeddingModelDirOf(corpus: Corpus, requestedDir: string | undefined): Promise<string | undefined> {
  const embedding = corpus.embedding;
  if (!embedding) return undefined;
  if (requestedDir) {
    if (!corpus.readOnly) corpus.store.setMeta(MODEL_DIR_META, requestedDir);
    return requestedDir;
  }
  const name = embedding.model.slice(0, embedding.model.lastIndexOf("@"));
  const dir = corpus.store.getMeta(MODEL_DIR_META) ?? join(packageRoot(), "models", name);
  const found = await modelSpecOf(dir).catch((error: unknown) => {
    throw new ModelError(dir, "missing", `the corpus holds ${embedding.model} embeddings, but the model cannot be loaded from here (${(error as Error).message}); pass --model DIR, or --model none to drop embeddings`);
  });
  if (found.spec.model !== embedding.model || found.spec.dim !== embedding.dim) {
    throw new ModelError(dir, "mismatch", `the corpus holds ${embedding.model} embeddings (${embedding.dim} values), this folder has ${found.spec.model} (${found.spec.dim}); pass --model to re-index with it`);
  }
  return found.dir;
}

/** The application service. Create with `MassAudio.open`. */
export class MassAudio extends EventEmitter<MassAudioEvents> {
  readonly corpus: Corpus;
  readonly dataDir: string;
  private readonly options: MassAudioOptions;
  private analyzer: Analyzer | undefined;
  private readonly ownsAnalyzer: boolean;
  private indexerInstance: Indexer | undefined;
  private watcher: RootWatcher | undefined;
  private rootPoll: NodeJS.Timeout | undefined;
  private closed = false;
  /** Source ranges of regenerations, kept warm between requests. */
  private regenSources: SourceCache | undefined;
  /** Spans of units that finds returned (unit id -> start and end frame), oldest first. */
  private readonly unitSpans = new Map<number, readonly [number, number]>();

  private constructor(
    corpus: Corpus,
    dataDir: string,
    options: MassAudioOptions,
    private readonly modelDir: string | undefined,
  ) {
    super();
    this.corpus = corpus;
    this.dataDir = dataDir;
    this.options = options;
    this.analyzer = options.analyzer;
    this.ownsAnalyzer = options.analyzer === undefined;
  }

  /**
   * Opens the corpus in `dataDir` (created when missing, unless read-only).
   * @throws StoreError when the database cannot be opened or another process is indexing it.
   */
  static async open(options: MassAudioOptions = {}): Promise<MassAudio> {
    const dataDir = resolveDataDir(options.dataDir);
    const late: { service?: MassAudio } = {}; // background errors arrive after construction
    const requested = typeof options.embeddingModel === "string" ? await modelSpecOf(resolveModelDir(options.embeddingModel)) : undefined;
    const fallback =
      options.embeddingModel === undefined && options.defaultEmbeddingModel !== undefined
        ? await modelSpecOf(resolveModelDir(options.defaultEmbeddingModel))
        : undefined;
    const corpus = await Corpus.open({
      embedding: requested ? requested.spec : options.embeddingModel === null ? null : undefined,
      ...(fallback ? { defaultEmbedding: fallback.spec } : {}),
      onError: (error) => late.service?.emit("warning", error),
      dataDir,
      readOnly: options.readOnly,
      hnsw: options.hnsw,
      refit: options.refit,
      snapshot: options.snapshot,
      onProgress: options.onOpenProgress,
      nowMs: options.nowMs,
    });
    try {
      late.service = new MassAudio(corpus, dataDir, options, await embeddingModelDirOf(corpus, requested?.dir ?? (fallback && corpus.embedding?.model === fallback.spec.model ? fallback.dir : undefined)));
    } catch (error) {
      await corpus.close();
      throw error;
    }
    return late.service;
  }

  /** The embedding model folder the corpus uses, undefined for descriptors only. */
  get embeddingModelDir(): string | undefined {
    return this.modelDir;
  }

  /** The main thread's embedder (query clips and targets), when the corpus holds embeddings. */
  async embedder(): Promise<OnnxEmbedder | undefined> {
    if (!this.modelDir) return undefined;
    const { embedderFor } = await import("../corpus/embedder-cache.js"); // onnxruntime loads only when needed
    return embedderFor(this.modelDir);
  }

  private requireWriter(action: string): void {
    if (this.corpus.readOnly) throw new ParameterError(`${action}: the corpus is open read-only`);
    if (this.closed) throw new ParameterError(`${action}: the service is closed`);
  }

  private indexer(): Indexer {
    if (!this.indexerInstance) {
      this.analyzer ??= createWorkerAnalyzer({ threads: this.options.workers });
      const indexer = new Indexer({
        corpus: this.corpus,
        analyzer: this.analyzer,
        missingGraceMs: this.options.missingGraceMs,
        ...(this.modelDir ? { embeddingModelDir: this.modelDir } : {}),
      });
      indexer.on((event) => {
        if (event.type === "file") this.emit("file", event);
        else if (event.type === "root") this.emit("root", event);
        else this.emit("progress", event.progress);
      });
      this.indexerInstance = indexer;
    }
    return this.indexerInstance;
  }

  // ---------------------------------------------------------------- roots

  /**
   * Adds a folder to the corpus (idempotent; new analysis options apply to files analysed from now on).
   * @throws ParameterError when the folder does not exist or an option is invalid.
   */
  async addRoot(path: string, analysisOptions: Partial<AnalysisOptions> = {}): Promise<RootInfo> {
    this.requireWriter("add root");
    const absolute = resolve(path);
    if (!(await isDirectory(absolute))) throw new ParameterError(`root ${absolute}: not a folder`);
    // Validate, and keep only the options given (typed): the others follow the defaults of the version in use.
    const resolved = resolveAnalysisOptions(analysisOptions as Record<string, unknown>);
    const given = Object.fromEntries(Object.keys(analysisOptions).map((key) => [key, resolved[key as keyof AnalysisOptions]]));
    const root = this.corpus.addRoot(absolute, JSON.stringify(given));
    if (this.watcher) await this.watchRoot(root);
    return this.rootInfo(root);
  }

  /**
   * Removes a root with its files and units.
   * @returns the number of units removed.
   * @throws NotFoundError when the folder is not a root.
   */
  async removeRoot(path: string): Promise<number> {
    this.requireWriter("remove root");
    const root = this.corpus.store.getRoot(resolve(path));
    if (!root) throw new NotFoundError(`${resolve(path)} is not a root of this corpus`);
    await this.watcher?.remove(root.path);
    return this.corpus.removeRoot(root);
  }

  listRoots(): RootInfo[] {
    const counts = this.corpus.store.rootCounts();
    return this.corpus.store.listRoots().map((root) => this.rootInfo(root, counts));
  }

  private rootInfo(root: RootRecord, counts = this.corpus.store.rootCounts()): RootInfo {
    const entry = counts.get(root.id);
    return {
      path: root.path,
      status: root.status,
      analysisOptions: JSON.parse(root.analysisOptions) as Partial<AnalysisOptions>,
      files: entry?.files ?? { ok: 0, failed: 0, pending: 0, missing: 0, offline: 0 },
      units: entry?.units ?? 0,
    };
  }

  // ---------------------------------------------------------------- indexing

  /**
   * Brings roots up to date (all roots when `paths` is empty): new and changed files analysed, moved
   * files re-pointed, deleted files removed, unchanged files skipped, pending files finished.
   * Progress arrives as `progress` events, per-file results as `file` events.
   */
  async index(paths: readonly string[] = []): Promise<IndexSummary> {
    this.requireWriter("index");
    const indexer = this.indexer();
    indexer.resetProgress();
    const wanted = paths.map((path) => resolve(path));
    const roots = this.corpus.store.listRoots().filter((root) => wanted.length === 0 || wanted.includes(root.path));
    for (const path of wanted) {
      if (!roots.some((root) => root.path === path)) throw new NotFoundError(`${path} is not a root of this corpus (add it first)`);
    }
    const results: { path: string; online: boolean }[] = [];
    for (const root of roots) {
      const online = await indexer.scanRoot(root, (path, error) => this.emit("warning", new Error(`${path}: ${error.message}`)));
      results.push({ path: root.path, online });
    }
    await this.corpus.whenIndexed();
    await this.corpus.maintain();
    await this.corpus.whenIndexed();
    return { ...indexer.progress(), roots: results, unitsTotal: this.corpus.catalog.liveUnitCount };
  }

  /** Resolves when queued indexing work (e.g. from the watcher) is done and in the index. */
  async idle(): Promise<void> {
    if (this.indexerInstance) await this.indexerInstance.idle();
    await this.corpus.whenIndexed();
  }

  /**
   * Watches every root: changes are indexed as they happen; a root that disappears goes offline and is
   * polled until it returns (then rescanned). Call `index()` first to catch up with changes made while
   * nothing was watching.
   */
  async watch(): Promise<void> {
    this.requireWriter("watch");
    if (this.watcher) return;
    const indexer = this.indexer();
    this.watcher = new RootWatcher(
      {
        onFile: (path) => indexer.enqueue(path),
        onFileRemoved: (path) => indexer.fileRemoved(path),
        onDirRemoved: (path) => indexer.dirRemoved(path),
        onError: (error) => this.emit("warning", error),
      },
      this.options.watch,
    );
    for (const root of this.corpus.store.listRoots()) await this.watchRoot(root);
    const pollMs = this.options.watch?.rootPollMs ?? DEFAULT_ROOT_POLL_MS;
    this.rootPoll = setInterval(() => void this.pollRoots(), pollMs);
    this.rootPoll.unref();
  }

  private async watchRoot(root: RootRecord): Promise<void> {
    if (!this.watcher || root.status === "offline" || !(await isDirectory(root.path))) return;
    await this.watcher.add(root.path);
  }

  private pollingRoots = false;

  /** Offline roots that are back: watch and rescan. Online roots that vanished: offline. */
  private async pollRoots(): Promise<void> {
    if (this.pollingRoots || this.closed || !this.watcher) return;
    this.pollingRoots = true;
    try {
      const indexer = this.indexer();
      for (const root of this.corpus.store.listRoots()) {
        const present = await isDirectory(root.path);
        if (root.status === "offline" && present) {
          await this.watcher.remove(root.path);
          await indexer.scanRoot(root);
          await this.watchRoot(this.corpus.store.getRootById(root.id)!);
        } else if (root.status === "online" && !present) {
          await this.watcher.remove(root.path);
          indexer.rootVanished(root);
        }
      }
    } catch (error) {
      this.emit("warning", error as Error);
    } finally {
      this.pollingRoots = false;
    }
  }

  async unwatch(): Promise<void> {
    if (this.rootPoll) clearInterval(this.rootPoll);
    this.rootPoll = undefined;
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }

  // ---------------------------------------------------------------- find

  /**
   * k nearest units to a unit, a corpus file at a time, an audio file or clip (analysed with the corpus
   * analysis code), or a raw descriptor vector.
   * @throws NotFoundError for an unknown unit id or a target without units; ParameterError for bad
   *   k / weights / filters; DecodeError for an unreadable audio target.
   */
  async find(request: FindRequest): Promise<FindResult> {
    const started = performance.now();
    const query = this.storedQuery(request) ?? (await this.analysedQuery(request));
    return this.search(request, query, started);
  }

  /**
   * `find` when the target needs no analysis (a unit id, a vector, a file of the corpus): answered on the
   * spot, without waiting for anything. Undefined when the target must be analysed (use `find`).
   * @throws as `find`.
   */
  findStored(request: FindRequest): FindResult | undefined {
    const started = performance.now();
    const query = this.storedQuery(request);
    return query && this.search(request, query, started);
  }

  private search(request: FindRequest, { vector, embedding, query, excludeUnitId }: QueryPoint, started: number): FindResult {
    const k = request.k ?? 10;
    const filter: UnitFilter =
      excludeUnitId === undefined
        ? (request.filter ?? {})
        : { ...request.filter, excludeUnitIds: [...(request.filter?.excludeUnitIds ?? []), excludeUnitId] };
    const outcome = this.corpus.search({ point: this.corpus.toPoint(vector, embedding), k, filter, weights: request.weights });
    const hits = outcome.hits.map((hit) => this.describeHit(hit.unitId, hit.distance));
    return { query, hits, strategy: outcome.strategy, tookMs: performance.now() - started };
  }

  /**
   * A unit's span in its file's frames, from memory when a find returned it before. A unit's row never
   * changes and its id is never reused (AUTOINCREMENT), so a remembered span is never stale; it saves one
   * SQLite statement per hit.
   */
  private unitSpan(unitId: number): readonly [startFrame: number, endFrame: number] {
    const known = this.unitSpans.get(unitId);
    if (known) return known;
    const frames = this.corpus.store.unitFrames(unitId)!;
    const span = [frames.startFrame, frames.endFrame] as const;
    if (this.unitSpans.size >= UNIT_SPANS_KEPT) this.unitSpans.delete(this.unitSpans.keys().next().value!);
    this.unitSpans.set(unitId, span);
    return span;
  }

  private describeHit(unitId: number, distance: number): FindHit {
    const catalog = this.corpus.catalog;
    const fileId = catalog.unitFile[unitId]!;
    const file = catalog.file(fileId)!;
    const [startFrame, endFrame] = this.unitSpan(unitId);
    const rate = file.sampleRateHz || 1;
    const pitchMidi = catalog.unitPitchMidi[unitId]!;
    return {
      unitId,
      path: file.path,
      startFrame,
      endFrame,
      sampleRateHz: file.sampleRateHz,
      startSec: startFrame / rate,
      endSec: endFrame / rate,
      distance,
      categories: categoriesOfMask(file.categoryMask),
      cluster: this.corpus.clusterOf(unitId),
      durationSec: catalog.unitDurationSec[unitId]!,
      pitchMidi: Number.isNaN(pitchMidi) ? null : pitchMidi,
      loudnessDb: catalog.unitLoudnessDb[unitId]!,
    };
  }

  /** The query point of a target whose vectors are stored (unit, vector, corpus file); undefined otherwise. */
  private storedQuery(request: FindRequest): QueryPoint | undefined {
    const target = request.target;
    if ("unitId" in target) {
      if (!Number.isInteger(target.unitId) || target.unitId < 1) throw new ParameterError(`unit id: expected a positive integer, got ${target.unitId}`);
      const unit = this.corpus.unit(target.unitId);
      const file = this.corpus.store.getFile(unit.fileId)!;
      const rate = file.sampleRateHz ?? 1;
      return {
        vector: unit.vector,
        embedding: unit.embedding,
        query: { source: "unit", unitId: unit.id, path: file.path, startSec: unit.startFrame / rate, endSec: unit.endFrame / rate },
        excludeUnitId: unit.id,
      };
    }
    if ("vector" in target) return { vector: target.vector, embedding: null, query: { source: "vector" } };
    if ("atSec" in target && target.atSec !== undefined && !(Number.isFinite(target.atSec) && target.atSec >= 0)) {
      throw new ParameterError(`at: expected seconds >= 0, got ${target.atSec}`);
    }
    if ("channels" in target) return undefined;
    const path = resolve(target.path);
    const known = this.corpus.store.getFileByPath(path);
    if (!known || known.status !== "ok" || known.unitCount === 0) return undefined;
    const rate = known.sampleRateHz ?? 1;
    if (target.atSec !== undefined && known.durationSec !== null && target.atSec > known.durationSec) {
      throw new NotFoundError(`${path}: --at ${target.atSec} s is past the end of the file (${known.durationSec.toFixed(3)} s)`);
    }
    const unit = this.corpus.store.unitAtFrame(known.id, Math.round((target.atSec ?? 0) * rate))!;
    return {
      vector: unit.vector,
      embedding: unit.embedding,
      query: { source: "corpus-file", unitId: unit.id, path, startSec: unit.startFrame / rate, endSec: unit.endFrame / rate },
      excludeUnitId: unit.id,
    };
  }

  /** The query point of a clip or an audio file outside the corpus, analysed with the corpus analysis code. */
  private async analysedQuery(request: FindRequest): Promise<QueryPoint> {
    const target = request.target;
    if ("channels" in target) {
      const embedder = await this.embedder();
      const analysis = await analyzeClip(target.channels, target.sampleRateHz, request.analysis ?? {}, "<clip>", embedder ? { embedder } : {});
      const unit = unitCovering(analysis.units, target.atSec);
      if (!unit) throw new NotFoundError("the clip has no units (silent, or shorter than the minimum unit)");
      return {
        vector: unit.vector,
        embedding: analysis.embeddings?.[unit.index] ?? null,
        query: { source: "clip", startSec: unit.startSec, endSec: unit.endSec },
      };
    }
    if (!("path" in target)) throw new Error("analysedQuery: a stored target"); // storedQuery answers units and vectors
    const path = resolve(target.path);
    this.analyzer ??= createWorkerAnalyzer({ threads: this.options.workers });
    const outcome = await this.analyzer.analyze({
      path,
      options: request.analysis ?? {},
      ...(this.modelDir ? { embeddingModelDir: this.modelDir } : {}),
    });
    if (!outcome.ok) throw new NotFoundError(`${path}: cannot analyse the target (${outcome.error.message})`);
    const unit = unitCovering(outcome.analysis.units, target.atSec);
    if (!unit) throw new NotFoundError(`${path}: the file has no units (silent, or shorter than the minimum unit)`);
    return {
      vector: unit.vector,
      embedding: outcome.analysis.embeddings?.[unit.index] ?? null,
      query: { source: "audio-file", path, startSec: unit.startSec, endSec: unit.endSec },
    };
  }

  // ---------------------------------------------------------------- regenerate

  /**
   * Regenerates a clip from the corpus (see `regenerate.ts`): writes the WAV and its JSON sidecar.
   * @throws RegenerateError, WriteError, DecodeError, ParameterError
   */
  async regenerate(
    request: RegenerateRequest & { readonly outPath: string },
    onProgress?: (progress: RegenerateProgress) => void,
  ): Promise<RegenerateResult> {
    // The target is analysed in the worker pool (`targetAnalyzer`); source ranges stay cached across
    // regenerations (a file's ranges are dropped when the indexer reports a change to it).
    if (!this.regenSources) {
      const cache = new SourceCache({ maxBytes: REGEN_CACHE_BYTES });
      this.on("file", (event) => {
        cache.forget(event.path);
        if (event.from) cache.forget(event.from);
      });
      this.regenSources = cache;
    }
    return regenerate(this, request, onProgress, { cache: this.regenSources });
  }

  /**
   * The analysis port regeneration targets go through (`regenerate` asks its holder for it): the worker
   * pool, created on first use; undefined once the service is closed.
   */
  targetAnalyzer(): Analyzer | undefined {
    if (this.closed) return undefined;
    this.analyzer ??= createWorkerAnalyzer({ threads: this.options.workers });
    return this.analyzer;
  }

  // ---------------------------------------------------------------- status

  status(): StatusReport {
    return {
      dataDir: this.dataDir,
      roots: this.listRoots(),
      counts: this.corpus.store.counts(),
      failed: this.corpus.store.failedFiles(20),
      index: this.corpus.health(),
      disk: this.corpus.diskUse(),
      watching: this.watcher?.watchedRoots() ?? [],
    };
  }

  /** Stops watching and indexing, snapshots the index and closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.unwatch();
    await this.indexerInstance?.close();
    if (this.ownsAnalyzer) await this.analyzer?.close();
    await this.regenSources?.close();
    await this.corpus.close();
  }
}
