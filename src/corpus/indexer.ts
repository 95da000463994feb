/**
 * The indexing queue: turns "this path may have changed" into store changes. For each path it decides,
 * cheapest first:
 *
 * 1. unchanged (same size, mtime, fingerprint and analysis version) -> nothing, or back to present;
 * 2. the content is known under a path that no longer exists -> a move: the file row is re-pointed,
 *    units untouched;
 * 3. the content is known under another existing path -> a copy: units copied, no analysis;
 * 4. otherwise -> analysed in the worker pool and committed all or nothing (units replaced, or the
 *    failure recorded with its reason; a failed file is retried only when it changes). Results that
 *    finish within a few ms of each other share one transaction (see `COMMIT_WINDOW_MS`).
 *
 * Crash safety: a file the store knows is marked pending before its analysis (its old units leave the
 * searches); a new file has no row until its commit. A kill at any moment leaves each file either as
 * it was before or fully committed, and the next scan analyses whatever was not committed.
 *
 * A vanished file is marked missing (hidden from searches) and deleted after a grace period, so a move
 * that arrives as unlink + add is re-pointed instead. A vanished root (unplugged drive) is marked offline
 * with all its files: nothing is deleted. Jobs for one path never overlap; different paths run in
 * parallel up to the analyzer's concurrency.
 */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, relative, sep } from "node:path";
import { performance } from "node:perf_hooks";
import type { AnalysisOptions } from "../io/analyze-file.js";
import { ParameterError } from "../core/errors.js";
import type { Analyzer } from "./analyzer.js";
import { categoryMaskForPath } from "./categories.js";
import type { Corpus } from "./corpus.js";
import { identifyFile, type FileIdentity } from "./fingerprint.js";
import { analysisVersionOf, isAudioPath, listAudioFiles } from "./scanner.js";
import type { CommitResult, FileCommit, FileRecord, RootRecord } from "./store.js";

/** A vanished file's units are deleted after 2 s unless its content reappears elsewhere (a move). */
export const DEFAULT_MISSING_GRACE_MS = 2000;

/**
 * Analyses that finish close together are committed in one store transaction (each file still all or
 * nothing; see `CorpusStore.commitFiles`): a result waits at most 20 ms for others to join it, and a
 * group holds at most 32 files or 512 units (a few ms of main-thread work). A result commits at once
 * when no other analysis is running (nothing could join it), before anything reads file state from the
 * store (a removal, a rescan), and on close.
 */
export const COMMIT_WINDOW_MS = 20;
const COMMIT_GROUP_FILES = 32;
const COMMIT_GROUP_UNITS = 512;

interface QueuedCommit {
  readonly commit: FileCommit;
  readonly units: number;
  resolve(result: CommitResult): void;
  reject(error: Error): void;
}

export type FileAction = "analysed" | "failed" | "unchanged" | "restored" | "moved" | "copied" | "missing" | "removed";

export interface FileEvent {
  readonly type: "file";
  readonly action: FileAction;
  readonly path: string;
  /** For a move or copy: where the content was before. */
  readonly from?: string;
  readonly units?: number;
  readonly error?: string;
}

export interface RootEvent {
  readonly type: "root";
  readonly path: string;
  readonly status: "online" | "offline";
}

export interface IndexProgress {
  readonly filesQueued: number;
  readonly filesDone: number;
  readonly filesAnalysed: number;
  readonly filesFailed: number;
  readonly filesSkipped: number;
  readonly unitsAdded: number;
  /** Seconds of audio analysed. */
  readonly audioSec: number;
  /** Wall-clock seconds since the counters were reset. */
  readonly wallSec: number;
  /** Audio seconds per wall-clock second (all workers together). */
  readonly realtimeFactor: number;
  readonly etaSec: number | null;
}

export interface ProgressEvent {
  readonly type: "progress";
  readonly progress: IndexProgress;
}

export type IndexerEvent = FileEvent | RootEvent | ProgressEvent;

export interface IndexerOptions {
  readonly corpus: Corpus;
  readonly analyzer: Analyzer;
  readonly missingGraceMs?: number;
  /** Folder of the embedding model the corpus uses (`corpus.embedding`); required when it has one. */
  readonly embeddingModelDir?: string;
}

interface PathState {
  running: boolean;
  again: boolean;
}

function sameIdentity(file: FileRecord, identity: FileIdentity): boolean {
  return file.sizeBytes === identity.sizeBytes && file.mtimeMs === identity.mtimeMs && file.fingerprint === identity.fingerprint;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The queue and decision logic of indexing (see the file comment). */
export class Indexer {
  private readonly corpus: Corpus;
  private readonly analyzer: Analyzer;
  private readonly embeddingModelDir: string | undefined;
  private readonly graceMs: number;
  private readonly listeners = new Set<(event: IndexerEvent) => void>();
  private readonly states = new Map<string, PathState>();
  private readonly queue: string[] = [];
  /** Jobs holding an analysis slot (identifying, analysing). */
  private analysing = 0;
  /** Jobs not finished: analysing, or waiting for their commit. */
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly commitQueue: QueuedCommit[] = [];
  private queuedUnits = 0;
  private commitTimer: NodeJS.Timeout | null = null;
  private readonly purgeTimers = new Map<number, NodeJS.Timeout>();
  private closed = false;
  private counters = { filesQueued: 0, filesDone: 0, filesAnalysed: 0, filesFailed: 0, filesSkipped: 0, unitsAdded: 0, audioSec: 0 };
  private startedAt = performance.now();
  private lastProgressAt = 0;
  /** Analysis version per root options (+ embedding model): hashing them per file is wasted work. */
  private readonly versions = new Map<string, string>();

  constructor(options: IndexerOptions) {
    this.corpus = options.corpus;
    this.analyzer = options.analyzer;
    if (options.corpus.embedding && !options.embeddingModelDir) {
      throw new ParameterError(`the corpus holds ${options.corpus.embedding.model} embeddings: the indexer needs that model's folder`);
    }
    this.embeddingModelDir = options.corpus.embedding ? options.embeddingModelDir : undefined;
    this.graceMs = options.missingGraceMs ?? DEFAULT_MISSING_GRACE_MS;
    // Threads load their model while roots are walked and the first files identified.
    void this.analyzer.warm?.(this.embeddingModelDir);
  }

  on(listener: (event: IndexerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: IndexerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Resets the progress counters (start of an `index` run). */
  resetProgress(): void {
    this.counters = { filesQueued: 0, filesDone: 0, filesAnalysed: 0, filesFailed: 0, filesSkipped: 0, unitsAdded: 0, audioSec: 0 };
    this.startedAt = performance.now();
  }

  progress(): IndexProgress {
    const wallSec = (performance.now() - this.startedAt) / 1000;
    const c = this.counters;
    const left = c.filesQueued - c.filesDone;
    const perFile = c.filesDone > 0 ? wallSec / c.filesDone : null;
    return {
      ...c,
      wallSec,
      realtimeFactor: wallSec > 0 ? c.audioSec / wallSec : 0,
      etaSec: perFile === null ? null : left * perFile,
    };
  }

  private reportProgress(force = false): void {
    const now = performance.now();
    if (!force && now - this.lastProgressAt < 100) return;
    this.lastProgressAt = now;
    this.emit({ type: "progress", progress: this.progress() });
  }

  /**
   * Fingerprint and stat go through fs/promises although a blocking call costs a third of the CPU: a
   * sleeping drive or a hung network mount must never hold up the main thread, which answers queries.
   */
  private identify(path: string): Promise<FileIdentity> {
    return identifyFile(path);
  }

  /** Size and mtime now, or undefined when the file is gone. */
  private async statNow(path: string): Promise<Stats | undefined> {
    try {
      return await stat(path);
    } catch {
      return undefined;
    }
  }

  private versionFor(root: RootRecord): string {
    const model = this.corpus.embedding?.model ?? null;
    const key = `${model ?? ""}\u0000${root.analysisOptions}`;
    let version = this.versions.get(key);
    if (version === undefined) {
      version = analysisVersionOf(root.analysisOptions, model);
      this.versions.set(key, version);
    }
    return version;
  }

  private rootFor(path: string): RootRecord | undefined {
    let best: RootRecord | undefined;
    for (const root of this.corpus.store.listRoots()) {
      if (isInside(path, root.path) && (!best || root.path.length > best.path.length)) best = root;
    }
    return best;
  }

  // ---------------------------------------------------------------- queue

  /** Queues a path for (re)consideration: new, changed, or possibly changed. Non-audio paths are ignored. */
  enqueue(path: string): void {
    if (this.closed || !isAudioPath(path)) return;
    const state = this.states.get(path);
    if (state) {
      if (state.running) state.again = true;
      return;
    }
    this.states.set(path, { running: false, again: false });
    this.queue.push(path);
    this.counters.filesQueued++;
    this.pump();
  }

  private pump(): void {
    // Twice the analyzer's concurrency in flight: while the workers analyse, the next files are being
    // identified (fingerprint reads) and the last results committed, so a worker that finishes a short
    // file finds the next one ready. A job waiting for its (grouped) commit gives its slot back.
    while (!this.closed && this.analysing < 2 * this.analyzer.concurrency && this.queue.length > 0) {
      const path = this.queue.shift()!;
      const state = this.states.get(path)!;
      state.running = true;
      this.analysing++;
      this.active++;
      let holdsSlot = true;
      const release = (): void => {
        if (!holdsSlot) return;
        holdsSlot = false;
        this.analysing--;
        this.pump();
      };
      void this.process(path, release)
        .catch((error: unknown) => {
          this.emit({ type: "file", action: "failed", path, error: (error as Error).message });
        })
        .finally(() => {
          if (holdsSlot) {
            holdsSlot = false;
            this.analysing--;
          }
          this.active--;
          this.counters.filesDone++;
          this.reportProgress();
          if (state.again && !this.closed) {
            state.again = false;
            state.running = false;
            this.queue.push(path);
            this.counters.filesQueued++;
          } else {
            this.states.delete(path);
          }
          this.pump();
          this.checkIdle();
        });
    }
    // Nothing is being analysed: no result can join the waiting ones.
    if (this.analysing === 0 && this.commitQueue.length > 0) this.flushCommits();
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.active > 0 || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves when the queue is empty and no job runs (every result committed). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---------------------------------------------------------------- grouped commits

  /** Queues a finished file for the next grouped commit (see `COMMIT_WINDOW_MS`). */
  private queueCommit(commit: FileCommit): Promise<CommitResult> {
    return new Promise<CommitResult>((resolve, reject) => {
      const units = "units" in commit.result ? commit.result.units.length : 0;
      this.commitQueue.push({ commit, units, resolve, reject });
      this.queuedUnits += units;
      if (this.closed || this.commitQueue.length >= COMMIT_GROUP_FILES || this.queuedUnits >= COMMIT_GROUP_UNITS) {
        this.flushCommits();
      } else if (!this.commitTimer) {
        this.commitTimer = setTimeout(() => {
          this.commitTimer = null;
          this.flushCommits();
        }, COMMIT_WINDOW_MS);
      }
    });
  }

  /** Commits every queued file now, in one transaction. */
  private flushCommits(): void {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    if (this.commitQueue.length === 0) return;
    const group = this.commitQueue.splice(0);
    this.queuedUnits = 0;
    let results: (CommitResult | Error)[];
    try {
      results = this.corpus.commitFiles(group.map((queued) => queued.commit));
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const queued of group) queued.reject(failure);
      return;
    }
    group.forEach((queued, i) => {
      const result = results[i]!;
      if (result instanceof Error) queued.reject(result);
      else queued.resolve(result);
    });
  }

  // ---------------------------------------------------------------- one path

  private async process(path: string, release: () => void): Promise<void> {
    const root = this.rootFor(path);
    if (!root) return;
    let identity: FileIdentity;
    try {
      identity = await this.identify(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") await this.vanished(path);
      else this.recordUnreadable(root, path, error as Error);
      return;
    }
    const version = this.versionFor(root);
    const mask = categoryMaskForPath(relative(root.path, path), basename(root.path));
    const existing = this.corpus.store.getFileByPath(path);
    if (existing && sameIdentity(existing, identity) && existing.analysisVersion === version && existing.status !== "pending") {
      this.counters.filesSkipped++;
      if (existing.presence !== "present" || existing.categoryMask !== mask || existing.rootId !== root.id) {
        this.cancelPurge(existing.id);
        if (existing.categoryMask !== mask || existing.rootId !== root.id) this.corpus.moveFile(existing, root.id, path, identity, mask);
        else this.corpus.setPresence([existing.id], "present");
        this.emit({ type: "file", action: "restored", path, units: existing.unitCount });
      } else {
        this.emit({ type: "file", action: "unchanged", path });
      }
      return;
    }
    if (await this.reuseKnownContent(root, path, identity, version, mask, existing)) return;
    await this.analyse(root, path, identity, version, mask, existing, release);
  }

  /** Moves (donor gone) or copies (donor present) the units of identical content. @returns true when done. */
  private async reuseKnownContent(
    root: RootRecord,
    path: string,
    identity: FileIdentity,
    version: string,
    mask: number,
    existing: FileRecord | undefined,
  ): Promise<boolean> {
    const donors = this.corpus.store
      .findFilesByContent(identity.fingerprint, identity.sizeBytes)
      .filter((file) => file.id !== existing?.id && file.status === "ok" && file.analysisVersion === version);
    if (donors.length === 0) return false;
    for (const donor of donors) {
      if (donor.presence === "present" && (await exists(donor.path))) continue;
      if (donor.presence === "offline") continue; // its drive may come back: that is a copy, not a move
      this.cancelPurge(donor.id);
      this.corpus.moveFile(donor, root.id, path, identity, mask);
      this.counters.filesSkipped++;
      this.emit({ type: "file", action: "moved", path, from: donor.path, units: donor.unitCount });
      return true;
    }
    const donor = donors[0]!;
    const copy = this.corpus.cloneFile(donor, root.id, path, identity, mask);
    this.counters.filesSkipped++;
    this.counters.unitsAdded += copy.unitCount;
    this.emit({ type: "file", action: "copied", path, from: donor.path, units: copy.unitCount });
    return true;
  }

  /**
   * Analyses a file and commits the result. A file the store knows is first marked pending (its old units
   * leave the searches: they describe other content); a new file gets its row in the commit itself, which
   * is all-or-nothing: a crash before it leaves the file new for the next scan, a crash after it, done.
   * The commit is grouped with others that finish close together (see `COMMIT_WINDOW_MS`).
   */
  private async analyse(
    root: RootRecord,
    path: string,
    identity: FileIdentity,
    version: string,
    mask: number,
    existing: FileRecord | undefined,
    release: () => void,
  ): Promise<void> {
    const file = existing ? this.corpus.markPending(root.id, path, identity, mask) : undefined;
    const options = JSON.parse(root.analysisOptions) as Partial<AnalysisOptions>;
    const outcome = await this.analyzer.analyze({ path, options, ...(this.embeddingModelDir ? { embeddingModelDir: this.embeddingModelDir } : {}) });
    if (this.closed) return; // stays pending (or unknown): finished by the next run
    const after = await this.statNow(path);
    if (!after) {
      await this.vanished(path);
      return;
    }
    if (after.size !== identity.sizeBytes || Math.floor(after.mtimeMs) !== identity.mtimeMs) {
      this.enqueue(path); // changed while being analysed: the result describes old content
      return;
    }
    const target = file ? file.id : { rootId: root.id, path, categoryMask: mask };
    if (outcome.ok) {
      const { analysis } = outcome;
      const committing = this.queueCommit({
        target,
        identity,
        result: {
          analysisVersion: version,
          format: analysis.info.format,
          sampleRateHz: analysis.info.sampleRateHz,
          channelCount: analysis.info.channelCount,
          frameCount: analysis.info.frameCount ?? null,
          durationSec: analysis.audioSec,
          analysisSec: analysis.analysisSec,
          units: analysis.units,
          ...(analysis.embeddings ? { embeddings: analysis.embeddings } : {}),
        },
      });
      release(); // the next file starts while this one waits for its commit
      const { added } = await committing;
      this.counters.filesAnalysed++;
      this.counters.unitsAdded += added.length;
      this.counters.audioSec += analysis.audioSec;
      this.emit({ type: "file", action: "analysed", path, units: added.length });
    } else {
      const reason = `${outcome.error.code}: ${outcome.error.message}`;
      const committing = this.queueCommit({ target, identity, result: { analysisVersion: version, error: reason } });
      release();
      await committing;
      this.counters.filesFailed++;
      this.emit({ type: "file", action: "failed", path, error: reason });
    }
  }

  private recordUnreadable(root: RootRecord, path: string, error: Error): void {
    const identity = { sizeBytes: 0, mtimeMs: 0, fingerprint: "" };
    const mask = categoryMaskForPath(relative(root.path, path), basename(root.path));
    const reason = `unreadable: ${error.message}`;
    this.corpus.commitFailureAt(root.id, path, identity, mask, this.versionFor(root), reason);
    this.counters.filesFailed++;
    this.emit({ type: "file", action: "failed", path, error: reason });
  }

  // ---------------------------------------------------------------- removals

  /** A file path disappeared (watcher unlink, or found missing by a job). */
  fileRemoved(path: string): void {
    if (this.closed) return;
    // A job on this path may have seen the file before it went (its commit would say present): it runs again.
    const state = this.states.get(path);
    if (state?.running) state.again = true;
    void this.vanished(path);
  }

  /** A folder disappeared: every known file below it is treated as removed (or its root as offline). */
  dirRemoved(dir: string): void {
    if (this.closed) return;
    const root = this.corpus.store.listRoots().find((r) => isInside(dir, r.path));
    if (!root) return;
    void (async () => {
      if (!(await exists(root.path))) {
        this.rootVanished(root);
        return;
      }
      this.flushCommits();
      for (const file of this.corpus.store.listFilesOfRoot(root.id)) {
        if (isInside(file.path, dir)) await this.vanished(file.path);
      }
    })();
  }

  private async vanished(path: string): Promise<void> {
    this.flushCommits(); // a file removed while its commit waits: commit first, then mark it missing
    const file = this.corpus.store.getFileByPath(path);
    if (!file || file.presence !== "present") return;
    const root = this.corpus.store.getRootById(file.rootId);
    if (root && !(await exists(root.path))) {
      this.rootVanished(root);
      return;
    }
    if (await exists(path)) return; // came back meanwhile (an atomic save)
    this.corpus.setPresence([file.id], "missing");
    this.emit({ type: "file", action: "missing", path });
    this.schedulePurge(file.id);
  }

  private schedulePurge(fileId: number): void {
    this.cancelPurge(fileId);
    const timer = setTimeout(() => {
      this.purgeTimers.delete(fileId);
      void this.purge(fileId);
    }, this.graceMs);
    timer.unref?.();
    this.purgeTimers.set(fileId, timer);
  }

  private cancelPurge(fileId: number): void {
    const timer = this.purgeTimers.get(fileId);
    if (timer) clearTimeout(timer);
    this.purgeTimers.delete(fileId);
  }

  /** Deletes a missing file's units unless it came back or its root went offline. */
  private async purge(fileId: number): Promise<void> {
    if (this.closed) return;
    this.flushCommits();
    const file = this.corpus.store.getFile(fileId);
    if (!file || file.presence !== "missing") return;
    const root = this.corpus.store.getRootById(file.rootId);
    if (root && !(await exists(root.path))) {
      this.rootVanished(root);
      return;
    }
    if (await exists(file.path)) {
      this.enqueue(file.path);
      return;
    }
    const units = this.corpus.deleteFile(fileId);
    this.emit({ type: "file", action: "removed", path: file.path, units });
  }

  /** Marks a root and its files offline (units kept, hidden from searches). */
  rootVanished(root: RootRecord): void {
    this.flushCommits();
    const current = this.corpus.store.getRootById(root.id);
    if (!current || current.status === "offline") return;
    for (const file of this.corpus.store.listFilesOfRoot(root.id)) this.cancelPurge(file.id);
    this.corpus.setRootStatus(current, "offline");
    this.emit({ type: "root", path: root.path, status: "offline" });
  }

  // ---------------------------------------------------------------- whole roots

  /**
   * Brings a root up to date: marks it offline when its folder is gone; otherwise queues every audio file
   * under it, lets moves find their content, and deletes the units of files that are gone for good.
   * @returns false when the root is offline.
   */
  async scanRoot(root: RootRecord, onWalkError?: (path: string, error: Error) => void): Promise<boolean> {
    if (!(await exists(root.path))) {
      this.rootVanished(root);
      return false;
    }
    if (root.status === "offline") {
      this.corpus.store.setRootStatus(root.id, "online");
      this.emit({ type: "root", path: root.path, status: "online" });
    }
    const paths = await listAudioFiles(root.path, onWalkError);
    const onDisk = new Set(paths);
    this.flushCommits();
    const known = this.corpus.store.listFilesOfRoot(root.id);
    const gone = known.filter((file) => !onDisk.has(file.path) && file.presence !== "missing");
    // Missing first, so files moved within the root are found as donors while their new paths are processed.
    this.corpus.setPresence(
      gone.map((file) => file.id),
      "missing",
    );
    for (const path of paths) this.enqueue(path);
    await this.idle();
    for (const file of known) {
      if (onDisk.has(file.path)) continue;
      this.cancelPurge(file.id);
      await this.purge(file.id);
    }
    this.reportProgress(true);
    return true;
  }

  /**
   * Stops taking work; running analyses finish, their results are dropped (files stay pending or new);
   * results already waiting for their commit are committed.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.purgeTimers.values()) clearTimeout(timer);
    this.purgeTimers.clear();
    this.queue.length = 0;
    this.flushCommits();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
