/**
 * The corpus store: one SQLite database (better-sqlite3, WAL) that is the source of truth for roots,
 * files, units (raw descriptor vectors in the file's own sample frames) and feature spaces.
 *
 * Every insert or delete of a unit appends to `changes` (by trigger, in the same transaction), so the
 * HNSW snapshot can record the sequence number it contains and replay whatever came after it. Unit ids
 * are AUTOINCREMENT: never reused, so an id is a stable HNSW label.
 *
 * File state has two axes: `status` is the analysis state (pending / ok / failed) and `presence` says
 * whether the file is on disk (present / missing: vanished under a mounted root, kept briefly so a move
 * can re-point it / offline: its root is unplugged). Only `ok` + `present` files are searchable.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { DESCRIPTOR_COUNT, descriptorIndex } from "../core/analysis/schema.js";
import type { Unit } from "../core/analysis/unit.js";
import { StoreError } from "./corpus-error.js";
import { DB_FILE_NAME } from "./data-dir.js";
import type { ColumnTransform, FeatureSpace } from "./feature-space.js";

/** Bump when the table layout changes (no migrations yet: an older store is refused with a message). */
export const STORE_FORMAT_VERSION = 1;

export type RootStatus = "online" | "offline";
export type FileStatus = "pending" | "ok" | "failed";
export type FilePresence = "present" | "missing" | "offline";
export const CHANGE_ADD = 1;
export const CHANGE_DELETE = 2;

export interface RootRecord {
  readonly id: number;
  readonly path: string;
  readonly status: RootStatus;
  /** JSON of the analysis options used for this root's files. */
  readonly analysisOptions: string;
  readonly addedAtMs: number;
}

export interface FileRecord {
  readonly id: number;
  readonly rootId: number;
  readonly path: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly fingerprint: string;
  readonly status: FileStatus;
  readonly presence: FilePresence;
  /** Why the analysis failed (status `failed`), else null. */
  readonly error: string | null;
  /** Descriptor schema + analysis options the units were made with; null while pending. */
  readonly analysisVersion: string | null;
  readonly format: string | null;
  readonly sampleRateHz: number | null;
  readonly channelCount: number | null;
  readonly frameCount: number | null;
  readonly durationSec: number | null;
  readonly categoryMask: number;
  readonly unitCount: number;
  readonly analysisSec: number | null;
  readonly updatedAtMs: number;
}

export interface UnitRecord {
  readonly id: number;
  readonly fileId: number;
  readonly index: number;
  readonly startFrame: number;
  readonly endFrame: number;
  readonly silent: boolean;
  readonly durationSec: number;
  /** Pitch in MIDI notes, NaN for an unpitched unit. */
  readonly pitchMidi: number;
  /** Mean frame level, dBFS. */
  readonly loudnessDb: number;
  readonly vector: Float32Array;
  readonly embedding: Float32Array | null;
}

/** Per-unit scalars the filters need, without the vector. */
export interface UnitScalars {
  readonly id: number;
  readonly fileId: number;
  readonly durationSec: number;
  readonly pitchMidi: number;
  readonly loudnessDb: number;
}

export interface ChangeRow {
  readonly seq: number;
  readonly op: number;
  readonly unitId: number;
  /** The unit's raw vector when the unit still exists, else null. */
  readonly vector: Float32Array | null;
  readonly embedding: Float32Array | null;
  readonly scalars: UnitScalars | null;
}

export interface AnalysisCommit {
  readonly analysisVersion: string;
  readonly format: string;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly frameCount: number | null;
  readonly durationSec: number | null;
  readonly analysisSec: number;
  readonly units: readonly Unit[];
  readonly embeddings?: readonly (Float32Array | null)[];
}

/** What a commit changed: the file row as committed, removed and added unit ids. */
export interface CommitResult {
  readonly file: FileRecord;
  readonly removed: number[];
  readonly added: number[];
}

/** A commit with the log rows its inserts wrote (seq ascending). */
type LoggedCommit = CommitResult & { readonly logged: ChangeRow[] };

/** One file's analysis result for `commitFiles`. */
export interface FileCommit {
  /** The file's row id (a file marked pending), or where to create or replace its row (a new file). */
  readonly target: number | { readonly rootId: number; readonly path: string; readonly categoryMask: number };
  /** Size, mtime and fingerprint of the content analysed. */
  readonly identity: FileIdentityRow;
  /** The analysis, or why it failed. */
  readonly result: AnalysisCommit | { readonly analysisVersion: string; readonly error: string };
}

export interface FileIdentityRow {
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly fingerprint: string;
}

export interface StoreCounts {
  readonly roots: number;
  readonly files: Readonly<Record<"ok" | "failed" | "pending" | "missing" | "offline", number>>;
  readonly units: number;
  readonly searchableUnits: number;
  readonly audioSec: number;
  readonly lastSeq: number;
}

/**
 * Committed log rows kept in memory for the catalog and the index to read: 8192 rows, ~7 MB with 64-value
 * embeddings. They normally go within a few ms (as soon as both have read them); beyond this (an index
 * busy rebuilding) the older half is dropped and read back from the log when needed.
 */
const RECENT_CHANGES_MAX = 8192;

const PITCH_COLUMN = descriptorIndex("pitchMidi");
const LOUDNESS_COLUMN = descriptorIndex("rmsDb.mean");
const DURATION_COLUMN = descriptorIndex("durationSec");

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS roots (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'online',
  analysis_options TEXT NOT NULL,
  added_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  root_id INTEGER NOT NULL REFERENCES roots(id),
  path TEXT NOT NULL UNIQUE,
  size_bytes INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  presence TEXT NOT NULL DEFAULT 'present',
  error TEXT,
  analysis_version TEXT,
  format TEXT,
  sample_rate_hz INTEGER,
  channel_count INTEGER,
  frame_count INTEGER,
  duration_sec REAL,
  category_mask INTEGER NOT NULL DEFAULT 0,
  unit_count INTEGER NOT NULL DEFAULT 0,
  analysis_sec REAL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS files_root ON files(root_id);
CREATE INDEX IF NOT EXISTS files_fingerprint ON files(fingerprint);
CREATE TABLE IF NOT EXISTS units (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id INTEGER NOT NULL REFERENCES files(id),
  unit_index INTEGER NOT NULL,
  start_frame INTEGER NOT NULL,
  end_frame INTEGER NOT NULL,
  silent INTEGER NOT NULL,
  duration_sec REAL NOT NULL,
  pitch_midi REAL,
  loudness_db REAL NOT NULL,
  vector BLOB NOT NULL,
  embedding BLOB
);
CREATE INDEX IF NOT EXISTS units_file ON units(file_id, start_frame);
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  op INTEGER NOT NULL,
  unit_id INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS units_logged_add AFTER INSERT ON units
  BEGIN INSERT INTO changes (op, unit_id) VALUES (${CHANGE_ADD}, NEW.id); END;
CREATE TRIGGER IF NOT EXISTS units_logged_delete AFTER DELETE ON units
  BEGIN INSERT INTO changes (op, unit_id) VALUES (${CHANGE_DELETE}, OLD.id); END;
CREATE TABLE IF NOT EXISTS feature_spaces (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  schema_version INTEGER NOT NULL,
  columns TEXT NOT NULL,
  transforms TEXT NOT NULL,
  center BLOB NOT NULL,
  scale BLOB NOT NULL,
  embedding_dim INTEGER NOT NULL,
  centroids BLOB NOT NULL,
  cluster_count INTEGER NOT NULL,
  fitted_on_units INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
`;

/** Float32Array -> BLOB (a view, no copy). */
export function float32ToBlob(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

/** BLOB -> Float32Array (copied: SQLite buffers are not 4-byte aligned). */
export function blobToFloat32(blob: Buffer | Uint8Array): Float32Array {
  const out = new Float32Array(blob.byteLength >> 2);
  new Uint8Array(out.buffer).set(blob.subarray(0, out.length * 4));
  return out;
}

interface FileRow {
  id: number;
  root_id: number;
  path: string;
  size_bytes: number;
  mtime_ms: number;
  fingerprint: string;
  status: FileStatus;
  presence: FilePresence;
  error: string | null;
  analysis_version: string | null;
  format: string | null;
  sample_rate_hz: number | null;
  channel_count: number | null;
  frame_count: number | null;
  duration_sec: number | null;
  category_mask: number;
  unit_count: number;
  analysis_sec: number | null;
  updated_at_ms: number;
}

function toFile(row: FileRow): FileRecord {
  return {
    id: row.id,
    rootId: row.root_id,
    path: row.path,
    sizeBytes: row.size_bytes,
    mtimeMs: row.mtime_ms,
    fingerprint: row.fingerprint,
    status: row.status,
    presence: row.presence,
    error: row.error,
    analysisVersion: row.analysis_version,
    format: row.format,
    sampleRateHz: row.sample_rate_hz,
    channelCount: row.channel_count,
    frameCount: row.frame_count,
    durationSec: row.duration_sec,
    categoryMask: row.category_mask >>> 0,
    unitCount: row.unit_count,
    analysisSec: row.analysis_sec,
    updatedAtMs: row.updated_at_ms,
  };
}

interface RootRow {
  id: number;
  path: string;
  status: RootStatus;
  analysis_options: string;
  added_at_ms: number;
}

function toRoot(row: RootRow): RootRecord {
  return { id: row.id, path: row.path, status: row.status, analysisOptions: row.analysis_options, addedAtMs: row.added_at_ms };
}

interface UnitRow {
  id: number;
  file_id: number;
  unit_index: number;
  start_frame: number;
  end_frame: number;
  silent: number;
  duration_sec: number;
  pitch_midi: number | null;
  loudness_db: number;
  vector: Buffer;
  embedding: Buffer | null;
}

function toUnit(row: UnitRow): UnitRecord {
  return {
    id: row.id,
    fileId: row.file_id,
    index: row.unit_index,
    startFrame: row.start_frame,
    endFrame: row.end_frame,
    silent: row.silent !== 0,
    durationSec: row.duration_sec,
    pitchMidi: row.pitch_midi ?? Number.NaN,
    loudnessDb: row.loudness_db,
    vector: blobToFloat32(row.vector),
    embedding: row.embedding ? blobToFloat32(row.embedding) : null,
  };
}

/** The scalars filters use, read from a raw descriptor vector. Unpitched units (pitch 0) get NaN. */
export function unitScalarsOf(vector: ArrayLike<number>): { durationSec: number; pitchMidi: number; loudnessDb: number } {
  const pitch = vector[PITCH_COLUMN]!;
  return {
    durationSec: vector[DURATION_COLUMN]!,
    pitchMidi: pitch > 0 ? pitch : Number.NaN,
    loudnessDb: vector[LOUDNESS_COLUMN]!,
  };
}

export interface StoreOptions {
  /** Open without writing anything (a `find` next to a running indexer). */
  readonly readOnly?: boolean;
  /** Clock for `updated_at_ms` (injectable for tests). */
  readonly nowMs?: () => number;
}

/**
 * The corpus database. All methods are synchronous (better-sqlite3); each mutating method is one
 * transaction.
 */
export class CorpusStore {
  readonly dbPath: string;
  readonly readOnly: boolean;
  private readonly db: Database.Database;
  private readonly nowMs: () => number;
  private readonly stmt: ReturnType<CorpusStore["prepareStatements"]>;
  /** Statements of rare calls, prepared on first use. */
  private readonly lazyStatements = new Map<string, Database.Statement>();
  /**
   * The newest ADD rows of the change log as this connection committed them (seq `recentFromSeq + 1 + i`),
   * so the catalog and the index read what was just committed from memory instead of reading the vectors
   * back (see `changesAfter`). Only unit inserts are recorded; anything that deletes units forgets them
   * all (a cached ADD row must never outlive its unit: the log query returns no vector for it then).
   */
  private readonly recentChanges: ChangeRow[] = [];
  private recentFromSeq = 0;
  /** Roots as last read (writers only: nothing else writes while the writer lock is held). */
  private rootsCache: RootRecord[] | null = null;
  /** One transaction around any number of file commits (see `commitFiles`). */
  private readonly commitFilesTx: (commits: readonly FileCommit[]) => LoggedCommit[];
  private readonly setPresenceTx: (fileIds: readonly number[], presence: FilePresence) => void;

  private constructor(dbPath: string, db: Database.Database, options: StoreOptions) {
    this.dbPath = dbPath;
    this.db = db;
    this.readOnly = options.readOnly ?? false;
    this.nowMs = options.nowMs ?? Date.now;
    this.stmt = this.prepareStatements();
    // Transaction wrappers made once (better-sqlite3 builds one per `transaction()` call).
    this.commitFilesTx = db.transaction((commits: readonly FileCommit[]) => commits.map((commit) => this.commitFileInTx(commit)));
    this.setPresenceTx = db.transaction((fileIds: readonly number[], presence: FilePresence) => {
      const now = this.nowMs();
      for (const id of fileIds) this.stmt.setPresence.run(presence, now, id);
    });
  }

  /**
   * Opens (creating when needed) `<dataDir>/mass-audio.sqlite`.
   * @throws StoreError when the database cannot be opened or was written by an incompatible version.
   */
  static open(dataDir: string, options: StoreOptions = {}): CorpusStore {
    const dbPath = join(dataDir, DB_FILE_NAME);
    let db: Database.Database;
    try {
      if (!options.readOnly) mkdirSync(dataDir, { recursive: true });
      db = new Database(dbPath, { readonly: options.readOnly ?? false, fileMustExist: options.readOnly ?? false });
    } catch (error) {
      throw new StoreError(dbPath, `cannot open the corpus database (${(error as Error).message})`, { cause: error });
    }
    try {
      db.pragma("busy_timeout = 10000");
      if (!options.readOnly) {
        db.pragma("journal_mode = WAL");
        // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); only an OS
        // crash or power loss may lose the last few, and the database stays consistent either way.
        db.pragma("synchronous = NORMAL");
        db.exec(SCHEMA_SQL);
        const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() as string | undefined;
        if (format === undefined) {
          const insert = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
          insert.run("format", String(STORE_FORMAT_VERSION));
          insert.run("store_id", randomStoreId());
        } else if (Number(format) !== STORE_FORMAT_VERSION) {
          throw new StoreError(dbPath, `store format ${format} is not supported (this version reads ${STORE_FORMAT_VERSION}); move the folder away to start a new corpus`);
        }
      } else {
        const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() as string | undefined;
        if (Number(format) !== STORE_FORMAT_VERSION) {
          throw new StoreError(dbPath, `store format ${format ?? "unknown"} is not supported (this version reads ${STORE_FORMAT_VERSION})`);
        }
      }
      return new CorpusStore(dbPath, db, options);
    } catch (error) {
      db.close();
      if (error instanceof StoreError) throw error;
      throw new StoreError(dbPath, `not a mass-audio corpus database (${(error as Error).message})`, { cause: error });
    }
  }

  private prepareStatements() {
    const db = this.db;
    return {
      rootByPath: db.prepare("SELECT * FROM roots WHERE path = ?"),
      rootById: db.prepare("SELECT * FROM roots WHERE id = ?"),
      roots: db.prepare("SELECT * FROM roots ORDER BY path"),
      fileByPath: db.prepare("SELECT * FROM files WHERE path = ?"),
      fileById: db.prepare("SELECT * FROM files WHERE id = ?"),
      filesOfRoot: db.prepare("SELECT * FROM files WHERE root_id = ? ORDER BY path"),
      filesByFingerprint: db.prepare("SELECT * FROM files WHERE fingerprint = ? AND size_bytes = ? ORDER BY id"),
      filesAfter: db.prepare("SELECT * FROM files WHERE id > ? ORDER BY id LIMIT ?"),
      unitById: db.prepare("SELECT * FROM units WHERE id = ?"),
      unitFramesById: db.prepare("SELECT start_frame, end_frame FROM units WHERE id = ?").raw(),
      unitsOfFile: db.prepare("SELECT * FROM units WHERE file_id = ? ORDER BY start_frame, id"),
      unitIdsOfFile: db.prepare("SELECT id FROM units WHERE file_id = ?").pluck(),
      unitAtFrame: db.prepare(
        "SELECT * FROM units WHERE file_id = ? AND start_frame <= ? ORDER BY start_frame DESC, id DESC LIMIT 1",
      ),
      firstUnitOfFile: db.prepare("SELECT * FROM units WHERE file_id = ? ORDER BY start_frame, id LIMIT 1"),
      unitScalarsAfter: db
        .prepare("SELECT id, file_id, duration_sec, pitch_midi, loudness_db FROM units WHERE id > ? ORDER BY id LIMIT ?")
        .raw(),
      unitVectorsAfter: db.prepare("SELECT id, vector, embedding FROM units WHERE id > ? ORDER BY id LIMIT ?").raw(),
      unitCount: db.prepare("SELECT COUNT(*) FROM units").pluck(),
      maxUnitId: db.prepare("SELECT COALESCE(MAX(id), 0) FROM units").pluck(),
      // AUTOINCREMENT keeps the high-water mark in sqlite_sequence, also after the log is pruned.
      lastSeq: db.prepare("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)").pluck(),
      changesAfter: db
        .prepare(
          `SELECT c.seq, c.op, c.unit_id, u.vector, u.embedding, u.file_id, u.duration_sec, u.pitch_midi, u.loudness_db
           FROM changes c LEFT JOIN units u ON u.id = c.unit_id AND c.op = ${CHANGE_ADD}
           WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq LIMIT ?`,
        )
        .raw(),
      meta: db.prepare("SELECT value FROM meta WHERE key = ?").pluck(),
      setMeta: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      spaceById: db.prepare("SELECT * FROM feature_spaces WHERE id = ?"),
      insertUnit: db.prepare(
        `INSERT INTO units (file_id, unit_index, start_frame, end_frame, silent, duration_sec, pitch_midi, loudness_db, vector, embedding)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteUnitsOfFile: db.prepare("DELETE FROM units WHERE file_id = ?"),
      deleteFile: db.prepare("DELETE FROM files WHERE id = ?"),
      markPending: db.prepare(
        `INSERT INTO files (root_id, path, size_bytes, mtime_ms, fingerprint, status, presence, category_mask, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, 'pending', 'present', ?, ?)
         ON CONFLICT(path) DO UPDATE SET root_id = excluded.root_id, size_bytes = excluded.size_bytes,
           mtime_ms = excluded.mtime_ms, fingerprint = excluded.fingerprint, status = 'pending', presence = 'present',
           category_mask = excluded.category_mask, updated_at_ms = excluded.updated_at_ms
         RETURNING *`,
      ),
      commitOk: db.prepare(
        `UPDATE files SET status = 'ok', presence = 'present', error = NULL, analysis_version = ?, format = ?,
           sample_rate_hz = ?, channel_count = ?, frame_count = ?, duration_sec = ?, unit_count = ?, analysis_sec = ?,
           size_bytes = ?, mtime_ms = ?, fingerprint = ?, updated_at_ms = ?
         WHERE id = ? RETURNING *`,
      ),
      upsertOk: db.prepare(
        `INSERT INTO files (root_id, path, category_mask, status, presence, error, analysis_version, format, sample_rate_hz,
           channel_count, frame_count, duration_sec, unit_count, analysis_sec, size_bytes, mtime_ms, fingerprint, updated_at_ms)
         VALUES (?, ?, ?, 'ok', 'present', NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(path) DO UPDATE SET root_id = excluded.root_id, category_mask = excluded.category_mask, status = 'ok',
           presence = 'present', error = NULL, analysis_version = excluded.analysis_version, format = excluded.format,
           sample_rate_hz = excluded.sample_rate_hz, channel_count = excluded.channel_count, frame_count = excluded.frame_count,
           duration_sec = excluded.duration_sec, unit_count = excluded.unit_count, analysis_sec = excluded.analysis_sec,
           size_bytes = excluded.size_bytes, mtime_ms = excluded.mtime_ms, fingerprint = excluded.fingerprint,
           updated_at_ms = excluded.updated_at_ms
         RETURNING *`,
      ),
      commitFailed: db.prepare(
        `UPDATE files SET status = 'failed', presence = 'present', error = ?, analysis_version = ?, unit_count = 0,
           size_bytes = ?, mtime_ms = ?, fingerprint = ?, updated_at_ms = ? WHERE id = ? RETURNING *`,
      ),
      upsertFailed: db.prepare(
        `INSERT INTO files (root_id, path, size_bytes, mtime_ms, fingerprint, status, presence, error, analysis_version,
           unit_count, category_mask, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, 'failed', 'present', ?, ?, 0, ?, ?)
         ON CONFLICT(path) DO UPDATE SET root_id = excluded.root_id, size_bytes = excluded.size_bytes,
           mtime_ms = excluded.mtime_ms, fingerprint = excluded.fingerprint, status = 'failed', presence = 'present',
           error = excluded.error, analysis_version = excluded.analysis_version, unit_count = 0,
           category_mask = excluded.category_mask, updated_at_ms = excluded.updated_at_ms
         RETURNING *`,
      ),
      setPresence: db.prepare("UPDATE files SET presence = ?, updated_at_ms = ? WHERE id = ?"),
    };
  }

  /** A statement of a rare call, prepared once. */
  private sql(text: string): Database.Statement {
    let statement = this.lazyStatements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.lazyStatements.set(text, statement);
    }
    return statement;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** A random id written when the store is created: snapshots name it so they never load into another store. */
  storeId(): string {
    return (this.stmt.meta.get("store_id") as string | undefined) ?? "unknown";
  }

  getMeta(key: string): string | undefined {
    return this.stmt.meta.get(key) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  // ---------------------------------------------------------------- roots

  /** Adds a root (idempotent); an existing root gets the new analysis options. */
  addRoot(path: string, analysisOptions: string): RootRecord {
    this.rootsCache = null;
    const existing = this.stmt.rootByPath.get(path) as RootRow | undefined;
    if (existing) {
      if (existing.analysis_options !== analysisOptions) {
        this.sql("UPDATE roots SET analysis_options = ? WHERE id = ?").run(analysisOptions, existing.id);
      }
      return toRoot({ ...existing, analysis_options: analysisOptions });
    }
    const info = this.sql("INSERT INTO roots (path, status, analysis_options, added_at_ms) VALUES (?, 'online', ?, ?)").run(
      path,
      analysisOptions,
      this.nowMs(),
    );
    return toRoot(this.stmt.rootById.get(Number(info.lastInsertRowid)) as RootRow);
  }

  getRoot(path: string): RootRecord | undefined {
    const row = this.stmt.rootByPath.get(path) as RootRow | undefined;
    return row ? toRoot(row) : undefined;
  }

  getRootById(id: number): RootRecord | undefined {
    const row = this.stmt.rootById.get(id) as RootRow | undefined;
    return row ? toRoot(row) : undefined;
  }

  /** All roots by path (a fresh array; a writer keeps the records in memory: the indexer asks per file). */
  listRoots(): RootRecord[] {
    if (this.rootsCache) return this.rootsCache.slice();
    const roots = (this.stmt.roots.all() as RootRow[]).map(toRoot);
    if (!this.readOnly) this.rootsCache = roots;
    return roots.slice();
  }

  /** Marks a root and all its files online/offline (files keep their units either way). */
  setRootStatus(rootId: number, status: RootStatus): void {
    this.rootsCache = null;
    this.db.transaction(() => {
      this.sql("UPDATE roots SET status = ? WHERE id = ?").run(status, rootId);
      if (status === "offline") {
        this.sql("UPDATE files SET presence = 'offline' WHERE root_id = ? AND presence = 'present'").run(rootId);
      }
    })();
  }

  /** Removes a root with all its files and units. @returns the removed unit ids. */
  removeRoot(rootId: number): number[] {
    this.rootsCache = null;
    return this.db.transaction(() => {
      const removed: number[] = [];
      for (const file of this.stmt.filesOfRoot.all(rootId) as FileRow[]) removed.push(...this.deleteFileInTx(file.id));
      this.sql("DELETE FROM roots WHERE id = ?").run(rootId);
      return removed;
    })();
  }

  // ---------------------------------------------------------------- files

  getFileByPath(path: string): FileRecord | undefined {
    const row = this.stmt.fileByPath.get(path) as FileRow | undefined;
    return row ? toFile(row) : undefined;
  }

  getFile(id: number): FileRecord | undefined {
    const row = this.stmt.fileById.get(id) as FileRow | undefined;
    return row ? toFile(row) : undefined;
  }

  listFilesOfRoot(rootId: number): FileRecord[] {
    return (this.stmt.filesOfRoot.all(rootId) as FileRow[]).map(toFile);
  }

  /** Files with this content (same fingerprint and size). */
  findFilesByContent(fingerprint: string, sizeBytes: number): FileRecord[] {
    return (this.stmt.filesByFingerprint.all(fingerprint, sizeBytes) as FileRow[]).map(toFile);
  }

  /** Pages through all files by id (for loading the catalog). */
  filesAfter(afterId: number, limit: number): FileRecord[] {
    return (this.stmt.filesAfter.all(afterId, limit) as FileRow[]).map(toFile);
  }

  /** Failed files with their reasons (for `status`). */
  failedFiles(limit: number): { path: string; error: string }[] {
    return this.sql("SELECT path, error FROM files WHERE status = 'failed' ORDER BY updated_at_ms DESC LIMIT ?").all(limit) as {
      path: string;
      error: string;
    }[];
  }

  /**
   * Records a file to analyse (status pending, present), creating or updating its row. Units of an earlier
   * analysis stay until the new analysis commits, so a crash in between loses nothing.
   */
  markPending(rootId: number, path: string, identity: FileIdentityRow, categoryMask: number): FileRecord {
    const row = this.stmt.markPending.get(rootId, path, identity.sizeBytes, identity.mtimeMs, identity.fingerprint, categoryMask, this.nowMs());
    return toFile(row as FileRow);
  }

  /**
   * Replaces a file's units with a fresh analysis and marks it ok, in one transaction.
   * @returns the file as committed and the ids of the removed and the added units.
   * @throws StoreError when there is no file with this id; RangeError when a unit's vector has the wrong length.
   */
  commitAnalysis(fileId: number, identity: FileIdentityRow, commit: AnalysisCommit): CommitResult {
    return this.commitOne({ target: fileId, identity, result: commit });
  }

  /**
   * `markPending` + `commitAnalysis` in one transaction, for a file whose row (if any) need not say
   * "pending" while it is analysed: a new file. A crash before this commit leaves no trace, and the next
   * scan finds the file new again; there is nothing in between to lose or to duplicate.
   * @returns the file as committed and the ids of the removed (a stale row's) and the added units.
   * @throws RangeError when a unit's vector has the wrong length (nothing is written).
   */
  commitAnalysisAt(rootId: number, path: string, identity: FileIdentityRow, categoryMask: number, commit: AnalysisCommit): CommitResult {
    return this.commitOne({ target: { rootId, path, categoryMask }, identity, result: commit });
  }

  /**
   * Commits the analyses (or failures) of several files in ONE transaction: each file is still all or
   * nothing (a crash commits all of them or none: a file not committed is analysed again by the next
   * scan, as after any crash before its commit), and the fixed cost of a transaction (WAL frames of the
   * shared pages, locks: ~0.1-0.2 ms) is paid once. When the transaction fails, each file is retried in a
   * transaction of its own, so one bad commit cannot take the others down.
   * @returns per commit, in order: what it changed, or the error that stopped it.
   */
  commitFiles(commits: readonly FileCommit[]): (CommitResult | Error)[] {
    if (commits.length === 1) {
      try {
        return [this.commitOne(commits[0]!)];
      } catch (error) {
        return [error instanceof Error ? error : new Error(String(error))];
      }
    }
    let logged: LoggedCommit[];
    try {
      logged = this.commitFilesTx(commits);
    } catch {
      return commits.map((commit) => {
        try {
          return this.commitOne(commit);
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    }
    return logged.map((result) => this.remember(result));
  }

  private commitOne(commit: FileCommit): CommitResult {
    return this.remember(this.commitFilesTx([commit])[0]!);
  }

  /** One file's commit inside a transaction. */
  private commitFileInTx(commit: FileCommit): LoggedCommit {
    const { target, identity, result } = commit;
    if ("units" in result) {
      const row = (
        typeof target === "number"
          ? this.stmt.commitOk.get(...this.okColumns(identity, result), target)
          : this.stmt.upsertOk.get(target.rootId, target.path, target.categoryMask, ...this.okColumns(identity, result))
      ) as FileRow | undefined;
      if (!row) throw new StoreError(this.dbPath, `commit: no file with id ${String(target)}`);
      return this.replaceUnitsInTx(row, result);
    }
    const now = this.nowMs();
    const row = (
      typeof target === "number"
        ? this.stmt.commitFailed.get(result.error, result.analysisVersion, identity.sizeBytes, identity.mtimeMs, identity.fingerprint, now, target)
        : this.stmt.upsertFailed.get(
            target.rootId,
            target.path,
            identity.sizeBytes,
            identity.mtimeMs,
            identity.fingerprint,
            result.error,
            result.analysisVersion,
            target.categoryMask,
            now,
          )
    ) as FileRow | undefined;
    if (!row) throw new StoreError(this.dbPath, `commit: no file with id ${String(target)}`);
    return { file: toFile(row), removed: this.deleteUnitsInTx(row.id), added: [], logged: [] };
  }

  /** Column values of an ok file row after `commit`, in the order of `commitOk` / `upsertOk`. */
  private okColumns(identity: FileIdentityRow, commit: AnalysisCommit): (string | number | null)[] {
    return [
      commit.analysisVersion,
      commit.format,
      commit.sampleRateHz,
      commit.channelCount,
      commit.frameCount,
      commit.durationSec,
      commit.units.length,
      commit.analysisSec,
      identity.sizeBytes,
      identity.mtimeMs,
      identity.fingerprint,
      this.nowMs(),
    ];
  }

  /** Inside a commit: the file's old units go, the new ones come; the log rows of the new ones are kept aside. */
  private replaceUnitsInTx(row: FileRow, commit: AnalysisCommit): LoggedCommit {
    const removed = this.deleteUnitsInTx(row.id);
    const added = this.insertUnitsInTx(row.id, commit.units, commit.embeddings);
    const lastSeq = this.stmt.lastSeq.get() as number;
    const logged: ChangeRow[] = [];
    for (let i = 0; i < added.length; i++) {
      const unit = commit.units[i]!;
      const unitId = added[i]!;
      const scalars = unitScalarsOf(unit.vector);
      const embedding = commit.embeddings?.[i] ?? null;
      // Each unit insert logged one row (trigger), in insert order: seqs lastSeq - n + 1 ... lastSeq.
      logged.push({
        seq: lastSeq - added.length + 1 + i,
        op: CHANGE_ADD,
        unitId,
        // Copies, as the log query would return: the caller may reuse its arrays.
        vector: unit.vector.slice(),
        embedding: embedding ? embedding.slice() : null,
        scalars: { id: unitId, fileId: row.id, ...scalars },
      });
    }
    return { file: toFile(row), removed, added, logged };
  }

  /** After a commit: keeps its log rows for `changesAfter` (a commit that removed units already dropped the rest). */
  private remember(result: LoggedCommit): CommitResult {
    const { logged, ...out } = result;
    // Its deletes come after everything remembered so far (also earlier commits of the same batch).
    if (out.removed.length > 0) this.forgetRecentChanges();
    const first = logged[0];
    if (first) {
      const recent = this.recentChanges;
      if (recent.length === 0 || this.recentFromSeq + recent.length !== first.seq - 1) {
        recent.length = 0;
        this.recentFromSeq = first.seq - 1;
      }
      for (const row of logged) recent.push(row);
      if (recent.length > RECENT_CHANGES_MAX) this.releaseChangesThrough(this.recentFromSeq + (recent.length >> 1));
    }
    return out;
  }

  /** Deletes a file's units (inside a transaction). @returns their ids. */
  private deleteUnitsInTx(fileId: number): number[] {
    const removed = this.stmt.unitIdsOfFile.all(fileId) as number[];
    if (removed.length > 0) {
      this.forgetRecentChanges();
      this.stmt.deleteUnitsOfFile.run(fileId);
    }
    return removed;
  }

  private insertUnitsInTx(fileId: number, units: readonly Unit[], embeddings?: readonly (Float32Array | null)[]): number[] {
    const added: number[] = [];
    for (let i = 0; i < units.length; i++) {
      const unit = units[i]!;
      if (unit.vector.length !== DESCRIPTOR_COUNT) {
        throw new RangeError(`unit ${i} has ${unit.vector.length} descriptor values, expected ${DESCRIPTOR_COUNT}`);
      }
      const scalars = unitScalarsOf(unit.vector);
      const embedding = embeddings?.[i] ?? null;
      const info = this.stmt.insertUnit.run(
        fileId,
        unit.index,
        unit.startFrame,
        unit.endFrame,
        unit.silent ? 1 : 0,
        scalars.durationSec,
        Number.isNaN(scalars.pitchMidi) ? null : scalars.pitchMidi,
        scalars.loudnessDb,
        float32ToBlob(unit.vector),
        embedding ? float32ToBlob(embedding) : null,
      );
      added.push(Number(info.lastInsertRowid));
    }
    return added;
  }

  /**
   * Records a failed analysis (units of an earlier version are removed: they describe other content).
   * @returns the removed unit ids.
   * @throws StoreError when there is no file with this id.
   */
  commitFailure(fileId: number, identity: FileIdentityRow, analysisVersion: string, error: string): number[] {
    return this.commitOne({ target: fileId, identity, result: { analysisVersion, error } }).removed;
  }

  /**
   * `markPending` + `commitFailure` in one transaction (a new file, as `commitAnalysisAt`).
   * @returns the file as committed and the removed unit ids (a stale row's).
   */
  commitFailureAt(
    rootId: number,
    path: string,
    identity: FileIdentityRow,
    categoryMask: number,
    analysisVersion: string,
    error: string,
  ): CommitResult {
    return this.commitOne({ target: { rootId, path, categoryMask }, identity, result: { analysisVersion, error } });
  }

  /**
   * Re-points a file (and its units, untouched) to a new path, e.g. after a move or rename. A row
   * already at `newPath` (stale content) is removed first.
   * @returns ids of units removed with that stale row.
   */
  moveFile(fileId: number, newRootId: number, newPath: string, identity: FileIdentityRow, categoryMask: number): number[] {
    return this.db.transaction(() => {
      const removed: number[] = [];
      const occupant = this.stmt.fileByPath.get(newPath) as FileRow | undefined;
      if (occupant && occupant.id !== fileId) removed.push(...this.deleteFileInTx(occupant.id));
      this.sql(
        `UPDATE files SET root_id = ?, path = ?, presence = 'present', size_bytes = ?, mtime_ms = ?, fingerprint = ?,
           category_mask = ?, updated_at_ms = ? WHERE id = ?`,
      ).run(newRootId, newPath, identity.sizeBytes, identity.mtimeMs, identity.fingerprint, categoryMask, this.nowMs(), fileId);
      return removed;
    })();
  }

  /**
   * Gives a new file (a copy of known content) the units of `donorId` without analysing it again.
   * @returns ids of removed (stale units at that path) and added units.
   */
  cloneFile(
    donorId: number,
    rootId: number,
    path: string,
    identity: FileIdentityRow,
    categoryMask: number,
  ): { fileId: number; removed: number[]; added: number[] } {
    return this.db.transaction(() => {
      const donor = this.stmt.fileById.get(donorId) as FileRow;
      const target = this.markPending(rootId, path, identity, categoryMask);
      const removed = this.deleteUnitsInTx(target.id);
      // Log rows of these inserts are not kept: the next `changesAfter` reads them from the log.
      const info = this.sql(
        `INSERT INTO units (file_id, unit_index, start_frame, end_frame, silent, duration_sec, pitch_midi, loudness_db, vector, embedding)
         SELECT ?, unit_index, start_frame, end_frame, silent, duration_sec, pitch_midi, loudness_db, vector, embedding
         FROM units WHERE file_id = ? ORDER BY id`,
      ).run(target.id, donorId);
      const added = (this.stmt.unitIdsOfFile.all(target.id) as number[]).sort((a, b) => a - b);
      this.sql(
        `UPDATE files SET status = donor.status, error = donor.error, analysis_version = donor.analysis_version,
           format = donor.format, sample_rate_hz = donor.sample_rate_hz, channel_count = donor.channel_count,
           frame_count = donor.frame_count, duration_sec = donor.duration_sec, unit_count = ?, analysis_sec = 0
         FROM (SELECT * FROM files WHERE id = ?) AS donor WHERE files.id = ?`,
      ).run(info.changes, donor.id, target.id);
      return { fileId: target.id, removed, added };
    })();
  }

  /**
   * Units made under another descriptor schema cannot share an index with current ones: deletes them and
   * marks their files pending (the next `index` analyses them again).
   * @param versionPrefix the analysis-version prefix of the current schema (e.g. "s1-").
   * @returns the number of files invalidated.
   */
  invalidateOtherSchemas(versionPrefix: string): number {
    return this.db.transaction(() => {
      const stale = this.sql("SELECT id FROM files WHERE analysis_version IS NOT NULL AND substr(analysis_version, 1, ?) <> ?")
        .pluck()
        .all(versionPrefix.length, versionPrefix) as number[];
      if (stale.length > 0) this.forgetRecentChanges();
      for (const id of stale) {
        this.stmt.deleteUnitsOfFile.run(id);
        this.sql("UPDATE files SET status = 'pending', analysis_version = NULL, unit_count = 0 WHERE id = ?").run(id);
      }
      return stale.length;
    })();
  }

  /** Sets presence of files (missing / offline / present); units are kept. */
  setPresence(fileIds: readonly number[], presence: FilePresence): void {
    this.setPresenceTx(fileIds, presence);
  }

  /** Deletes a file row and its units. @returns the removed unit ids. */
  deleteFile(fileId: number): number[] {
    return this.db.transaction(() => this.deleteFileInTx(fileId))();
  }

  private deleteFileInTx(fileId: number): number[] {
    const removed = this.deleteUnitsInTx(fileId);
    this.stmt.deleteFile.run(fileId);
    return removed;
  }

  // ---------------------------------------------------------------- units

  getUnit(id: number): UnitRecord | undefined {
    const row = this.stmt.unitById.get(id) as UnitRow | undefined;
    return row ? toUnit(row) : undefined;
  }

  /** A unit's span in its file's frames, without reading its vectors (query hits). */
  unitFrames(id: number): { startFrame: number; endFrame: number } | undefined {
    const row = this.stmt.unitFramesById.get(id) as [number, number] | undefined;
    return row ? { startFrame: row[0], endFrame: row[1] } : undefined;
  }

  unitsOfFile(fileId: number): UnitRecord[] {
    return (this.stmt.unitsOfFile.all(fileId) as UnitRow[]).map(toUnit);
  }

  /** The unit of a file that covers `frame` (the last one starting at or before it), else the first unit. */
  unitAtFrame(fileId: number, frame: number): UnitRecord | undefined {
    const row = (this.stmt.unitAtFrame.get(fileId, frame) ?? this.stmt.firstUnitOfFile.get(fileId)) as UnitRow | undefined;
    return row ? toUnit(row) : undefined;
  }

  /** Pages through unit scalars by id. */
  unitScalarsAfter(afterId: number, limit: number): UnitScalars[] {
    const rows = this.stmt.unitScalarsAfter.all(afterId, limit) as [number, number, number, number | null, number][];
    return rows.map(([id, fileId, durationSec, pitch, loudnessDb]) => ({
      id,
      fileId,
      durationSec,
      pitchMidi: pitch ?? Number.NaN,
      loudnessDb,
    }));
  }

  /** Pages through unit vectors by id. */
  unitVectorsAfter(afterId: number, limit: number): { id: number; vector: Float32Array; embedding: Float32Array | null }[] {
    const rows = this.stmt.unitVectorsAfter.all(afterId, limit) as [number, Buffer, Buffer | null][];
    return rows.map(([id, vector, embedding]) => ({
      id,
      vector: blobToFloat32(vector),
      embedding: embedding ? blobToFloat32(embedding) : null,
    }));
  }

  unitCount(): number {
    return this.stmt.unitCount.get() as number;
  }

  maxUnitId(): number {
    return this.stmt.maxUnitId.get() as number;
  }

  // ---------------------------------------------------------------- change log

  lastSeq(): number {
    return this.stmt.lastSeq.get() as number;
  }

  /** The oldest sequence number still in the log (0 when empty); a snapshot older than this cannot be replayed. */
  prunedThrough(): number {
    return Number(this.getMeta("pruned_through") ?? "0");
  }

  /**
   * Log entries with `afterSeq < seq <= uptoSeq`, with the vectors of units that still exist. Rows this
   * connection has just committed come from memory (the same values the log query returns).
   */
  changesAfter(afterSeq: number, uptoSeq: number, limit: number): ChangeRow[] {
    const recent = this.recentChanges;
    const start = afterSeq - this.recentFromSeq;
    if (start >= 0 && start < recent.length) {
      const end = Math.min(recent.length, uptoSeq - this.recentFromSeq, start + limit);
      return end > start ? recent.slice(start, end) : [];
    }
    const rows = this.stmt.changesAfter.all(afterSeq, uptoSeq, limit) as [
      number,
      number,
      number,
      Buffer | null,
      Buffer | null,
      number | null,
      number | null,
      number | null,
      number | null,
    ][];
    return rows.map(([seq, op, unitId, vector, embedding, fileId, durationSec, pitch, loudnessDb]) => ({
      seq,
      op,
      unitId,
      vector: vector ? blobToFloat32(vector) : null,
      embedding: embedding ? blobToFloat32(embedding) : null,
      scalars:
        vector && fileId !== null
          ? { id: unitId, fileId, durationSec: durationSec!, pitchMidi: pitch ?? Number.NaN, loudnessDb: loudnessDb! }
          : null,
    }));
  }

  /** The log rows up to `seq` are read by everyone who needs them from memory: they may go (from memory only). */
  releaseChangesThrough(seq: number): void {
    const drop = Math.min(this.recentChanges.length, seq - this.recentFromSeq);
    if (drop <= 0) return;
    this.recentChanges.splice(0, drop);
    this.recentFromSeq += drop;
  }

  /** How many committed log rows are held in memory (for tests). */
  get recentChangeCount(): number {
    return this.recentChanges.length;
  }

  private forgetRecentChanges(): void {
    this.recentFromSeq += this.recentChanges.length;
    this.recentChanges.length = 0;
  }

  /** Drops log entries up to `seq` (after a durable snapshot that contains them). */
  pruneChanges(seq: number): void {
    this.db.transaction(() => {
      this.sql("DELETE FROM changes WHERE seq <= ?").run(seq);
      if (seq > this.prunedThrough()) this.setMeta("pruned_through", String(seq));
    })();
  }

  // ---------------------------------------------------------------- feature spaces

  currentFeatureSpace(): FeatureSpace | undefined {
    const id = this.getMeta("current_space");
    if (id === undefined) return undefined;
    const row = this.stmt.spaceById.get(Number(id)) as
      | {
          id: number;
          schema_version: number;
          columns: string;
          transforms: string;
          center: Buffer;
          scale: Buffer;
          embedding_dim: number;
          centroids: Buffer;
          cluster_count: number;
          fitted_on_units: number;
        }
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      schemaVersion: row.schema_version,
      columns: JSON.parse(row.columns) as string[],
      transforms: JSON.parse(row.transforms) as ColumnTransform[],
      center: blobToFloat32(row.center),
      scale: blobToFloat32(row.scale),
      embeddingDim: row.embedding_dim,
      embeddingModel: row.embedding_dim > 0 ? (this.getMeta(`space_embedding_model:${row.id}`) ?? null) : null,
      embeddingScale: Number(this.getMeta(`space_embedding_scale:${row.id}`) ?? Math.sqrt(row.embedding_dim)),
      centroids: blobToFloat32(row.centroids),
      clusterCount: row.cluster_count,
      fittedOnUnits: row.fitted_on_units,
    };
  }

  /** Saves a feature space and makes it current. @returns the space with its new id. */
  saveFeatureSpace(space: FeatureSpace): FeatureSpace {
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT INTO feature_spaces (schema_version, columns, transforms, center, scale, embedding_dim, centroids,
             cluster_count, fitted_on_units, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          space.schemaVersion,
          JSON.stringify(space.columns),
          JSON.stringify(space.transforms),
          float32ToBlob(space.center),
          float32ToBlob(space.scale),
          space.embeddingDim,
          float32ToBlob(space.centroids),
          space.clusterCount,
          space.fittedOnUnits,
          this.nowMs(),
        );
      const id = Number(info.lastInsertRowid);
      if (space.embeddingModel !== null) this.setMeta(`space_embedding_model:${id}`, space.embeddingModel);
      if (space.embeddingDim > 0) this.setMeta(`space_embedding_scale:${id}`, String(space.embeddingScale));
      this.setMeta("current_space", String(id));
      return { ...space, id };
    })();
  }

  // ---------------------------------------------------------------- status

  /** Files (by state) and units per root id. */
  rootCounts(): Map<number, { files: Record<"ok" | "failed" | "pending" | "missing" | "offline", number>; units: number }> {
    const rows = this.sql(
      "SELECT root_id, status, presence, COUNT(*) AS n, COALESCE(SUM(unit_count), 0) AS units FROM files GROUP BY root_id, status, presence",
    ).all() as { root_id: number; status: FileStatus; presence: FilePresence; n: number; units: number }[];
    const out = new Map<number, { files: Record<"ok" | "failed" | "pending" | "missing" | "offline", number>; units: number }>();
    for (const row of rows) {
      let entry = out.get(row.root_id);
      if (!entry) {
        entry = { files: { ok: 0, failed: 0, pending: 0, missing: 0, offline: 0 }, units: 0 };
        out.set(row.root_id, entry);
      }
      if (row.presence === "offline") entry.files.offline += row.n;
      else if (row.presence === "missing") entry.files.missing += row.n;
      else entry.files[row.status] += row.n;
      entry.units += row.units;
    }
    return out;
  }

  counts(): StoreCounts {
    const fileRows = this.sql(
      "SELECT status, presence, COUNT(*) AS n, COALESCE(SUM(duration_sec), 0) AS sec, SUM(unit_count) AS units FROM files GROUP BY status, presence",
    ).all() as { status: FileStatus; presence: FilePresence; n: number; sec: number; units: number | null }[];
    const files = { ok: 0, failed: 0, pending: 0, missing: 0, offline: 0 };
    let audioSec = 0;
    let searchableUnits = 0;
    for (const row of fileRows) {
      if (row.presence === "offline") files.offline += row.n;
      else if (row.presence === "missing") files.missing += row.n;
      else files[row.status] += row.n;
      if (row.status === "ok") audioSec += row.sec;
      if (row.status === "ok" && row.presence === "present") searchableUnits += row.units ?? 0;
    }
    return {
      roots: (this.sql("SELECT COUNT(*) FROM roots").pluck().get() as number) ?? 0,
      files,
      units: this.unitCount(),
      searchableUnits,
      audioSec,
      lastSeq: this.lastSeq(),
    };
  }
}

function randomStoreId(): string {
  return randomBytes(8).toString("hex");
}
