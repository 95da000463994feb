/**
 * Positioned reads from an open file: the only way the readers touch the disk. Every read names its
 * offset (no shared file cursor), so concurrent `blocks()` and `readRange()` calls on one reader are safe.
 */

import { closeSync, fstatSync, openSync, promises as fs, readSync, type Stats } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { DecodeError } from "../core/errors.js";

/** An open file that can be read at any byte offset. */
export interface ByteSource {
  readonly path: string;
  /** File size in bytes at open time. */
  readonly sizeBytes: number;
  /**
   * Reads up to `length` bytes at `position` into `target[targetOffset...]`; loops over short reads.
   * @returns bytes actually read (fewer than `length` only at end of file).
   * @throws DecodeError "unreadable" when the OS read fails.
   */
  readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number>;
  /** Reads up to `length` bytes at `position` into a new buffer (shorter at end of file). */
  readAt(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Maps an fs error code to the sentence a user can act on. */
function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "file does not exist (ENOENT)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${code}); check the file's read permission`;
    case "EISDIR":
      return "is a directory, not a file (EISDIR)";
    case "EMFILE":
    case "ENFILE":
      return `too many open files (${code}); lower the indexer's concurrency`;
    default:
      return `cannot be read: ${(error as Error | undefined)?.message ?? String(error)}`;
  }
}

/** Wraps an fs failure as DecodeError "unreadable". */
export function unreadable(path: string, error: unknown): DecodeError {
  return new DecodeError(path, "unreadable", describeFsError(error), { cause: error });
}

export interface ByteSourceOptions {
  /**
   * Read with blocking system calls on the calling thread instead of the libuv thread pool. Default: in
   * worker threads (an analysis worker has nothing else to do while it waits, and each pool round trip
   * costs two thread wake-ups per read), never on the main thread (it must keep answering).
   */
  readonly sync?: boolean;
}

/** Size of an opened file, or the DecodeError for something that is not a readable regular file. */
function checkedSize(path: string, stat: Stats): number {
  if (stat.isDirectory()) {
    throw unreadable(path, Object.assign(new Error("EISDIR: illegal operation on a directory"), { code: "EISDIR" }));
  }
  if (!stat.isFile()) throw new DecodeError(path, "unreadable", "is not a regular file (device, FIFO or socket)");
  return stat.size;
}

/**
 * Opens `path` for positioned reads.
 * @throws DecodeError "unreadable" (missing, not a regular file, no permission), "empty" (0 bytes).
 */
export async function openByteSource(path: string, options: ByteSourceOptions = {}): Promise<ByteSource> {
  if (options.sync ?? !isMainThread) return openSyncByteSource(path);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, "r");
  } catch (error) {
    throw unreadable(path, error);
  }
  let sizeBytes: number;
  try {
    sizeBytes = checkedSize(path, await handle.stat());
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error instanceof DecodeError ? error : unreadable(path, error);
  }
  if (sizeBytes === 0) {
    await handle.close().catch(() => undefined);
    throw new DecodeError(path, "empty", "file is empty (0 bytes)");
  }
  return new FileByteSource(path, handle, sizeBytes);
}

class FileByteSource implements ByteSource {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
    readonly sizeBytes: number,
  ) {}

  async readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    let done = 0;
    try {
      while (done < length) {
        const { bytesRead } = await this.handle.read(target, targetOffset + done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      throw unreadable(this.path, error);
    }
    return done;
  }

  readAt(position: number, length: number): Promise<Uint8Array> {
    return readNewBuffer(this, position, length);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** `ByteSource.readAt` of either kind: a new buffer of the bytes there (shorter at the end of the file). */
async function readNewBuffer(source: ByteSource, position: number, length: number): Promise<Uint8Array> {
  const size = Math.max(0, Math.min(length, source.sizeBytes - position));
  const buffer = new Uint8Array(size);
  const got = await source.readInto(buffer, 0, size, position);
  return got === size ? buffer : buffer.subarray(0, got);
}

function openSyncByteSource(path: string): ByteSource {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw unreadable(path, error);
  }
  let sizeBytes: number;
  try {
    sizeBytes = checkedSize(path, fstatSync(fd));
  } catch (error) {
    closeSync(fd);
    throw error instanceof DecodeError ? error : unreadable(path, error);
  }
  if (sizeBytes === 0) {
    closeSync(fd);
    throw new DecodeError(path, "empty", "file is empty (0 bytes)");
  }
  return new SyncFileByteSource(path, fd, sizeBytes);
}

/** `FileByteSource` with blocking reads (see `ByteSourceOptions.sync`); same results and errors. */
class SyncFileByteSource implements ByteSource {
  private closed = false;
  constructor(
    readonly path: string,
    private readonly fd: number,
    readonly sizeBytes: number,
  ) {}

  readInto(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    let done = 0;
    try {
      while (done < length) {
        const bytesRead = readSync(this.fd, target, targetOffset + done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      return Promise.reject(unreadable(this.path, error));
    }
    return Promise.resolve(done);
  }

  readAt(position: number, length: number): Promise<Uint8Array> {
    return readNewBuffer(this, position, length);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
    return Promise.resolve();
  }
}
