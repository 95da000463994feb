/**
 * MP3 decoding through the mpg123 WebAssembly build of `mpg123-decoder`, driven directly:
 *
 * - one WebAssembly instance per thread serves file after file (pooled): between files only mpg123's C
 *   decoder handle is destroyed and re-created inside the instance (`MPEGDecoder.reset()` would
 *   re-instantiate the module and allocate a fresh memory);
 * - decoded audio is copied once, from the WebAssembly heap into reused output arrays (the package's
 *   `decode()` slices every read and concatenates them, several copies and allocations per call).
 *
 * The package's calls are kept as they are (feed <= 64 KiB, read until MPG123_NEED_MORE, gapless on), so
 * the samples are the package's. It relies on `MPEGDecoder` 1.0.x internals (`_common`, `_input`,
 * `_output`, ...); when they are missing the caller falls back to the package's own `decode()`.
 */

import type { MPEGDecoder } from "mpg123-decoder";

/** mpg123 return codes (mpg123.h). */
const MPG123_NEW_FORMAT = -11;
const MPG123_NEED_MORE = -10;
/** Consecutive failing reads without output after which the rest of the fed bytes is given up. */
const MAX_FAILED_READS = 64;
/** Idle instances kept per thread: one (each holds a ~17 MB WebAssembly memory; files are read one at a time). */
const MAX_IDLE = 1;

interface HeapArray<T> {
  ptr: number;
  len: number;
  buf: T;
}

interface WasmExports {
  HEAP: ArrayBuffer;
  mpeg_decoder_feed(decoder: number, input: number, length: number): number;
  mpeg_decoder_read(decoder: number, output: number, outputLength: number, samplesDecoded: number, sampleRate: number, errorString: number): number;
  mpeg_frame_decoder_create(decoderSlot: number, gapless: number): number;
  mpeg_frame_decoder_destroy(decoder: number): void;
}

/** The fields of an initialised `MPEGDecoder` 1.0.x used here. */
interface MpegInternals {
  _common: { wasm: WasmExports; allocateTypedArray<T>(length: number, type: new (buffer: ArrayBuffer, offset: number, length: number) => T): HeapArray<T>; codeToString(ptr: number): string };
  _decoder: number;
  _input: HeapArray<Uint8Array>;
  _output: HeapArray<Float32Array>;
  _samplesDecodedPtr: HeapArray<Uint32Array>;
  _sampleRatePtr: HeapArray<Uint32Array>;
  _errorStringPtr: HeapArray<Uint32Array>;
  free(): void;
}

function hasInternals(decoder: object): boolean {
  const d = decoder as Partial<MpegInternals>;
  const wasm = d._common?.wasm;
  return (
    wasm !== undefined &&
    typeof wasm.mpeg_decoder_feed === "function" &&
    typeof wasm.mpeg_decoder_read === "function" &&
    typeof wasm.mpeg_frame_decoder_create === "function" &&
    typeof wasm.mpeg_frame_decoder_destroy === "function" &&
    typeof d._decoder === "number" &&
    d._input?.buf instanceof Uint8Array &&
    d._output?.buf instanceof Float32Array &&
    d._samplesDecodedPtr?.buf instanceof Uint32Array &&
    d._sampleRatePtr?.buf instanceof Uint32Array &&
    d._errorStringPtr?.buf instanceof Uint32Array
  );
}

/** Result of one call; the arrays are reused by the next call on the same decoder. */
export interface MpegDecodeResult {
  readonly channelData: readonly Float32Array[];
  readonly samplesDecoded: number;
  readonly sampleRate: number;
  readonly errorCount: number;
  readonly firstError: string | undefined;
}

/** One mpg123 instance decoding one stream at a time; `startStream()` before each file. */
export class PooledMpegDecoder {
  private readonly m: MpegInternals;
  private readonly decoderSlot: HeapArray<Uint32Array>;
  private left = new Float32Array(0);
  private right = new Float32Array(0);
  private readonly views: Float32Array[] = [];
  private pending: Uint8Array | undefined;
  private pendingOffset = 0;
  private broken = false;

  private constructor(decoder: MPEGDecoder) {
    this.m = decoder as unknown as MpegInternals;
    this.decoderSlot = this.m._common.allocateTypedArray(1, Uint32Array);
  }

  /** A ready decoder: an idle one of this thread, or a new instance; undefined when the package internals differ. */
  static async acquire(): Promise<PooledMpegDecoder | undefined> {
    for (let idle = idlePool.pop(); idle !== undefined; idle = idlePool.pop()) {
      try {
        idle.startStream();
        return idle;
      } catch {
        // That instance is dropped (broken); try the next or a new one.
      }
    }
    // Loaded with the first MP3 a thread reads: the package compiles ~80 kB of script at import.
    const { MPEGDecoder: Decoder } = await import("mpg123-decoder");
    const decoder = new Decoder({ enableGapless: true });
    await decoder.ready;
    if (!hasInternals(decoder)) {
      decoder.free();
      return undefined;
    }
    return new PooledMpegDecoder(decoder);
  }

  /** True when bytes given to `decode` are not all fed yet: call `decode(empty)` again. */
  get hasPendingOutput(): boolean {
    return this.pending !== undefined;
  }

  /** Feeds up to one input buffer (64 KiB) of `chunk` (or of what is left of the previous chunk) and reads all output. */
  decode(chunk: Uint8Array): MpegDecodeResult {
    if (chunk.length > 0) {
      this.pending = chunk;
      this.pendingOffset = 0;
    }
    const m = this.m;
    const wasm = m._common.wasm;
    let frames = 0;
    let errorCount = 0;
    let firstError: string | undefined;
    const data = this.pending;
    if (data !== undefined) {
      const piece = data.subarray(this.pendingOffset, this.pendingOffset + m._input.len);
      this.pendingOffset += piece.length;
      if (this.pendingOffset >= data.length) this.pending = undefined;
      m._input.buf.set(piece);
      let status = wasm.mpeg_decoder_feed(m._decoder, m._input.ptr, piece.length);
      let failedReads = 0;
      while (status !== MPG123_NEED_MORE) {
        m._samplesDecodedPtr.buf[0] = 0;
        status = wasm.mpeg_decoder_read(m._decoder, m._output.ptr, m._output.len, m._samplesDecodedPtr.ptr, m._sampleRatePtr.ptr, m._errorStringPtr.ptr);
        const n = m._samplesDecodedPtr.buf[0]!;
        if (n > 0) {
          this.append(frames, n);
          frames += n;
          failedReads = 0;
        }
        if (status !== 0 && status !== MPG123_NEW_FORMAT && status !== MPG123_NEED_MORE) {
          if (errorCount === 0) firstError = `mpg123 error ${status}: ${m._common.codeToString(m._errorStringPtr.buf[0]!)}`;
          errorCount++;
          if (n === 0 && ++failedReads >= MAX_FAILED_READS) {
            // mpg123 keeps failing on these bytes: start the stream over at the next input.
            this.startStream();
            break;
          }
        }
      }
    }
    if (frames > 0) {
      this.views[0] = this.left.subarray(0, frames);
      this.views[1] = this.right.subarray(0, frames);
    }
    return { channelData: frames > 0 ? this.views : [], samplesDecoded: frames, sampleRate: m._sampleRatePtr.buf[0]!, errorCount, firstError };
  }

  /** Returns the instance to this thread's pool (or frees it when the pool is full or it broke). */
  release(): void {
    this.pending = undefined;
    if (this.broken || idlePool.includes(this)) return; // a broken handle is left to the garbage collector
    if (idlePool.length < MAX_IDLE) idlePool.push(this);
    else this.m.free();
  }

  /** Destroys and re-creates mpg123's decoder handle inside the same instance: a fresh stream. */
  private startStream(): void {
    const m = this.m;
    const wasm = m._common.wasm;
    this.pending = undefined;
    // destroy also frees the handle: MPEGDecoder.free()'s extra free(handle) is a double free, harmless
    // only because it discards the instance (here it corrupted the next stream). Checked: 3000 reuses
    // keep the heap size and malloc addresses unchanged.
    wasm.mpeg_frame_decoder_destroy(m._decoder);
    const error = wasm.mpeg_frame_decoder_create(this.decoderSlot.ptr, 1);
    if (error !== 0) {
      this.broken = true;
      throw new Error(`mpg123 decoder could not be re-created (error ${error})`);
    }
    m._decoder = this.decoderSlot.buf[0]!;
    m._sampleRatePtr.buf[0] = 0;
  }

  /** Copies `n` planar frames from the WebAssembly output buffer to the outputs at `offset`. */
  private append(offset: number, n: number): void {
    if (offset + n > this.left.length) {
      const size = Math.max(offset + n, this.left.length * 2, 8192);
      const left = new Float32Array(size);
      const right = new Float32Array(size);
      left.set(this.left.subarray(0, offset));
      right.set(this.right.subarray(0, offset));
      this.left = left;
      this.right = right;
    }
    const out = this.m._output.buf;
    this.left.set(out.subarray(0, n), offset);
    this.right.set(out.subarray(n, 2 * n), offset);
  }
}

const idlePool: PooledMpegDecoder[] = [];
