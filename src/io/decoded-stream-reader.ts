/**
 * Streaming reader for compressed formats with a WebAssembly streaming decoder (FLAC, MP3, Ogg Vorbis,
 * Opus): the file is read in 256 KiB chunks, each fed to the decoder, and the decoded audio is re-cut into
 * blocks of exactly `blockFrames` (the last one shorter). Memory stays bounded by one input chunk, its
 * decoded output and one block, however long the file (codecs that bound their output per call keep the
 * rest of the chunk and report `hasPendingOutput`; the cursor drains them before reading more). A file
 * that the opener already read whole (<= 64 KiB) is decoded from those bytes without another read.
 *
 * `readRange` keeps one decoder position between calls. A range that starts at or up to
 * `FORWARD_WINDOW_SEC` after that position is decoded forward from it. Any other range of a native FLAC
 * stream (<= 24 bits) starts at the frame that holds its first sample, found by `FlacSeeker` (SEEKTABLE,
 * then bisection over frame headers), and decodes from there: the samples are those of a sequential decode.
 * A seeked decode that meets any decoder error (damage, a false sync) is thrown away and that range is
 * decoded from the start instead (the decoder keeps damaged and lost frames in their numbered places, so
 * ranges elsewhere still seek). A stream whose frame numbering the seeker does not trust never seeks.
 * An MPEG-1 Layer III stream seeks through `Mp3Seeker` (an index of frame offsets built on the first seek,
 * pre-roll frames decoded and dropped): the samples are those of the sequential gapless decode, cut at its
 * end. Before the first MP3 seek, one seeked decode near the start is compared with the sequential one;
 * a stream where they differ (or that the seeker does not trust) never seeks. Other formats cannot seek: a
 * range before the decoder position restarts from frame 0.
 */

import { DecodeError } from "../core/errors.js";
import type { AudioInfo } from "./audio-info.js";
import type { AudioBlock, AudioFileReader } from "./audio-reader.js";
import type { ByteSource } from "./byte-source.js";
import { allocateChannels, checkBlockFrames, checkFrameRange, DEFAULT_BLOCK_FRAMES } from "./read-args.js";
import { FlacSeeker } from "./flac-seek.js";
import { Mp3Seeker } from "./mp3-seek.js";
import { createStreamCodec, type DecodedChunk, type StreamCodec, type StreamCodecFormat } from "./stream-codecs.js";

/** Encoded bytes fed to the decoder per call: 256 KiB. */
const INPUT_CHUNK_BYTES = 256 * 1024;
const NO_BYTES = new Uint8Array(0);
/** Smallest block buffer allocated when the header gives a (possibly wrong) small length: 4096 frames. */
const MIN_BUFFER_FRAMES = 4096;
/**
 * A range starting this far after the decoder position at most is decoded forward instead of seeking:
 * 2 s (decoding 2 s of FLAC takes ~2 ms, about what a seek costs).
 */
const FORWARD_WINDOW_SEC = 2;
/**
 * The MP3 seek check (once per reader, on the first seek): a seeked decode of the two frames from audio
 * frame 32 must equal the sequential decode there, else the stream is never sought. 32 frames: past the
 * gapless start trim and the seek pre-roll (~0.8 s of audio decoded twice, ~2 ms).
 */
const MP3_CHECK_FRAME = 32;
const MP3_CHECK_FRAMES = 2;

/**
 * First input chunk of a range read's cursor: 32 KiB (a short range needs a few frames); later chunks
 * double up to INPUT_CHUNK_BYTES.
 */
const SEEK_FIRST_CHUNK_BYTES = 32 * 1024;

/**
 * Where a range read's cursor starts: a byte offset in the file, the stream frame there and bytes fed to
 * the codec first (for a FLAC seek: "fLaC" + STREAMINFO). `blocks()` cursors start at the stream's start.
 */
interface CursorStart {
  readonly byteOffset: number;
  /** Stream frame of the first decoded frame (an MP3 seek's pre-roll may start below 0). */
  readonly frame: number;
  readonly head: Uint8Array | undefined;
  /** True for a start found by a seeker (not the start of the stream). */
  readonly seeked?: boolean;
  /** Stream frame where the decode stops (an MP3 seek: the sequential decode's gapless end). */
  readonly endFrame?: number;
  /** Size of the first input chunk (an MP3 seek: the bytes up to the range's end); SEEK_FIRST_CHUNK_BYTES otherwise. */
  readonly firstChunkBytes?: number;
}

/**
 * Block buffers of finished `blocks()` iterations, kept for the next ones (per thread): fresh arrays per
 * file cost their zeroing and page faults every time (blocks of short files are sized to the file, so a
 * kept buffer may be longer than a block: blocks are views of its start). At most `MAX_IDLE_BLOCK_BUFFERS`.
 */
const IDLE_BLOCK_BUFFERS: Float32Array[] = [];
const MAX_IDLE_BLOCK_BUFFERS = 8;

/** `count` channel buffers of at least `frames` samples (contents undefined: every block is written before it is yielded). */
function takeBlockBuffers(count: number, frames: number): Float32Array[] {
  const buffers: Float32Array[] = [];
  for (let c = 0; c < count; c++) {
    let best = -1;
    for (let i = 0; i < IDLE_BLOCK_BUFFERS.length; i++) {
      const length = IDLE_BLOCK_BUFFERS[i]!.length;
      if (length >= frames && (best < 0 || length < IDLE_BLOCK_BUFFERS[best]!.length)) best = i;
    }
    buffers.push(best >= 0 ? IDLE_BLOCK_BUFFERS.splice(best, 1)[0]! : new Float32Array(frames));
  }
  return buffers;
}

function giveBlockBuffers(buffers: readonly Float32Array[]): void {
  for (const buffer of buffers) {
    if (IDLE_BLOCK_BUFFERS.length < MAX_IDLE_BLOCK_BUFFERS) {
      IDLE_BLOCK_BUFFERS.push(buffer);
      continue;
    }
    // keep the largest: a long file's blocks then never allocate
    let smallest = 0;
    for (let i = 1; i < IDLE_BLOCK_BUFFERS.length; i++) if (IDLE_BLOCK_BUFFERS[i]!.length < IDLE_BLOCK_BUFFERS[smallest]!.length) smallest = i;
    if (IDLE_BLOCK_BUFFERS[smallest]!.length < buffer.length) IDLE_BLOCK_BUFFERS[smallest] = buffer;
  }
}

/**
 * Input chunk buffers of finished cursors whose codec copies its input, kept for the next cursors (per
 * thread): a fresh 256 KiB buffer per chunk costs its zeroing and page faults, a visible part of
 * reading many short files. At most `MAX_IDLE_CHUNK_BUFFERS`.
 */
const IDLE_CHUNK_BUFFERS: Uint8Array[] = [];
const MAX_IDLE_CHUNK_BUFFERS = 4;

/**
 * True when `codec` declares that it copies every chunk before `decode` returns (`copiesInput`, read on
 * every chunk: a codec that picks its decoder on the first chunk may say so from then on). Such a codec
 * gets its chunks in one reused buffer; any other keeps a fresh buffer per chunk, as codec-parser may keep
 * references to its input between calls.
 */
function copiesInput(codec: StreamCodec): boolean {
  return (codec as { readonly copiesInput?: boolean }).copiesInput === true;
}

/** Sequential decoder state: hands out decoded frames in order, decoding more input on demand. */
class DecodeCursor {
  /** Stream frame of the next frame handed out. */
  position: number;
  private filePosition: number;
  private head: Uint8Array | undefined;
  private readonly endFrame: number | undefined;
  private chunkBytes: number;
  private segment: readonly Float32Array[] = [];
  private segmentFrames = 0;
  private segmentPosition = 0;
  private inputDone = false;
  private flushed = false;
  private errorCount = 0;
  private firstError: string | undefined;
  /** The reused input buffer (see `copiesInput`), taken on the first chunk that may use it. */
  private chunkBuffer: Uint8Array | undefined;

  constructor(
    private readonly source: ByteSource,
    private readonly codec: StreamCodec,
    private readonly info: AudioInfo,
    private readonly startOffset: number,
    private readonly wholeStream: Uint8Array | undefined,
    start: CursorStart | undefined,
    /** Reuse one input buffer whatever the codec declares (tests; see `DecodedStreamReaderOptions.reuseInput`). */
    private readonly reuseInput = false,
  ) {
    this.filePosition = start?.byteOffset ?? startOffset;
    this.position = start?.frame ?? 0;
    this.head = start?.head;
    this.endFrame = start?.endFrame;
    this.chunkBytes = start === undefined ? INPUT_CHUNK_BYTES : (start.firstChunkBytes ?? SEEK_FIRST_CHUNK_BYTES);
  }

  /** Decoder errors (lost sync, bad CRC...) met so far. */
  get errors(): number {
    return this.errorCount;
  }

  /**
   * Copies the next `frames` frames into `out[c][outOffset...]` (or drops them when `out` is undefined).
   * @returns frames delivered; fewer than `frames` only at the end of the stream.
   */
  async read(out: readonly Float32Array[] | undefined, outOffset: number, frames: number): Promise<number> {
    if (this.endFrame !== undefined) frames = Math.min(frames, Math.max(0, this.endFrame - this.position));
    let done = 0;
    while (done < frames) {
      if (this.segmentPosition >= this.segmentFrames) {
        if (!(await this.pull())) break;
        continue;
      }
      const n = Math.min(frames - done, this.segmentFrames - this.segmentPosition);
      if (out !== undefined) {
        for (let c = 0; c < out.length; c++) {
          out[c]!.set(this.segment[c]!.subarray(this.segmentPosition, this.segmentPosition + n), outOffset + done);
        }
      }
      this.segmentPosition += n;
      done += n;
    }
    this.position += done;
    return done;
  }

  /** The error to raise when the whole stream produced no frames. */
  nothingDecodedError(): DecodeError {
    const path = this.info.path;
    const format = this.info.format;
    if (this.errorCount > 0) {
      return new DecodeError(path, "corrupt", `${format} decoder produced no audio (${this.errorCount} errors; first: ${this.firstError})`);
    }
    const declared = this.info.frameCount;
    if (declared !== undefined && declared > 0) {
      return new DecodeError(path, "truncated", `${format} header declares ${declared} frames but no decodable audio frame follows (file cut short or damaged)`);
    }
    return new DecodeError(path, "zero_length", `${format} stream contains no audio frames`);
  }

  free(): void {
    this.codec.free();
    const buffer = this.chunkBuffer;
    this.chunkBuffer = undefined;
    if (buffer !== undefined && IDLE_CHUNK_BUFFERS.length < MAX_IDLE_CHUNK_BUFFERS) IDLE_CHUNK_BUFFERS.push(buffer);
  }

  /** The next input chunk from the file: in the reused buffer when the codec copies its input, else a new buffer. */
  private async readChunk(): Promise<Uint8Array> {
    if (!this.reuseInput && !copiesInput(this.codec)) return this.source.readAt(this.filePosition, this.chunkBytes);
    const size = Math.max(0, Math.min(this.chunkBytes, this.source.sizeBytes - this.filePosition));
    if (this.chunkBuffer === undefined || this.chunkBuffer.length < size) {
      const idle = IDLE_CHUNK_BUFFERS.pop();
      this.chunkBuffer = idle !== undefined && idle.length >= size ? idle : new Uint8Array(Math.max(size, INPUT_CHUNK_BYTES));
    }
    const got = await this.source.readInto(this.chunkBuffer, 0, size, this.filePosition);
    return this.chunkBuffer.subarray(0, got);
  }

  /** Decodes until a non-empty segment is ready; false at end of stream. */
  private async pull(): Promise<boolean> {
    while (true) {
      let decoded: DecodedChunk;
      if (this.codec.hasPendingOutput) {
        decoded = await this.guard(() => (this.flushed ? this.codec.flush() : this.codec.decode(NO_BYTES)));
      } else if (this.head !== undefined) {
        const head = this.head;
        this.head = undefined;
        decoded = await this.guard(() => this.codec.decode(head));
      } else if (!this.inputDone) {
        // The next chunk (a fresh buffer unless the codec copies its input, see `readChunk`), or the
        // already-read bytes of a small file (never written to).
        const chunk =
          this.wholeStream !== undefined ? this.wholeStream.subarray(this.filePosition - this.startOffset) : await this.readChunk();
        this.chunkBytes = Math.min(INPUT_CHUNK_BYTES, this.chunkBytes * 2);
        this.filePosition += chunk.length;
        if (chunk.length === 0 || this.filePosition >= this.source.sizeBytes) this.inputDone = true;
        if (chunk.length === 0) continue;
        decoded = await this.guard(() => this.codec.decode(chunk));
      } else if (!this.flushed) {
        this.flushed = true;
        decoded = await this.guard(() => this.codec.flush());
      } else {
        return false;
      }
      if (this.accept(decoded)) return true;
    }
  }

  private async guard(step: () => Promise<DecodedChunk>): Promise<DecodedChunk> {
    try {
      return await step();
    } catch (error) {
      throw new DecodeError(
        this.info.path,
        "corrupt",
        `${this.info.format} decoder failed near byte ${this.filePosition}: ${(error as Error).message ?? String(error)}`,
        { cause: error },
      );
    }
  }

  private accept(decoded: DecodedChunk): boolean {
    if (decoded.errorCount > 0) {
      if (this.errorCount === 0) this.firstError = decoded.firstError;
      this.errorCount += decoded.errorCount;
    }
    const frames = decoded.samplesDecoded;
    if (frames === 0) return false;
    const { channelCount, sampleRateHz, path, format } = this.info;
    if (decoded.channelData.length < channelCount) {
      throw new DecodeError(path, "corrupt", `${format} decoder produced ${decoded.channelData.length} channels where the header declares ${channelCount}`);
    }
    if (decoded.sampleRate > 0 && decoded.sampleRate !== sampleRateHz) {
      throw new DecodeError(
        path,
        "unsupported_codec",
        `${format} stream changes sample rate from ${sampleRateHz} Hz to ${decoded.sampleRate} Hz at frame ${this.position}; convert the file to a single-rate WAV or FLAC`,
      );
    }
    this.segment = decoded.channelData;
    this.segmentFrames = frames;
    this.segmentPosition = 0;
    return true;
  }
}

export interface DecodedStreamReaderOptions {
  /** Let `readRange` seek in native FLAC and MP3 (default true); false decodes forward only (benchmark baseline). */
  readonly seek?: boolean;
  /**
   * Read every input chunk into one reused buffer (default: only for a codec that declares `copiesInput`).
   * Only for codecs that copy their input: tests of the reused-buffer path.
   */
  readonly reuseInput?: boolean;
}

export class DecodedStreamReader implements AudioFileReader {
  private rangeCursor: DecodeCursor | undefined;
  private rangeQueue: Promise<unknown> = Promise.resolve();
  private readonly liveCursors = new Set<DecodeCursor>();
  /** Cursors that started at a seeked frame (not at the start of the stream). */
  private readonly seekedCursors = new WeakSet<DecodeCursor>();
  /** undefined: not tried yet; null: this stream does not seek (format, untrusted numbering, or the `seek: false` option). */
  private seeker: FlacSeeker | null | undefined;
  /** As `seeker`, for MP3 streams. */
  private mp3Seeker: Mp3Seeker | null | undefined;
  private closed = false;
  private readonly reuseInput: boolean;

  constructor(
    private readonly source: ByteSource,
    readonly info: AudioInfo,
    private readonly codecFormat: StreamCodecFormat,
    private readonly startOffset: number,
    /** The whole stream from `startOffset` to the end of the file when the opener already read it all. */
    private readonly wholeStream?: Uint8Array,
    options: DecodedStreamReaderOptions = {},
  ) {
    this.reuseInput = options.reuseInput === true;
    if (options.seek === false) {
      this.seeker = null;
      this.mp3Seeker = null;
    }
  }

  async *blocks(blockFrames: number = DEFAULT_BLOCK_FRAMES): AsyncIterable<AudioBlock> {
    checkBlockFrames(blockFrames);
    const cursor = await this.openCursor();
    try {
      // A short file needs no full-size buffers; the floor keeps a header that understates the length cheap.
      const known = this.info.frameCount;
      const size = known !== undefined ? Math.min(blockFrames, Math.max(known, MIN_BUFFER_FRAMES)) : blockFrames;
      const buffers = takeBlockBuffers(this.info.channelCount, size);
      try {
        const channels = buffers.map((buffer) => (buffer.length === size ? buffer : buffer.subarray(0, size)));
        let startFrame = 0;
        while (true) {
          const frames = await cursor.read(channels, 0, size);
          if (frames === 0) break;
          yield {
            channels: frames === size ? channels : channels.map((ch) => ch.subarray(0, frames)),
            frameCount: frames,
            startFrame,
          };
          startFrame += frames;
          if (frames < size) break;
        }
        if (startFrame === 0) throw cursor.nothingDecodedError();
      } finally {
        giveBlockBuffers(buffers);
      }
    } finally {
      this.releaseCursor(cursor);
    }
  }

  readRange(startFrame: number, endFrame: number): Promise<Float32Array[]> {
    checkFrameRange(startFrame, endFrame);
    // Calls share one cursor, so they run one after another.
    const result = this.rangeQueue.then(() => this.readRangeNow(startFrame, endFrame));
    this.rangeQueue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.rangeQueue;
    for (const cursor of this.liveCursors) cursor.free();
    this.liveCursors.clear();
    this.rangeCursor = undefined;
    await this.source.close();
  }

  private async readRangeNow(startFrame: number, endFrame: number, allowSeek = true): Promise<Float32Array[]> {
    const out = allocateChannels(this.info.channelCount, endFrame - startFrame);
    if (endFrame === startFrame) return out;
    let cursor = this.rangeCursor;
    // Without a cursor the decoder position is the start of the stream.
    const position = cursor?.position ?? 0;
    const forwardFrames = FORWARD_WINDOW_SEC * this.info.sampleRateHz;
    if (position <= startFrame && startFrame - position <= forwardFrames) {
      cursor ??= await this.openCursor({ byteOffset: this.startOffset, frame: 0, head: undefined });
      this.rangeCursor = cursor;
    } else {
      const seekStart = allowSeek ? await this.seekStart(startFrame, endFrame) : undefined;
      if (cursor !== undefined && (seekStart !== undefined || cursor.position > startFrame)) {
        this.releaseCursor(cursor);
        cursor = undefined;
      }
      cursor ??= await this.openCursor(seekStart ?? { byteOffset: this.startOffset, frame: 0, head: undefined });
      this.rangeCursor = cursor;
    }
    const active = cursor!;
    const seeked = this.seekedCursors.has(active);
    try {
      await active.read(undefined, 0, startFrame - active.position);
      if (active.position === startFrame) await active.read(out, 0, endFrame - startFrame);
    } catch (error) {
      this.releaseCursor(active);
      this.rangeCursor = undefined;
      if (!seeked) throw error;
      return this.abandonSeeking(startFrame, endFrame);
    }
    // A seeked decode must be clean: an error (damage, a false sync) may mean a numbering of frames other
    // than the sequential decode's.
    if (seeked && active.errors > 0) {
      this.releaseCursor(active);
      this.rangeCursor = undefined;
      return this.abandonSeeking(startFrame, endFrame);
    }
    return out;
  }

  /** Reads the range decoding from the start of the stream (after a seeked decode met an error). */
  private abandonSeeking(startFrame: number, endFrame: number): Promise<Float32Array[]> {
    return this.readRangeNow(startFrame, endFrame, false);
  }

  /**
   * Where to start decoding for a range that begins at `startFrame`, when the stream can seek; undefined
   * means from the start (no seeking, or the range begins in the first frame).
   */
  private async seekStart(startFrame: number, endFrame: number): Promise<CursorStart | undefined> {
    if (this.codecFormat === "mp3") return this.mp3SeekStart(startFrame, endFrame);
    if (this.seeker === undefined) {
      this.seeker = this.codecFormat === "flac" ? ((await FlacSeeker.open(this.source, this.startOffset)) ?? null) : null;
    }
    const seeker = this.seeker;
    if (seeker === null || startFrame >= seeker.totalSamples) return undefined;
    const frame = await seeker.locate(startFrame);
    if (frame.firstSample === 0) return undefined;
    return { byteOffset: frame.byteOffset, frame: frame.firstSample, head: seeker.decoderHead, seeked: true };
  }

  /** `seekStart` for MP3: the frame index is built on the first call. */
  private async mp3SeekStart(startFrame: number, endFrame: number): Promise<CursorStart | undefined> {
    if (this.mp3Seeker === undefined) {
      const seeker = (await Mp3Seeker.open(this.source, this.startOffset)) ?? null;
      // The header's length (Xing/LAME tag) must agree with the frames found.
      const declared = this.info.frameCount;
      const trusted = seeker !== null && (declared === undefined || declared === seeker.totalSamples) && (await this.mp3SeekMatches(seeker));
      this.mp3Seeker = trusted ? seeker : null;
    }
    const seeker = this.mp3Seeker;
    if (seeker === null || startFrame >= seeker.totalSamples) return undefined;
    const point = seeker.locate(startFrame, endFrame);
    if (point === undefined) return undefined;
    return {
      byteOffset: point.byteOffset,
      frame: point.firstSample,
      head: undefined,
      seeked: true,
      endFrame: seeker.totalSamples,
      // Only the frames of this range in the first read (a short unit needs a few KiB, not 32 KiB).
      firstChunkBytes: Math.min(INPUT_CHUNK_BYTES, point.rangeBytes),
    };
  }

  /**
   * True when a seeked decode gives the sequential decode's samples in frames MP3_CHECK_FRAME.. (checks the
   * gapless trim and the frame numbering the seeker assumes of mpg123). False for streams too short to check.
   */
  private async mp3SeekMatches(seeker: Mp3Seeker): Promise<boolean> {
    const from = seeker.frameStartSample(MP3_CHECK_FRAME);
    const to = from + MP3_CHECK_FRAMES * seeker.samplesPerFrame;
    if (seeker.frameCount < MP3_CHECK_FRAME + MP3_CHECK_FRAMES + 1 || to > seeker.totalSamples) return false;
    const point = seeker.locate(from, to);
    if (point === undefined) return false;
    const channels = this.info.channelCount;
    const decode = async (start: CursorStart): Promise<Float32Array[] | undefined> => {
      const cursor = await this.openCursor(start);
      try {
        const out = allocateChannels(channels, to - from);
        await cursor.read(undefined, 0, from - cursor.position);
        const got = await cursor.read(out, 0, to - from);
        return got === to - from && cursor.errors === 0 ? out : undefined;
      } finally {
        this.releaseCursor(cursor);
      }
    };
    try {
      const sequential = await decode({ byteOffset: this.startOffset, frame: 0, head: undefined, firstChunkBytes: point.byteOffset + point.rangeBytes - this.startOffset });
      if (sequential === undefined) return false;
      const seeked = await decode({ byteOffset: point.byteOffset, frame: point.firstSample, head: undefined, seeked: true, firstChunkBytes: point.rangeBytes });
      if (seeked === undefined) return false;
      for (let c = 0; c < channels; c++) {
        const a = sequential[c]!;
        const b = seeked[c]!;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  private async openCursor(start?: CursorStart): Promise<DecodeCursor> {
    if (this.closed) throw new DecodeError(this.source.path, "unreadable", "reader is closed");
    let codec: StreamCodec;
    try {
      codec = await createStreamCodec(this.codecFormat);
    } catch (error) {
      throw new DecodeError(this.source.path, "corrupt", `cannot start the ${this.codecFormat} decoder: ${(error as Error).message}`, { cause: error });
    }
    const cursor = new DecodeCursor(this.source, codec, this.info, this.startOffset, this.wholeStream, start, this.reuseInput);
    this.liveCursors.add(cursor);
    if (start?.seeked === true) this.seekedCursors.add(cursor);
    return cursor;
  }

  private releaseCursor(cursor: DecodeCursor): void {
    if (this.liveCursors.delete(cursor)) cursor.free();
  }
}
