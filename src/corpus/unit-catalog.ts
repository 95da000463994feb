/**
 * In-memory metadata of every unit and file, in typed arrays indexed by id, so filters run inside the
 * HNSW search callback without touching SQLite. Loaded from the store on open and kept in step with
 * the same change log as the index. About 17 bytes per unit id (17 MB for a million units).
 */
import type { FileRecord, UnitScalars } from "./store.js";

export interface FileEntry {
  readonly id: number;
  readonly rootId: number;
  readonly path: string;
  readonly categoryMask: number;
  /** Searchable: analysed ok and present on disk. */
  readonly live: boolean;
  readonly sampleRateHz: number;
}

function grow<T extends Float32Array | Int32Array | Int16Array | Uint8Array | Uint32Array>(array: T, minLength: number, fill?: number): T {
  if (array.length >= minLength) return array;
  let length = Math.max(1024, array.length);
  while (length < minLength) length *= 2;
  const next = new (array.constructor as new (n: number) => T)(length);
  if (fill !== undefined) next.fill(fill);
  next.set(array);
  return next;
}

/** Unit and file metadata for filtering and for building hits. */
export class UnitCatalog {
  /** File id of each unit id; 0 = no such unit. */
  unitFile = new Int32Array(0);
  unitDurationSec = new Float32Array(0);
  /** NaN = unpitched. */
  unitPitchMidi = new Float32Array(0);
  unitLoudnessDb = new Float32Array(0);
  /** Per file id: 1 when the file's units are searchable. */
  fileLive = new Uint8Array(0);
  fileMask = new Uint32Array(0);
  private readonly files = new Map<number, FileEntry>();
  private unitTotal = 0;
  private fileUnitCounts = new Map<number, number>();
  private liveUnitTotal = 0;
  /** Bumped on every change, so cached filter results know when they are stale. */
  generation = 0;
  /** Bumped when a file is added, removed, moved or changes state (folder/category filters depend on it). */
  fileGeneration = 0;
  /** Highest unit id ever seen (array bound for scans). */
  maxUnitId = 0;

  get unitCount(): number {
    return this.unitTotal;
  }

  /** Units that searches can return (file ok and present). */
  get liveUnitCount(): number {
    return this.liveUnitTotal;
  }

  get fileCount(): number {
    return this.files.size;
  }

  file(id: number): FileEntry | undefined {
    return this.files.get(id);
  }

  allFiles(): IterableIterator<FileEntry> {
    return this.files.values();
  }

  /** Adds or updates a file from its store record. */
  setFile(record: FileRecord): void {
    const live = record.status === "ok" && record.presence === "present";
    const previous = this.files.get(record.id);
    this.files.set(record.id, {
      id: record.id,
      rootId: record.rootId,
      path: record.path,
      categoryMask: record.categoryMask,
      live,
      sampleRateHz: record.sampleRateHz ?? 0,
    });
    this.fileLive = grow(this.fileLive, record.id + 1);
    this.fileMask = grow(this.fileMask, record.id + 1);
    const wasLive = previous?.live ?? false;
    this.fileLive[record.id] = live ? 1 : 0;
    this.fileMask[record.id] = record.categoryMask;
    if (wasLive !== live) this.liveUnitTotal += (live ? 1 : -1) * (this.fileUnitCounts.get(record.id) ?? 0);
    this.generation++;
    this.fileGeneration++;
  }

  /** Forgets a file (its units must be removed separately, through the change log). */
  deleteFile(id: number): void {
    const entry = this.files.get(id);
    if (!entry) return;
    if (entry.live) this.liveUnitTotal -= this.fileUnitCounts.get(id) ?? 0;
    this.files.delete(id);
    this.fileLive[id] = 0;
    this.generation++;
    this.fileGeneration++;
  }

  addUnit(scalars: UnitScalars): void {
    const id = scalars.id;
    if (id >= this.unitFile.length) {
      this.unitFile = grow(this.unitFile, id + 1);
      this.unitDurationSec = grow(this.unitDurationSec, id + 1);
      this.unitPitchMidi = grow(this.unitPitchMidi, id + 1, Number.NaN);
      this.unitLoudnessDb = grow(this.unitLoudnessDb, id + 1);
    }
    if (this.unitFile[id] !== 0) this.removeUnit(id);
    this.unitFile[id] = scalars.fileId;
    this.unitDurationSec[id] = scalars.durationSec;
    this.unitPitchMidi[id] = scalars.pitchMidi;
    this.unitLoudnessDb[id] = scalars.loudnessDb;
    this.unitTotal++;
    this.fileUnitCounts.set(scalars.fileId, (this.fileUnitCounts.get(scalars.fileId) ?? 0) + 1);
    if (this.fileLive[scalars.fileId] === 1) this.liveUnitTotal++;
    if (id > this.maxUnitId) this.maxUnitId = id;
    this.generation++;
  }

  removeUnit(id: number): void {
    const fileId = this.unitFile[id] ?? 0;
    if (fileId === 0) return;
    this.unitFile[id] = 0;
    this.unitTotal--;
    const left = (this.fileUnitCounts.get(fileId) ?? 1) - 1;
    if (left > 0) this.fileUnitCounts.set(fileId, left);
    else this.fileUnitCounts.delete(fileId);
    if (this.fileLive[fileId] === 1) this.liveUnitTotal--;
    this.generation++;
  }

  hasUnit(id: number): boolean {
    return (this.unitFile[id] ?? 0) !== 0;
  }

  /** True when the unit exists and its file is searchable. */
  isLive(id: number): boolean {
    const fileId = this.unitFile[id] ?? 0;
    return fileId !== 0 && this.fileLive[fileId] === 1;
  }

  /** Unit ids of a file held in the catalog, ascending. */
  unitsOfFile(fileId: number): number[] {
    const out: number[] = [];
    for (let id = 1; id <= this.maxUnitId; id++) if (this.unitFile[id] === fileId) out.push(id);
    return out;
  }
}
