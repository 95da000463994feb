/**
 * The daemon's session around the one service object: what the OSC and MIDI adapters share. It holds
 * the open `MassAudio`, the current target and its options (what a MIDI note regenerates), the render
 * queue (one regeneration at a time, FIFO, bounded: `busy` when full), the saved presets, the output
 * folder and the path policy, and it turns the service's indexing events into simple adapter events.
 *
 * Finds never wait for the queue: they run as they arrive. A find of a corpus file whose path passed the
 * path policy lately is answered on the spot (no await); the others (first sight of a path, a file to
 * analyse) take one of a few slots (bounded in flight, `busy` beyond). A regeneration runs on the main
 * thread in slices between its awaits, so it delays finds by about its longest synchronous stretch (see
 * `npm run bench -- osc`).
 */
import { EventEmitter } from "node:events";
import { access } from "node:fs/promises";
import { basename, extname, isAbsolute, join } from "node:path";
import type { Logger } from "pino";
import type { RegenOptions } from "../../core/select/regen-params.js";
import { excludeFiles } from "../../cli/corpus-options.js";
import type { FileAction } from "../../corpus/indexer.js";
import type { FindRequest, FindResult, MassAudio } from "../../service/mass-audio.js";
import { regenerate, type RegenerateProgress, type RegenerateResult, type RegenerateStage } from "../../service/regenerate.js";
import { SourceCache } from "../../service/source-cache.js";
import { checkAudioTarget, CheckedTargets, checkRootFolder, OutputFolder } from "./path-policy.js";
import { PresetStore } from "./presets.js";
import { messageOf, RequestError } from "./request-error.js";
import { interpretFindOptions, interpretRegenOptions, TARGET_OPTION_SET, type OptionMap, type OptionScalar } from "./request-options.js";

/** The logging surface the daemon uses (a pino logger). */
export type DaemonLog = Pick<Logger, "info" | "warn" | "error" | "debug">;

export interface DaemonOptions {
  readonly service: MassAudio;
  /** Where regenerations are written (created when missing). */
  readonly outDir: string;
  /** Preset folder; default `<data dir>/presets`. */
  readonly presetDir?: string;
  /** Regenerations waiting behind the running one before `busy`: default 8. */
  readonly maxQueuedRegens?: number;
  /** Finds waiting for a free slot before `busy`: default 64. */
  readonly maxFindsWaiting?: number;
  /** Finds running at once (their waits for the file system or an analysis worker overlap): default 2. */
  readonly findSlots?: number;
  /** Memory of the decoded source cache kept warm across regenerations, MB: default 256. */
  readonly cacheMb?: number;
  readonly version: string;
  readonly log: DaemonLog;
}

export type RegenSource = "osc" | "midi";

export interface RegenRequest {
  /** Absolute path of the target audio file. */
  readonly targetPath: string;
  /** Regen options by key (`REGEN_OPTION_SET`), e.g. from OSC `key value` pairs. */
  readonly options: OptionMap;
  readonly source: RegenSource;
  /** Fraction done, 0..1, a few times per regeneration. */
  readonly onProgress?: (fraction: number) => void;
}

export interface RegenJobResult extends RegenerateResult {
  readonly source: RegenSource;
  readonly targetPath: string;
  readonly seed: number;
}

export interface DaemonStatus {
  /** Files indexed (status ok). */
  readonly files: number;
  /** Searchable units. */
  readonly units: number;
  readonly pending: number;
  readonly failed: number;
  /** Indexing work is queued or running. */
  readonly indexing: boolean;
}

export interface CurrentTarget {
  readonly targetPath: string | null;
  readonly options: OptionMap;
}

export interface DaemonEvents {
  regen: [result: RegenJobResult];
  progress: [progress: { readonly filesDone: number; readonly filesTotal: number; readonly units: number }];
  file: [event: { readonly kind: FileAction; readonly path: string }];
  root: [event: { readonly path: string; readonly status: "online" | "offline" }];
}

/** Regen queue bound: 8 waiting jobs. */
const DEFAULT_MAX_QUEUED = 8;
/**
 * Finds waiting: 64. A find is mostly main-thread work, so a longer queue only adds waiting; under
 * overload the excess gets `busy` at once instead of an answer seconds late.
 */
const DEFAULT_MAX_FINDS_WAITING = 64;
/** Finds running at once: 2 (one analysing a new file in a worker does not hold up the others). */
const DEFAULT_FIND_SLOTS = 2;
/** Warm source cache: 256 MB (the regen default `cacheMb`). */
const DEFAULT_CACHE_MB = 256;
/** Progress is reported again after this much more of the work: 10 %. */
const PROGRESS_STEP = 0.1;

/** Where each regeneration stage sits in the 0..1 progress (by its typical share of the time). */
const STAGE_SPAN: Record<RegenerateStage, readonly [number, number]> = {
  analyse: [0, 0.1],
  search: [0.1, 0.3],
  select: [0.3, 0.4],
  read: [0.4, 0.8],
  render: [0.8, 0.9],
  write: [0.9, 1],
};

/** 0..1 progress of a regeneration from its stage report. */
export function regenFraction(progress: RegenerateProgress): number {
  const [from, to] = STAGE_SPAN[progress.stage];
  const share = progress.total > 0 ? Math.min(1, Math.max(0, progress.done / progress.total)) : 0;
  return from + (to - from) * share;
}

/**
 * Admission for the finds that wait for something (the disk, for a path not checked lately; an analysis
 * worker, for a file outside the corpus): `slots` run at once, up to `maxWaiting` wait (FIFO), the rest get
 * `busy`. The next
 * waiter starts from a macrotask (setImmediate), never straight from the previous find's completion, so
 * the event loop reads the socket between finds: under overload requests are answered (or refused) in
 * bounded time instead of piling up unread in the kernel's buffer.
 */
class FindGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly slots: number,
    private readonly maxWaiting: number,
  ) {}

  async enter(): Promise<void> {
    if (this.running < this.slots && this.waiting.length === 0) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.maxWaiting) throw new RequestError("busy", `too many finds at once (${this.maxWaiting} waiting): try again`);
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    if (next) setImmediate(next); // the slot passes to the next waiter
    else this.running--;
  }
}

interface QueuedJob {
  readonly run: () => Promise<RegenJobResult>;
  readonly resolve: (result: RegenJobResult) => void;
  readonly reject: (error: unknown) => void;
  readonly outPath: string;
}

export class Daemon extends EventEmitter<DaemonEvents> {
  readonly service: MassAudio;
  readonly output: OutputFolder;
  readonly presets: PresetStore;
  readonly version: string;
  private readonly log: DaemonLog;
  private readonly maxQueued: number;
  private readonly findGate: FindGate;
  /** Find targets that passed the path policy lately (regenerations, which read the target, always check). */
  private readonly findTargets = new CheckedTargets();
  private readonly cacheBytes: number;
  private current: CurrentTarget = { targetPath: null, options: {} };
  private readonly queue: QueuedJob[] = [];
  private running: Promise<void> | null = null;
  private readonly reservedOutPaths = new Set<string>();
  private closing = false;
  private cache: SourceCache;
  private cacheStale = false;
  private indexChain: Promise<void> = Promise.resolve();
  private indexJobs = 0;
  private indexerBusy = false;
  private filesQueued = 0;
  private readonly detach: (() => void)[] = [];

  private constructor(options: DaemonOptions, output: OutputFolder) {
    super();
    this.service = options.service;
    this.output = output;
    this.presets = new PresetStore(options.presetDir ?? join(options.service.dataDir, "presets"));
    this.version = options.version;
    this.log = options.log;
    this.maxQueued = options.maxQueuedRegens ?? DEFAULT_MAX_QUEUED;
    this.findGate = new FindGate(options.findSlots ?? DEFAULT_FIND_SLOTS, options.maxFindsWaiting ?? DEFAULT_MAX_FINDS_WAITING);
    this.cacheBytes = (options.cacheMb ?? DEFAULT_CACHE_MB) * 1024 * 1024;
    this.cache = new SourceCache({ maxBytes: this.cacheBytes });
    this.listen();
  }

  /**
   * Creates the daemon around an open service; creates the output folder.
   * @throws Error when the output folder cannot be created.
   */
  static async create(options: DaemonOptions): Promise<Daemon> {
    return new Daemon(options, await OutputFolder.open(options.outDir));
  }

  private listen(): void {
    const service = this.service;
    const onProgress = (progress: { filesDone: number; filesQueued: number }): void => {
      this.filesQueued = progress.filesQueued;
      if (progress.filesDone < progress.filesQueued) this.markIndexerBusy();
      this.emit("progress", { filesDone: progress.filesDone, filesTotal: progress.filesQueued, units: service.corpus.catalog.liveUnitCount });
    };
    const onFile = (event: { action: FileAction; path: string; from?: string }): void => {
      if (event.action === "unchanged") return;
      this.findTargets.forget(event.path);
      if (event.from !== undefined) this.findTargets.forget(event.from);
      this.cacheStale = true; // a cached source range may belong to the old content
      this.emit("file", { kind: event.action, path: event.path });
    };
    const onRoot = (event: { path: string; status: "online" | "offline" }): void => {
      this.emit("root", { path: event.path, status: event.status });
    };
    const onWarning = (error: Error): void => this.log.warn({ err: error.message }, "corpus warning");
    service.on("progress", onProgress);
    service.on("file", onFile);
    service.on("root", onRoot);
    service.on("warning", onWarning);
    this.detach.push(
      () => service.off("progress", onProgress),
      () => service.off("file", onFile),
      () => service.off("root", onRoot),
      () => service.off("warning", onWarning),
    );
  }

  /** Indexing work is queued or running (watcher, index run): `indexing` until the service is idle again. */
  private markIndexerBusy(): void {
    if (this.indexerBusy) return;
    this.indexerBusy = true;
    void this.service
      .idle()
      .catch(() => undefined)
      .then(() => {
        this.indexerBusy = false;
        // The indexer's progress events are throttled: report the end once.
        if (!this.closing) this.emit("progress", { filesDone: this.filesQueued, filesTotal: this.filesQueued, units: this.service.corpus.catalog.liveUnitCount });
      });
  }

  private assertOpen(): void {
    if (this.closing) throw new RequestError("busy", "the daemon is shutting down");
  }

  private assertWritable(action: string): void {
    this.assertOpen();
    if (this.service.corpus.readOnly) {
      throw new RequestError("busy", `${action}: another mass-audio process is indexing this corpus; this daemon serves it read-only`);
    }
  }

  // ---------------------------------------------------------------- find

  /**
   * Nearest units to a target file (at a time), with find options (`FIND_OPTION_SET`).
   * @throws RequestError (path policy, busy), ParameterError, NotFoundError, DecodeError.
   */
  async find(targetPath: string, options: OptionMap): Promise<FindResult> {
    this.assertOpen();
    // A corpus file checked lately is answered on the spot: nothing to wait for, so no slot to take (it
    // never queues behind finds waiting for the disk or an analysis worker).
    const recent = this.findTargets.recent(targetPath);
    if (recent !== undefined) {
      const answered = this.service.findStored(this.findRequest(recent, options));
      if (answered) return answered;
    }
    await this.findGate.enter();
    try {
      const path = await this.findTargets.check(targetPath);
      return await this.service.find(this.findRequest(path, options));
    } finally {
      this.findGate.leave();
    }
  }

  /** @throws RequestError bad_option, ParameterError (a filter). */
  private findRequest(path: string, options: OptionMap): FindRequest {
    const find = interpretFindOptions(options);
    const filter = excludeFiles(find.filter, find.excludeFile, this.service.corpus.store);
    return {
      target: find.atSec === undefined ? { path } : { path, atSec: find.atSec },
      ...(find.k !== undefined ? { k: find.k } : {}),
      filter,
      ...(find.weights ? { weights: find.weights } : {}),
    };
  }

  // ---------------------------------------------------------------- regenerate

  /** Regenerations waiting behind the running one. */
  get queuedRegens(): number {
    return this.queue.length;
  }

  private assertQueueRoom(): void {
    if (this.running !== null && this.queue.length >= this.maxQueued) {
      throw new RequestError("busy", `the render queue is full (${this.maxQueued} waiting behind the running regeneration)`);
    }
  }

  /**
   * Validates a regeneration (target, options, output name) and queues it: it starts when the ones before
   * it are done. Resolves with the written file.
   * @throws RequestError busy (queue full, shutting down), forbidden_path, not_found, bad_option; then
   *   whatever the regeneration throws (RegenerateError, DecodeError, WriteError...).
   */
  async regen(request: RegenRequest): Promise<RegenJobResult> {
    this.assertOpen();
    this.assertQueueRoom();
    const targetPath = await checkAudioTarget(request.targetPath);
    const given = interpretRegenOptions(request.options);
    const outPath = given.out !== undefined ? await this.output.resolve(given.out) : await this.defaultOutPath(targetPath, given.resolved.seed);
    this.assertOpen();
    this.assertQueueRoom();
    if (this.reservedOutPaths.has(outPath)) throw new RequestError("busy", `${outPath} is being written by a regeneration in the queue`);
    this.reservedOutPaths.add(outPath);
    const run = async (): Promise<RegenJobResult> => {
      const started = performance.now();
      const filter = excludeFiles(given.filter, given.excludeFile, this.service.corpus.store);
      let reported = -1;
      const onProgress = (progress: RegenerateProgress): void => {
        const fraction = regenFraction(progress);
        if (fraction - reported >= PROGRESS_STEP || (fraction === 1 && reported < 1)) {
          reported = fraction;
          request.onProgress?.(fraction);
        }
      };
      const result = await regenerate(
        this.service,
        {
          target: { path: targetPath },
          outPath,
          options: given.regen,
          filter,
          ...(given.weights ? { weights: given.weights } : {}),
          ...(Object.keys(given.analysis).length > 0 ? { analysis: given.analysis } : {}),
        },
        onProgress,
        // The warm cache, unless the request sets its own cache size (then a cache of that size for this job).
        given.regen.cacheMb === undefined ? { cache: this.warmCache() } : {},
      );
      const job: RegenJobResult = { ...result, source: request.source, targetPath, seed: given.resolved.seed };
      this.log.info(
        { source: request.source, target: targetPath, out: result.outPath, seconds: Number(result.seconds.toFixed(3)), units: result.units, seed: job.seed, ms: Math.round(performance.now() - started) },
        "regenerated",
      );
      this.emit("regen", job);
      return job;
    };
    return new Promise<RegenJobResult>((resolve, reject) => {
      this.queue.push({ run, resolve, reject, outPath });
      this.pump();
    });
  }

  private warmCache(): SourceCache {
    if (this.cacheStale) {
      const old = this.cache;
      this.cache = new SourceCache({ maxBytes: this.cacheBytes });
      this.cacheStale = false;
      void old.close();
    }
    return this.cache;
  }

  private pump(): void {
    if (this.running !== null) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job
      .run()
      .then(job.resolve, job.reject)
      .finally(() => {
        this.reservedOutPaths.delete(job.outPath);
        this.running = null;
        this.pump();
      });
  }

  /** `<target name>-s<seed>.wav` in the output folder, with `-2`, `-3`... when taken (never overwrites). */
  private async defaultOutPath(targetPath: string, seed: number): Promise<string> {
    const stem = basename(targetPath, extname(targetPath)).replace(/[^\p{L}\p{N}_.-]+/gu, "_").replace(/^\.+/, "_") || "regen";
    for (let n = 1; n < 100_000; n++) {
      const name = `${stem}-s${seed}${n === 1 ? "" : `-${n}`}.wav`;
      const path = join(this.output.realPath, name);
      if (this.reservedOutPaths.has(path)) continue;
      try {
        await access(path);
      } catch {
        return path;
      }
    }
    throw new RequestError("internal", `no free output name for ${stem} in ${this.output.path}`);
  }

  // ---------------------------------------------------------------- current target, MIDI, presets

  get target(): CurrentTarget {
    return this.current;
  }

  /** The current target's regen options with the defaults filled. */
  currentRegenOptions(): RegenOptions {
    return interpretRegenOptions(this.current.options).resolved;
  }

  /**
   * Sets the current target and its options (what `regenerateCurrent` and MIDI notes regenerate).
   * @throws RequestError (path policy), bad_option (ParameterError) for invalid options.
   */
  async setTarget(targetPath: string, options: OptionMap): Promise<string> {
    this.assertOpen();
    const path = await checkAudioTarget(targetPath);
    interpretRegenOptions(options);
    this.current = { targetPath: path, options };
    return path;
  }

  /**
   * Changes one option of the current target (MIDI CC).
   * @throws RequestError bad_option / ParameterError when the key or value is invalid.
   */
  setOption(key: string, value: OptionScalar): void {
    const options = TARGET_OPTION_SET.collect([[key, value]], this.current.options);
    interpretRegenOptions(options);
    this.current = { ...this.current, options };
  }

  /**
   * Queues a regeneration of the current target with `overrides` on top of its options (a MIDI note's seed).
   * @throws RequestError not_found when no target is set; as `regen`.
   */
  async regenerateCurrent(overrides: OptionMap, source: RegenSource): Promise<RegenJobResult> {
    const { targetPath, options } = this.current;
    if (targetPath === null) throw new RequestError("not_found", "no current target (send /mass/target id TARGET_PATH first)");
    const merged = TARGET_OPTION_SET.collect(
      Object.entries(overrides).flatMap(([key, value]) => (Array.isArray(value) ? value.map((v: string) => [key, v] as const) : [[key, value as OptionScalar] as const])),
      options,
    );
    return this.regen({ targetPath, options: merged, source });
  }

  /** Saves the current options as a preset. @throws RequestError bad_arguments / internal. */
  async savePreset(name: string): Promise<void> {
    this.assertOpen();
    await this.presets.save(name, this.current.options);
  }

  /** Replaces the current options by a preset's (the target stays). @throws RequestError not_found / bad_option. */
  async loadPreset(name: string): Promise<void> {
    this.assertOpen();
    const options = await this.presets.load(name);
    interpretRegenOptions(options);
    this.current = { ...this.current, options };
  }

  /** Loads the `index`-th preset in name order (MIDI program change). @returns its name. @throws RequestError not_found. */
  async loadPresetAt(index: number): Promise<string> {
    const names = await this.presets.list();
    const name = names[index];
    if (name === undefined) throw new RequestError("not_found", `no preset number ${index} (${names.length} saved)`);
    await this.loadPreset(name);
    return name;
  }

  // ---------------------------------------------------------------- roots, indexing, status

  /** Root folders of the corpus. */
  listRoots(): string[] {
    return this.service.listRoots().map((root) => root.path);
  }

  /**
   * Adds a root and indexes it in the background.
   * @returns the roots now. @throws RequestError (forbidden_path, not_found, busy when read-only).
   */
  async addRoot(path: string): Promise<string[]> {
    this.assertWritable("add root");
    const folder = await checkRootFolder(path);
    await this.service.addRoot(folder);
    this.indexInBackground([folder]);
    return this.listRoots();
  }

  /** Removes a root with its units. @returns the roots now. @throws RequestError, NotFoundError. */
  async removeRoot(path: string): Promise<string[]> {
    this.assertWritable("remove root");
    if (!isAbsolute(path)) {
      throw new RequestError("forbidden_path", `PATH must be an absolute path, got "${path}"`);
    }
    await this.service.removeRoot(path);
    return this.listRoots();
  }

  /** Indexes roots (all when `paths` is empty) after the indexing already queued; failures are logged. */
  indexInBackground(paths: readonly string[] = []): Promise<void> {
    if (this.service.corpus.readOnly) return Promise.resolve();
    this.indexJobs++;
    this.indexChain = this.indexChain
      .then(async () => {
        if (this.closing) return;
        const summary = await this.service.index(paths);
        this.log.info(
          { files: summary.filesDone, analysed: summary.filesAnalysed, failed: summary.filesFailed, units: summary.unitsTotal, sec: Number(summary.wallSec.toFixed(2)) },
          "indexed",
        );
      })
      .catch((error: unknown) => {
        if (!this.closing) this.log.warn({ err: messageOf(error) }, "indexing failed");
      })
      .finally(() => {
        this.indexJobs--;
      });
    return this.indexChain;
  }

  /** Catches up with every root, then watches them all (changes are indexed as they happen). */
  catchUpAndWatch(): Promise<void> {
    if (this.service.corpus.readOnly) return Promise.resolve();
    return this.indexInBackground().then(async () => {
      if (this.closing) return;
      try {
        await this.service.watch();
        this.log.info({ roots: this.listRoots().length }, "watching roots");
      } catch (error) {
        this.log.warn({ err: messageOf(error) }, "cannot watch the roots");
      }
    });
  }

  status(): DaemonStatus {
    const counts = this.service.corpus.store.counts();
    return {
      files: counts.files.ok,
      units: counts.searchableUnits,
      pending: counts.files.pending,
      failed: counts.files.failed,
      indexing: this.indexJobs > 0 || this.indexerBusy,
    };
  }

  // ---------------------------------------------------------------- shutdown

  get isClosing(): boolean {
    return this.closing;
  }

  /**
   * Refuses new requests, fails the queued regenerations (`busy`), lets the running one finish, and stops
   * listening to the service. The service itself is closed by its owner.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const job of this.queue.splice(0)) {
      this.reservedOutPaths.delete(job.outPath);
      job.reject(new RequestError("busy", "the daemon is shutting down (regeneration not started)"));
    }
    await this.running;
    for (const detach of this.detach.splice(0)) detach();
    await this.cache.close();
  }
}
