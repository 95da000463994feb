/**
 * A bounded LRU cache of decoded source ranges for rendering. Units are read with `readRange` at the
 * file's native rate (never a whole-file decode when the format allows a range read); recently used
 * ranges stay in memory up to `maxBytes`, and a few readers stay open so that consecutive reads of one
 * file do not parse its header again.
 */
import { ParameterError } from "../core/errors.js";
import { openAudioFile, type AudioFileReader } from "../io/audio-reader.js";

/** Open readers kept: 16 files. */
const DEFAULT_MAX_OPEN_FILES = 16;

export interface SourceRange {
  /** Planar samples of the range at the file's native rate. Shared with the cache: do not modify. */
  readonly channels: readonly Float32Array[];
  readonly sampleRateHz: number;
}

export interface SourceCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
  readonly entries: number;
}

export interface SourceCacheOptions {
  /** Memory limit of cached samples, bytes (>= 1). */
  readonly maxBytes: number;
  readonly maxOpenFiles?: number;
  /** Reader factory (default `openAudioFile`). */
  readonly open?: (path: string) => Promise<AudioFileReader>;
}

export class SourceCache {
  private readonly ranges = new Map<string, SourceRange & { bytes: number }>();
  private readonly readers = new Map<string, Promise<AudioFileReader>>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private readonly maxBytes: number;
  private readonly maxOpenFiles: number;
  private readonly open: (path: string) => Promise<AudioFileReader>;

  /** @throws ParameterError on a non-positive limit. */
  constructor(options: SourceCacheOptions) {
    if (!(options.maxBytes >= 1)) throw new ParameterError(`source cache: maxBytes must be >= 1, got ${options.maxBytes}`);
    this.maxBytes = options.maxBytes;
    this.maxOpenFiles = Math.max(1, options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
    this.open = options.open ?? ((path) => openAudioFile(path));
  }

  /**
   * Planar samples of `[startFrame, endFrame)` of `path` at its native rate (frames past the end are zero).
   * @throws DecodeError when the file cannot be read; ParameterError on a bad range.
   */
  async read(path: string, startFrame: number, endFrame: number): Promise<SourceRange> {
    const key = `${path}\u0000${startFrame}\u0000${endFrame}`;
    const cached = this.ranges.get(key);
    if (cached) {
      this.hits++;
      this.ranges.delete(key);
      this.ranges.set(key, cached);
      return cached;
    }
    this.misses++;
    const reader = await this.reader(path);
    const channels = await reader.readRange(startFrame, endFrame);
    const bytes = channels.reduce((sum, c) => sum + c.byteLength, 0);
    const entry = { channels, sampleRateHz: reader.info.sampleRateHz, bytes };
    if (bytes <= this.maxBytes) {
      this.ranges.set(key, entry);
      this.bytes += bytes;
      for (const [oldKey, old] of this.ranges) {
        if (this.bytes <= this.maxBytes) break;
        this.ranges.delete(oldKey);
        this.bytes -= old.bytes;
      }
    }
    return entry;
  }

  /** Sample rate and channel count of a source file (opens it if needed). */
  async info(path: string): Promise<{ sampleRateHz: number; channelCount: number; frameCount: number | undefined }> {
    const reader = await this.reader(path);
    return { sampleRateHz: reader.info.sampleRateHz, channelCount: reader.info.channelCount, frameCount: reader.info.frameCount };
  }

  private async reader(path: string): Promise<AudioFileReader> {
    let pending = this.readers.get(path);
    if (pending) {
      this.readers.delete(path);
      this.readers.set(path, pending);
    } else {
      pending = this.open(path);
      this.readers.set(path, pending);
      pending.catch(() => this.readers.delete(path));
      while (this.readers.size > this.maxOpenFiles) {
        const [oldest, reader] = this.readers.entries().next().value as [string, Promise<AudioFileReader>];
        this.readers.delete(oldest);
        void reader.then((r) => r.close()).catch(() => undefined);
      }
    }
    return pending;
  }

  /** Drops the cached ranges and the open reader of a file (its content changed or it went away). */
  forget(path: string): void {
    const prefix = `${path}\u0000`;
    for (const [key, entry] of this.ranges) {
      if (!key.startsWith(prefix)) continue;
      this.ranges.delete(key);
      this.bytes -= entry.bytes;
    }
    const reader = this.readers.get(path);
    if (reader) {
      this.readers.delete(path);
      void reader.then((r) => r.close()).catch(() => undefined);
    }
  }

  stats(): SourceCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.bytes, entries: this.ranges.size };
  }

  /** Closes the open readers and drops the cached ranges. */
  async close(): Promise<void> {
    const readers = [...this.readers.values()];
    this.readers.clear();
    this.ranges.clear();
    this.bytes = 0;
    await Promise.all(readers.map((p) => p.then((r) => r.close()).catch(() => undefined)));
  }
}
