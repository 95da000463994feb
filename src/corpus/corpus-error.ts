/**
 * Errors of the corpus adapters: the store (SQLite) and the vector index (HNSW snapshot files).
 */
import { MassAudioError } from "../core/errors.js";

/** The corpus database could not be opened, is of an unknown format, or is locked by another writer. */
export class StoreError extends MassAudioError {
  readonly path: string;
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super("store_failed", `${path}: ${detail}`, options);
    this.path = path;
  }
}

/** A query names something the corpus does not hold (unit id, file, time past the end). */
export class NotFoundError extends MassAudioError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super("not_found", detail, options);
  }
}
