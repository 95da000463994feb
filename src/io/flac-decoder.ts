/**
 * Streaming decoder for native FLAC (RFC 9639), 4 to 24 bits per sample, 1-8 channels: feed byte chunks in
 * order, get planar Float32 in the WAV convention (sample / 2^(bits-1)), so a FLAC file gives exactly the
 * floats of the WAV it was encoded from.
 *
 * It replaces the libFLAC WebAssembly build for native FLAC because its JavaScript glue (frame splitting,
 * per-frame output arrays, concatenation, rescaling) cost several times the decoding itself. The stream
 * logic (sync search, frame headers, damage handling) is here; the subframes, the CRC-16 and the float
 * output run in a small WebAssembly kernel (`flac-kernel.ts`) that holds the input and output buffers.
 * Integer math follows libFLAC: residuals in 32-bit wrap-around arithmetic, LPC sums exact (a 25-bit sample
 * times a 15-bit coefficient, summed 32 times, stays far below 2^53), arithmetic right shift as floor.
 *
 * Damage handling follows libFLAC: a frame whose header passes its CRC-8 but whose body fails (bad
 * subframe, CRC-16 mismatch) is replaced by silence of its block size and counted as an error; bytes
 * that are not a frame are skipped until the next valid frame header. A frame lost whole (its header
 * damaged) shows as a gap in the next good frame's number (sample number, or frame number x block size):
 * the gap becomes silence, counted as an error, so every later frame keeps the position its header gives
 * (which is where a seek in `flac-seek.ts` finds it). The first frame decoded sets the base, so a stream
 * cut from a longer one, or decoding from a seeked frame, starts without leading silence. Memory is bounded by the input
 * buffer (one input chunk plus at most one partial frame) and `OUTPUT_TARGET_FRAMES` + one block of output.
 */

import { createFlacKernel, flacKernelLayout, type FlacKernel } from "./flac-kernel.js";

/** Largest block size a FLAC frame may declare (frames). */
const MAX_BLOCK_FRAMES = 65535;
/** Output frames gathered per `decode()` before it returns (the rest of the input waits): 64 Ki frames. */
const OUTPUT_TARGET_FRAMES = 65536;
/** Longest run of missing frames filled with silence when STREAMINFO gives no length: 2^24 frames (~6 min at 44.1 kHz). */
const MAX_FILLED_GAP_FRAMES = 1 << 24;
/** Most channels a FLAC stream may have. */
const MAX_CHANNELS = 8;
/** Deepest sample format decoded here; deeper streams need 64-bit integer side channels (33 bits). */
export const FLAC_MAX_DECODED_BITS = 24;

const SAMPLE_BITS = [0, 8, 12, -1, 16, 20, 24, 32];

/** FLAC frame header CRC-8 (polynomial 0x07, initial 0): `crc = table[crc ^ byte]`. */
export const FLAC_CRC8_TABLE = new Uint8Array(256);
const CRC8_TABLE = FLAC_CRC8_TABLE;
for (let i = 0; i < 256; i++) {
  let c8 = i;
  for (let b = 0; b < 8; b++) c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
  CRC8_TABLE[i] = c8;
}

/** Stream parameters from STREAMINFO. */
export interface FlacStreamInfo {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly bitsPerSample: number;
  readonly minBlockFrames: number;
  readonly maxBlockFrames: number;
  /** 0 when unknown. */
  readonly maxFrameBytes: number;
  /** Sample frames in the stream; 0 when unknown. */
  readonly totalSamples: number;
}

/**
 * Reads STREAMINFO from the start of a native FLAC stream ("fLaC" + first metadata block).
 * @returns undefined when `head` is not native FLAC or is shorter than 42 bytes.
 */
export function peekFlacStreamInfo(head: Uint8Array): FlacStreamInfo | undefined {
  if (head.length < 42 || head[0] !== 0x66 || head[1] !== 0x4c || head[2] !== 0x61 || head[3] !== 0x43) return undefined;
  if ((head[4]! & 0x7f) !== 0) return undefined; // STREAMINFO must come first
  const b = (i: number): number => head[8 + i]!;
  return {
    minBlockFrames: (b(0) << 8) | b(1),
    maxBlockFrames: (b(2) << 8) | b(3),
    totalSamples: (b(13) & 0x0f) * 2 ** 32 + ((b(14) << 24) | (b(15) << 16) | (b(16) << 8) | b(17)) >>> 0,
    maxFrameBytes: (b(7) << 16) | (b(8) << 8) | b(9),
    sampleRateHz: (b(10) << 12) | (b(11) << 4) | (b(12) >>> 4),
    channelCount: ((b(12) >>> 1) & 7) + 1,
    bitsPerSample: (((b(12) & 1) << 4) | (b(13) >>> 4)) + 1,
  };
}

/** Outcome of one frame attempt. */
const enum FrameStatus {
  Decoded,
  /** Not a valid frame header here: skip one byte and search on. */
  NotAFrame,
  /** The frame runs past the bytes buffered so far. */
  Incomplete,
  /** Silence for missing frames comes first: decode this frame again after it. */
  Deferred,
}

/** Result of one `decode()`/`flush()` call; the arrays are reused by the next call. */
export interface FlacDecodeResult {
  readonly channelData: readonly Float32Array[];
  readonly samplesDecoded: number;
  readonly sampleRate: number;
  readonly errorCount: number;
  readonly firstError: string | undefined;
}

/** Block size allocated before STREAMINFO is seen (the largest of libFLAC's usual sizes): 4608 frames. */
const INITIAL_BLOCK_FRAMES = 4608;
/** Channels allocated before STREAMINFO is seen. */
const INITIAL_CHANNELS = 2;
/** Input bytes allocated at first: a 256 KiB read plus a partial frame, so the usual reads never reallocate. */
const INITIAL_INPUT_BYTES = 320 * 1024;

/**
 * Incremental native FLAC decoder: `decode(chunk)` with consecutive byte chunks from the start of the
 * stream ("fLaC"), `flush()` at the end; while `hasPendingOutput`, call the same method again (with an empty
 * chunk) to get the rest. `reset()` readies the instance (and its buffers) for another stream. Frames
 * deeper than `FLAC_MAX_DECODED_BITS` are not decoded (the caller routes such streams elsewhere).
 */
export class FlacStreamDecoder {
  /** The WebAssembly kernel: its memory holds the input, work and output buffers. */
  private kernel: FlacKernel;
  // Input buffer (a view on the kernel memory): bytes [start, end) are not consumed yet.
  private input: Uint8Array;
  private start = 0;
  private end = 0;
  private inputEnded = false;
  // Metadata parsing.
  private magicSeen = false;
  private metadataDone = false;
  private skipBytes = 0;
  private info: FlacStreamInfo | undefined;
  /** Largest block size accepted: the largest STREAMINFO maximum (>= 16) configured so far. */
  private blockLimit = 0;
  // Output: views on the kernel's output channels (all allocated ones, and the current stream's).
  private outAll: Float32Array[] = [];
  private out: Float32Array[] = [];
  private outViews: Float32Array[] = [];
  private stoppedForOutput = false;
  /** Header sample number of the next output frame; -1 before the first frame. */
  private expectedSample = -1;
  /** Silence still to output for frames missing before the next frame (their headers were damaged). */
  private pendingSilence = 0;
  private errorCount = 0;
  private firstError: string | undefined;

  /** @throws Error where WebAssembly is unavailable (the kernel needs it). */
  constructor() {
    this.kernel = FlacStreamDecoder.createKernel(INITIAL_BLOCK_FRAMES, INITIAL_CHANNELS, INITIAL_INPUT_BYTES);
    this.input = this.inputView();
    this.outAll = this.outputViews();
  }

  private static createKernel(blockFrames: number, channels: number, inputBytes: number): FlacKernel {
    const kernel = createFlacKernel(flacKernelLayout(blockFrames, channels, OUTPUT_TARGET_FRAMES + blockFrames, inputBytes));
    if (kernel === null) throw new Error("the FLAC decoder needs WebAssembly, which this JavaScript engine does not provide");
    return kernel;
  }

  private inputView(): Uint8Array {
    const layout = this.kernel.layout;
    return new Uint8Array(this.kernel.memory.buffer, layout.input, layout.inputCapacity);
  }

  private outputViews(): Float32Array[] {
    const layout = this.kernel.layout;
    return Array.from({ length: layout.channelCapacity }, (_, c) => new Float32Array(this.kernel.memory.buffer, layout.output + c * layout.outputStride, layout.outputFrames));
  }

  /**
   * Moves to a kernel with (at least) these capacities, keeping the unconsumed input: from offset 0 when
   * `compact`, else at the same offsets (byte offsets in error messages stay those of the buffered input).
   */
  private reallocate(blockFrames: number, channels: number, inputBytes: number, compact: boolean): void {
    const layout = this.kernel.layout;
    const from = compact ? this.start : 0;
    const old = this.input.subarray(from, this.end);
    this.kernel = FlacStreamDecoder.createKernel(Math.max(blockFrames, layout.blockCapacity), Math.max(channels, layout.channelCapacity), Math.max(inputBytes, layout.inputCapacity));
    this.input = this.inputView();
    this.input.set(old);
    this.start -= from;
    this.end -= from;
    this.outAll = this.outputViews();
    this.out = this.outAll.slice(0, this.out.length);
  }

  /** True when buffered input can give more output without new input (call `decode(empty)`). */
  get hasPendingOutput(): boolean {
    return this.stoppedForOutput;
  }

  /** Forgets the stream (keeps buffers) so the instance can decode another file. */
  reset(): void {
    this.start = 0;
    this.end = 0;
    this.inputEnded = false;
    this.magicSeen = false;
    this.metadataDone = false;
    this.skipBytes = 0;
    this.info = undefined;
    this.stoppedForOutput = false;
    this.expectedSample = -1;
    this.pendingSilence = 0;
  }

  /** Appends `chunk` to the input and decodes complete frames (up to ~64 Ki output frames). */
  decode(chunk: Uint8Array): FlacDecodeResult {
    this.append(chunk);
    return this.run();
  }

  /** Marks the end of input and decodes what is buffered (call again while `hasPendingOutput`). */
  flush(): FlacDecodeResult {
    this.inputEnded = true;
    return this.run();
  }

  private append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const kept = this.end - this.start;
    const needed = kept + chunk.length + 8; // 8 spare bytes: the kernel's bit reader may load past the end
    if (needed > this.input.length) {
      this.reallocate(0, 0, Math.max(needed, this.input.length * 2), true);
    } else if (this.start > 0) {
      this.input.copyWithin(0, this.start, this.end);
    }
    this.start = 0;
    this.end = kept;
    this.input.set(chunk, this.end);
    this.end += chunk.length;
  }

  private run(): FlacDecodeResult {
    this.stoppedForOutput = false;
    this.errorCount = 0;
    this.firstError = undefined;
    let produced = 0;
    if (!this.metadataDone || this.skipBytes > 0) this.parseMetadata();
    const info = this.info;
    if (this.metadataDone && this.skipBytes === 0 && info !== undefined) {
      produced = this.decodeFrames(info);
    }
    return {
      channelData: this.viewOutput(produced),
      samplesDecoded: produced,
      sampleRate: info?.sampleRateHz ?? 0,
      errorCount: this.errorCount,
      firstError: this.firstError,
    };
  }

  private viewOutput(frames: number): Float32Array[] {
    if (frames === 0) return [];
    for (let c = 0; c < this.out.length; c++) {
      if (this.outViews[c]?.length !== frames || this.outViews[c]!.buffer !== this.out[c]!.buffer) this.outViews[c] = this.out[c]!.subarray(0, frames);
    }
    return this.outViews;
  }

  private error(message: string): void {
    if (this.errorCount === 0) this.firstError = message;
    this.errorCount++;
  }

  /** Consumes "fLaC" and the metadata blocks as far as the buffered bytes allow. */
  private parseMetadata(): void {
    const input = this.input;
    while (!this.metadataDone) {
      if (this.skipBytes > 0) {
        const n = Math.min(this.skipBytes, this.end - this.start);
        this.start += n;
        this.skipBytes -= n;
        if (this.skipBytes > 0) return;
      }
      if (!this.magicSeen) {
        if (this.end - this.start < 4) return;
        const s = this.start;
        if (input[s] !== 0x66 || input[s + 1] !== 0x4c || input[s + 2] !== 0x61 || input[s + 3] !== 0x43) {
          this.error("stream does not start with the fLaC marker");
          this.start = this.end;
          return;
        }
        this.magicSeen = true;
        this.start += 4;
        continue;
      }
      if (this.end - this.start < 4) return;
      const s = this.start;
      const last = (input[s]! & 0x80) !== 0;
      const type = input[s]! & 0x7f;
      const length = (input[s + 1]! << 16) | (input[s + 2]! << 8) | input[s + 3]!;
      if (type === 0) {
        if (this.end - s < 4 + 34) return;
        const head = new Uint8Array(42);
        head.set([0x66, 0x4c, 0x61, 0x43]);
        head.set(input.subarray(s, s + 38), 4);
        this.configure(peekFlacStreamInfo(head)!);
      }
      this.start += 4;
      this.skipBytes = length;
      if (last) this.metadataDone = true;
    }
    if (this.skipBytes > 0) {
      const n = Math.min(this.skipBytes, this.end - this.start);
      this.start += n;
      this.skipBytes -= n;
    }
  }

  private configure(info: FlacStreamInfo): void {
    this.info = info;
    const channels = Math.min(info.channelCount, MAX_CHANNELS);
    this.blockLimit = Math.max(this.blockLimit, info.maxBlockFrames, 16);
    const layout = this.kernel.layout;
    if (this.blockLimit > layout.blockCapacity || channels > layout.channelCapacity) this.reallocate(this.blockLimit, channels, 0, false);
    this.out = this.outAll.slice(0, channels);
    this.outViews.length = channels;
  }

  /** Bytes a frame can take at most (STREAMINFO, or a bound from the block size and sample format). */
  private frameBound(info: FlacStreamInfo): number {
    if (info.maxFrameBytes > 0) return info.maxFrameBytes;
    const blockFrames = info.maxBlockFrames > 0 ? info.maxBlockFrames : MAX_BLOCK_FRAMES;
    return Math.ceil((blockFrames * info.channelCount * (info.bitsPerSample + 1)) / 8) + 64;
  }

  private decodeFrames(info: FlacStreamInfo): number {
    const input = this.input;
    const bound = this.frameBound(info);
    let produced = 0;
    while (true) {
      // The output holds OUTPUT_TARGET_FRAMES + one block, so any frame fits below the target.
      if (produced >= OUTPUT_TARGET_FRAMES) {
        this.stoppedForOutput = true;
        break;
      }
      if (this.pendingSilence > 0) {
        const n = Math.min(this.pendingSilence, OUTPUT_TARGET_FRAMES - produced);
        produced += this.silence(produced, n);
        this.pendingSilence -= n;
        this.expectedSample += n;
        continue;
      }
      const available = this.end - this.start;
      if (available < 2 || (!this.inputEnded && available < bound)) break;
      // Find the next sync code 0xFFF8/0xFFF9.
      let s = this.start;
      const last = this.end - 1;
      while (s < last && !(input[s] === 0xff && (input[s + 1]! & 0xfe) === 0xf8)) s++;
      this.start = s;
      if (s >= last) {
        if (this.inputEnded) this.start = this.end;
        break;
      }
      if (!this.inputEnded && this.end - s < bound) break;
      const blockFramesOrStatus = this.decodeFrame(s, info, produced);
      if (blockFramesOrStatus >= 0) {
        produced += blockFramesOrStatus;
        continue;
      }
      const status = -blockFramesOrStatus - 1;
      if (status === FrameStatus.Incomplete) {
        if (!this.inputEnded && this.end - s < 4 * bound + (1 << 20)) break; // wait for more input
        this.error(`FLAC frame at byte offset ${s} in the buffered input is cut short`);
        this.start = s + 1;
      } else if (status === FrameStatus.NotAFrame) {
        this.start = s + 1;
      }
      // Deferred: `pendingSilence` is set and `start` still points at the frame.
    }
    return produced;
  }

  /**
   * Decodes the frame starting at `input[s]` into the output at `outOffset`.
   * @returns the frame's block size, or -(FrameStatus + 1) when nothing was consumed as a frame. A damaged
   *   frame still returns its block size (silence) and advances past its header.
   */
  private decodeFrame(s: number, info: FlacStreamInfo, outOffset: number): number {
    const input = this.input;
    const end = this.end;
    if (end - s < 6) return this.inputEnded ? -(FrameStatus.NotAFrame + 1) : -(FrameStatus.Incomplete + 1);
    const b2 = input[s + 2]!;
    const b3 = input[s + 3]!;
    const blockCode = b2 >>> 4;
    const rateCode = b2 & 15;
    const channelCode = b3 >>> 4;
    const sizeCode = (b3 >>> 1) & 7;
    if (blockCode === 0 || rateCode === 15 || channelCode > 10 || sizeCode === 3 || (b3 & 1) !== 0) return -(FrameStatus.NotAFrame + 1);
    // Coded frame/sample number: UTF-8-like, 1 to 7 bytes.
    let p = s + 4;
    const lead = input[p]!;
    let extra: number;
    if (lead < 0x80) extra = 0;
    else if (lead >= 0xc0 && lead < 0xe0) extra = 1;
    else if (lead >= 0xe0 && lead < 0xf0) extra = 2;
    else if (lead >= 0xf0 && lead < 0xf8) extra = 3;
    else if (lead >= 0xf8 && lead < 0xfc) extra = 4;
    else if (lead >= 0xfc && lead < 0xfe) extra = 5;
    else if (lead === 0xfe) extra = 6;
    else return -(FrameStatus.NotAFrame + 1);
    let codedNumber = extra === 0 ? lead : lead & (0x3f >>> extra);
    p++;
    for (let i = 0; i < extra; i++, p++) {
      if ((input[p]! & 0xc0) !== 0x80) return -(FrameStatus.NotAFrame + 1);
      codedNumber = codedNumber * 64 + (input[p]! & 0x3f);
    }
    let blockFrames: number;
    if (blockCode === 1) blockFrames = 192;
    else if (blockCode <= 5) blockFrames = 576 << (blockCode - 2);
    else if (blockCode === 6) blockFrames = input[p++]! + 1;
    else if (blockCode === 7) {
      blockFrames = ((input[p]! << 8) | input[p + 1]!) + 1;
      p += 2;
    } else blockFrames = 256 << (blockCode - 8);
    if (rateCode === 12) p += 1;
    else if (rateCode === 13 || rateCode === 14) p += 2;
    if (p >= end) return this.inputEnded ? -(FrameStatus.NotAFrame + 1) : -(FrameStatus.Incomplete + 1);
    let crc8 = 0;
    for (let i = s; i < p; i++) crc8 = CRC8_TABLE[crc8 ^ input[i]!]!;
    if (crc8 !== input[p]) return -(FrameStatus.NotAFrame + 1);
    p++;
    // The header is genuine (CRC-8): from here on a failure is damage inside the frame.
    const channels = channelCode <= 7 ? channelCode + 1 : 2;
    const bps = sizeCode === 0 ? info.bitsPerSample : SAMPLE_BITS[sizeCode]!;
    if (channels !== info.channelCount || blockFrames > this.blockLimit || bps > FLAC_MAX_DECODED_BITS || bps < 4) {
      this.error(`FLAC frame changes format (${channels} channels, ${bps} bits, ${blockFrames} frames) from STREAMINFO's`);
      this.start = s + 1;
      return this.damagedFrameSilence(outOffset, Math.min(blockFrames, this.blockLimit));
    }
    const kernel = this.kernel;
    const base = kernel.layout.input;
    // > 0: every subframe valid, < 0: one malformed (both: byte offset after the last bit read).
    let read: number;
    try {
      read = kernel.decodeFrame(base + p, base + end, channelCode, blockFrames, bps);
    } catch (error) {
      if (!kernel.ranOut()) throw error;
      return -(FrameStatus.Incomplete + 1); // the frame runs past the buffered input
    }
    // Byte-align, then the CRC-16 footer.
    const consumed = (read > 0 ? read : -read) - base;
    const frameEnd = consumed + 2;
    if (frameEnd > end) return -(FrameStatus.Incomplete + 1);
    const ok = read > 0 && kernel.crc16(base + s, base + consumed) === ((input[consumed]! << 8) | input[consumed + 1]!);
    if (!ok) {
      this.error(`FLAC frame with ${blockFrames} frames is damaged (bad subframe or CRC-16 mismatch): replaced by silence`);
      this.start = s + 1;
      return this.damagedFrameSilence(outOffset, blockFrames);
    }
    // The frame is genuine (CRC-16): frames numbered between the last output and this one were lost.
    const firstSample = this.frameFirstSample(input[s + 1]! & 1, codedNumber, info);
    if (firstSample >= 0 && this.expectedSample >= 0 && firstSample > this.expectedSample) {
      const gap = firstSample - this.expectedSample;
      const limit = info.totalSamples > 0 ? info.totalSamples : this.expectedSample + MAX_FILLED_GAP_FRAMES;
      if (firstSample + blockFrames <= limit) {
        this.error(`${gap} FLAC sample frames are missing before the frame of sample ${firstSample} (damaged frame header): replaced by silence`);
        this.pendingSilence = gap;
        return -(FrameStatus.Deferred + 1); // this frame again after the silence
      }
    }
    this.expectedSample = (firstSample >= 0 ? firstSample : Math.max(0, this.expectedSample)) + blockFrames;
    this.start = frameEnd;
    // Undoes stereo decorrelation and writes floats (sample / 2^(bps-1)) to the output.
    kernel.emit(channelCode, channels, blockFrames, outOffset, 1 / 2 ** (bps - 1));
    return blockFrames;
  }

  /** Silence for a frame whose header is valid but body is not; it still takes its place in the numbering. */
  private damagedFrameSilence(outOffset: number, frames: number): number {
    if (this.expectedSample >= 0) this.expectedSample += frames;
    return this.silence(outOffset, frames);
  }

  /**
   * First sample of a frame from its coded number (RFC 9639 §9.1.5): the sample number itself in a
   * variable-blocksize stream, frame number x block size in a fixed one; -1 when the fixed block size is
   * unknown (STREAMINFO's minimum and maximum differ).
   */
  private frameFirstSample(variable: number, codedNumber: number, info: FlacStreamInfo): number {
    if (variable === 1) return codedNumber;
    return info.minBlockFrames === info.maxBlockFrames ? codedNumber * info.maxBlockFrames : -1;
  }

  private silence(outOffset: number, frames: number): number {
    for (const channel of this.out) channel.fill(0, outOffset, outOffset + frames);
    return frames;
  }
}
