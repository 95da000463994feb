/**
 * Streaming decoder for native FLAC (RFC 9639) written in TypeScript, 4 to 24 bits per sample, 1-8
 * channels: feed byte chunks in order, get planar Float32 in the WAV convention (sample / 2^(bits-1)), so
 * a FLAC file gives exactly the floats of the WAV it was encoded from.
 *
 * It replaces the libFLAC WebAssembly build for native FLAC because its JavaScript glue (frame splitting,
 * per-frame output arrays, concatenation, rescaling) cost several times the decoding itself. Integer math
 * follows libFLAC: residuals in 32-bit wrap-around arithmetic, LPC sums exact in float64 (a 25-bit sample
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
/** CRC-16 slicing-by-8 tables: entry (k << 8) + b is byte b followed by k zero bytes. */
const CRC16_TABLES = new Uint16Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c8 = i;
  for (let b = 0; b < 8; b++) c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
  CRC8_TABLE[i] = c8;
  let c16 = i << 8;
  for (let b = 0; b < 8; b++) c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x8005) & 0xffff : (c16 << 1) & 0xffff;
  CRC16_TABLES[i] = c16;
}
for (let k = 1; k < 8; k++) {
  for (let i = 0; i < 256; i++) {
    const previous = CRC16_TABLES[((k - 1) << 8) + i]!;
    CRC16_TABLES[(k << 8) + i] = ((previous << 8) & 0xffff) ^ CRC16_TABLES[previous >>> 8]!;
  }
}

/** FLAC frame CRC-16 (polynomial 0x8005, initial 0) of `bytes[start, end)`, 8 bytes per step. */
function crc16(bytes: Uint8Array, start: number, end: number): number {
  const t = CRC16_TABLES;
  let crc = 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const x = crc ^ ((bytes[i]! << 8) | bytes[i + 1]!);
    crc =
      t[0x700 + (x >>> 8)]! ^
      t[0x600 + (x & 0xff)]! ^
      t[0x500 + bytes[i + 2]!]! ^
      t[0x400 + bytes[i + 3]!]! ^
      t[0x300 + bytes[i + 4]!]! ^
      t[0x200 + bytes[i + 5]!]! ^
      t[0x100 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) crc = ((crc << 8) & 0xffff) ^ t[(crc >>> 8) ^ bytes[i]!]!;
  return crc;
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

/** Thrown by the bit reader when it runs far past the buffered bytes (only in damaged frames). */
class OutOfData extends Error {}
const OUT_OF_DATA = new OutOfData("FLAC frame runs past the end of the input");

/**
 * Incremental native FLAC decoder: `decode(chunk)` with consecutive byte chunks from the start of the
 * stream ("fLaC"), `flush()` at the end; while `hasPendingOutput`, call the same method again (with an empty
 * chunk) to get the rest. `reset()` readies the instance (and its buffers) for another stream. Frames
 * deeper than `FLAC_MAX_DECODED_BITS` are not decoded (the caller routes such streams elsewhere).
 */
export class FlacStreamDecoder {
  // Input buffer: bytes [start, end) are not consumed yet.
  private input = new Uint8Array(0);
  private view = new DataView(this.input.buffer);
  private start = 0;
  private end = 0;
  private inputEnded = false;
  // Metadata parsing.
  private magicSeen = false;
  private metadataDone = false;
  private skipBytes = 0;
  private info: FlacStreamInfo | undefined;
  // Bit reader over `input`: `cache` holds `bits` unread bits left-aligned, the rest zero.
  private pos = 0;
  private cache = 0;
  private bits = 0;
  private limit = 0;
  // Per-frame work buffers, one per channel, and LPC coefficients.
  private work: Int32Array[] = [];
  private readonly coefs = new Float64Array(32);
  private readonly coefsInt = new Int32Array(32);
  private residual = new Int32Array(0);
  // Output.
  private out: Float32Array[] = [];
  private outViews: Float32Array[] = [];
  private stoppedForOutput = false;
  /** Header sample number of the next output frame; -1 before the first frame. */
  private expectedSample = -1;
  /** Silence still to output for frames missing before the next frame (their headers were damaged). */
  private pendingSilence = 0;
  private errorCount = 0;
  private firstError: string | undefined;

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
    const needed = kept + chunk.length + 8; // 8 spare bytes: the bit reader may prefetch past the end
    if (needed > this.input.length) {
      const grown = new Uint8Array(Math.max(needed, this.input.length * 2));
      grown.set(this.input.subarray(this.start, this.end));
      this.input = grown;
      this.view = new DataView(grown.buffer);
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
    const blockFrames = Math.max(info.maxBlockFrames, 16);
    const outFrames = OUTPUT_TARGET_FRAMES + blockFrames;
    for (let c = 0; c < channels; c++) {
      if ((this.work[c]?.length ?? 0) < blockFrames) this.work[c] = new Int32Array(blockFrames);
      if ((this.out[c]?.length ?? 0) < outFrames) this.out[c] = new Float32Array(outFrames);
    }
    if (this.residual.length < blockFrames) this.residual = new Int32Array(blockFrames);
    this.work.length = Math.max(this.work.length, channels);
    this.out.length = channels;
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
    if (channels !== info.channelCount || blockFrames > this.work[0]!.length || bps > FLAC_MAX_DECODED_BITS || bps < 4) {
      this.error(`FLAC frame changes format (${channels} channels, ${bps} bits, ${blockFrames} frames) from STREAMINFO's`);
      this.start = s + 1;
      return this.damagedFrameSilence(outOffset, Math.min(blockFrames, this.work[0]!.length));
    }
    this.pos = p;
    this.cache = 0;
    this.bits = 0;
    this.limit = end + 4;
    let ok: boolean;
    try {
      ok = true;
      for (let c = 0; c < channels && ok; c++) {
        const sideBits = (channelCode === 8 && c === 1) || (channelCode === 9 && c === 0) || (channelCode === 10 && c === 1) ? 1 : 0;
        ok = this.decodeSubframe(this.work[c]!, blockFrames, bps + sideBits);
      }
    } catch (error) {
      if (!(error instanceof OutOfData)) throw error;
      ok = false;
    }
    // Byte-align, then the CRC-16 footer.
    const consumed = this.pos - (this.bits >>> 3);
    const frameEnd = consumed + 2;
    if (frameEnd > end) return -(FrameStatus.Incomplete + 1);
    if (ok && crc16(input, s, consumed) !== ((input[consumed]! << 8) | input[consumed + 1]!)) ok = false;
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
    this.emit(channelCode, channels, blockFrames, bps, outOffset);
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

  /** Undoes stereo decorrelation and writes floats (sample / 2^(bps-1)) to the output. */
  private emit(channelCode: number, channels: number, frames: number, bps: number, outOffset: number): void {
    const scale = 1 / 2 ** (bps - 1);
    const work = this.work;
    const out = this.out;
    if (channelCode <= 7) {
      for (let c = 0; c < channels; c++) {
        const src = work[c]!;
        const dst = out[c]!;
        for (let i = 0; i < frames; i++) dst[outOffset + i] = src[i]! * scale;
      }
      return;
    }
    const a = work[0]!;
    const b = work[1]!;
    const left = out[0]!;
    const right = out[1]!;
    if (channelCode === 8) {
      for (let i = 0; i < frames; i++) {
        const l = a[i]!;
        left[outOffset + i] = l * scale;
        right[outOffset + i] = (l - b[i]!) * scale;
      }
    } else if (channelCode === 9) {
      for (let i = 0; i < frames; i++) {
        const r = b[i]!;
        left[outOffset + i] = (a[i]! + r) * scale;
        right[outOffset + i] = r * scale;
      }
    } else {
      for (let i = 0; i < frames; i++) {
        const side = b[i]!;
        const mid = (a[i]! << 1) | (side & 1);
        left[outOffset + i] = ((mid + side) >> 1) * scale;
        right[outOffset + i] = ((mid - side) >> 1) * scale;
      }
    }
  }

  // ---- bit reader ----

  /** Reads `n` bits (0 <= n <= 24) as an unsigned number. */
  private readBits(n: number): number {
    if (n === 0) return 0;
    let cache = this.cache;
    let bits = this.bits;
    const input = this.input;
    while (bits < n) {
      if (this.pos >= this.limit) throw OUT_OF_DATA;
      cache |= input[this.pos++]! << (24 - bits);
      bits += 8;
    }
    const value = cache >>> (32 - n);
    this.cache = cache << n;
    this.bits = bits - n;
    return value;
  }

  /** Reads an `n`-bit two's complement number (0 <= n <= 32). */
  private readSigned(n: number): number {
    if (n === 0) return 0;
    if (n <= 24) {
      const shift = 32 - n;
      return (this.readBits(n) << shift) >> shift;
    }
    const high = this.readBits(n - 16);
    const value = high * 65536 + this.readBits(16);
    return value >= 2 ** (n - 1) ? value - 2 ** n : value;
  }

  /** Counts 0 bits up to and including the next 1 bit; returns the count of zeros. */
  private readUnary(): number {
    let cache = this.cache;
    let bits = this.bits;
    let zeros = 0;
    const input = this.input;
    while (cache === 0) {
      zeros += bits;
      bits = 0;
      if (this.pos >= this.limit) throw OUT_OF_DATA;
      while (bits <= 24) {
        cache |= input[this.pos++]! << (24 - bits);
        bits += 8;
      }
    }
    const lz = Math.clz32(cache);
    this.cache = (cache << lz) << 1;
    this.bits = bits - lz - 1;
    return zeros + lz;
  }

  // ---- subframes ----

  /** Decodes one subframe of `frames` samples at `bps` bits into `s`; false when it is malformed. */
  private decodeSubframe(s: Int32Array, frames: number, bps: number): boolean {
    const header = this.readBits(8);
    if ((header & 0x80) !== 0) return false;
    const type = (header >>> 1) & 0x3f;
    let wasted = 0;
    if ((header & 1) !== 0) {
      wasted = this.readUnary() + 1;
      if (wasted >= bps) return false;
      bps -= wasted;
    }
    if (type === 0) {
      const value = this.readSigned(bps);
      s.fill(value, 0, frames);
    } else if (type === 1) {
      for (let i = 0; i < frames; i++) s[i] = this.readSigned(bps);
    } else if (type >= 8 && type <= 12) {
      const order = type - 8;
      if (order > frames) return false;
      for (let i = 0; i < order; i++) s[i] = this.readSigned(bps);
      if (!this.decodeResidual(s, frames, order)) return false;
      restoreFixed(s, frames, order);
    } else if (type >= 32) {
      const order = type - 31;
      if (order > frames) return false;
      for (let i = 0; i < order; i++) s[i] = this.readSigned(bps);
      const precision = this.readBits(4) + 1;
      if (precision === 16) return false;
      const shift = this.readSigned(5);
      if (shift < 0) return false;
      const coefs = this.coefs;
      const coefsInt = this.coefsInt;
      for (let j = 0; j < order; j++) coefs[j] = coefsInt[j] = this.readSigned(precision);
      if (!this.decodeResidual(this.residual, frames, order)) return false;
      restoreLpc(s, this.residual, frames, order, coefsInt, coefs, shift, bps);
    } else {
      return false;
    }
    if (wasted > 0) for (let i = 0; i < frames; i++) s[i] = s[i]! << wasted;
    return true;
  }

  /** Reads the Rice-coded residual into `s[order, frames)`. */
  private decodeResidual(s: Int32Array, frames: number, order: number): boolean {
    const method = this.readBits(2);
    if (method > 1) return false;
    const paramBits = method === 0 ? 4 : 5;
    const escape = method === 0 ? 15 : 31;
    const partitionOrder = this.readBits(4);
    const partitionFrames = frames >>> partitionOrder;
    if (partitionFrames << partitionOrder !== frames || partitionFrames < order) return false;
    const partitions = 1 << partitionOrder;
    let i = order;
    for (let p = 0; p < partitions; p++) {
      const n = p === 0 ? partitionFrames - order : partitionFrames;
      const k = this.readBits(paramBits);
      if (k === escape) {
        const rawBits = this.readBits(5);
        for (let j = 0; j < n; j++) s[i + j] = this.readSigned(rawBits);
      } else if (k <= 24) {
        this.readRice(s, i, n, k);
      } else {
        for (let j = 0; j < n; j++) {
          const q = this.readUnary();
          const r = this.readBits(k - 16) * 65536 + this.readBits(16);
          const v = ((q << k) | r) >>> 0;
          s[i + j] = (v >>> 1) ^ -(v & 1);
        }
      }
      i += n;
    }
    return true;
  }

  /**
   * Reads `n` Rice-coded values with parameter `k` (<= 24) into `s[at...]`: the hot loop. It reads 32-bit
   * windows at a bit position (one unaligned big-endian word + one byte) instead of refilling the cache
   * byte by byte; most values (quotient + stop bit + k <= 32 bits) need one window.
   */
  private readRice(s: Int32Array, at: number, n: number, k: number): void {
    const input = this.input;
    const view = this.view;
    // Windows read bytes [p, p + 4]: p stays <= end + 3 < input.length - 4 (8 spare bytes after `end`).
    const limitBits = (this.limit - 1) * 8;
    let bitPos = this.pos * 8 - this.bits;
    const kShift = 32 - k;
    for (let j = 0; j < n; j++) {
      let p = bitPos >>> 3;
      let o = bitPos & 7;
      let window = (view.getUint32(p) << o) | (input[p + 4]! >>> (8 - o));
      let q = 0;
      while (window === 0) {
        q += 32;
        bitPos += 32;
        if (bitPos >= limitBits) return this.outOfData(bitPos);
        p = bitPos >>> 3;
        o = bitPos & 7;
        window = (view.getUint32(p) << o) | (input[p + 4]! >>> (8 - o));
      }
      const lz = Math.clz32(window);
      q += lz;
      bitPos += lz + 1;
      let v = q;
      if (k > 0) {
        if (lz + 1 + k <= 32) {
          v = (q << k) | ((window << (lz + 1)) >>> kShift);
        } else {
          p = bitPos >>> 3;
          o = bitPos & 7;
          v = (q << k) | ((((view.getUint32(p) << o) | (input[p + 4]! >>> (8 - o))) >>> kShift));
        }
        bitPos += k;
      }
      if (bitPos >= limitBits) return this.outOfData(bitPos);
      s[at + j] = (v >>> 1) ^ -(v & 1);
    }
    this.seekBits(bitPos);
  }

  /** Moves the cached bit reader to absolute bit position `bitPos`. */
  private seekBits(bitPos: number): void {
    const p = bitPos >>> 3;
    const o = bitPos & 7;
    if (o === 0) {
      this.pos = p;
      this.cache = 0;
      this.bits = 0;
    } else {
      this.pos = p + 1;
      this.cache = (this.input[p]! << 24) << o;
      this.bits = 8 - o;
    }
  }

  private outOfData(bitPos: number): never {
    this.seekBits(Math.min(bitPos, this.limit * 8));
    throw OUT_OF_DATA;
  }
}

/** Fixed polynomial predictors (orders 0-4) applied in place over the residual in `s[order...]`. */
function restoreFixed(s: Int32Array, frames: number, order: number): void {
  switch (order) {
    case 0:
      return;
    case 1:
      for (let i = 1; i < frames; i++) s[i] = s[i]! + s[i - 1]!;
      return;
    case 2:
      for (let i = 2; i < frames; i++) s[i] = s[i]! + 2 * s[i - 1]! - s[i - 2]!;
      return;
    case 3:
      for (let i = 3; i < frames; i++) s[i] = s[i]! + 3 * (s[i - 1]! - s[i - 2]!) + s[i - 3]!;
      return;
    default:
      for (let i = 4; i < frames; i++) s[i] = s[i]! + 4 * (s[i - 1]! + s[i - 3]!) - 6 * s[i - 2]! - s[i - 4]!;
  }
}

/**
 * LPC prediction: s[i] = res[i] + floor(sum_j coefs[j] * s[i-1-j] / 2^shift) for i >= order, `bits` the
 * subframe's sample width.
 *
 * Fast path in 32-bit wrap-around integers: modular arithmetic gives the exact sum whenever the final sum
 * fits in 32 bits, however large the partial sums. If it does not, the sample is off by a multiple of
 * 2^(32-shift) >= 2^bits (when shift + bits <= 32), so it leaves the `bits`-bit range and the check below
 * sees it; the subframe is then redone in float64, exact for any valid stream (|sum| < 2^53).
 */
function restoreLpc(s: Int32Array, res: Int32Array, frames: number, order: number, coefsInt: Int32Array, coefs: Float64Array, shift: number, bits: number): void {
  if (shift + bits <= 32 && restoreLpcInt32(s, res, frames, order, coefsInt, shift, bits)) return;
  const scale = 1 / 2 ** shift;
  for (let i = order; i < frames; i++) {
    let sum = 0;
    for (let j = 0, k = i - 1; j < order; j++, k--) sum += coefs[j]! * s[k]!;
    const prediction = Math.floor(sum * scale);
    s[i] = res[i]! + prediction;
  }
}

/** The 32-bit path of `restoreLpc`; false when a sample left the `bits`-bit range (sum overflowed). */
function restoreLpcInt32(s: Int32Array, res: Int32Array, frames: number, order: number, coefs: Int32Array, shift: number, bits: number): boolean {
  const half = 2 ** (bits - 1);
  let outside = 0;
  if (order <= 12) {
    // Orders up to 12 (libFLAC's presets): coefficients and the last 12 samples live in locals (missing
    // taps are 0), so the loop reads one residual and writes one sample per step.
    const c0 = coefs[0]!;
    const c1 = order > 1 ? coefs[1]! : 0;
    const c2 = order > 2 ? coefs[2]! : 0;
    const c3 = order > 3 ? coefs[3]! : 0;
    const c4 = order > 4 ? coefs[4]! : 0;
    const c5 = order > 5 ? coefs[5]! : 0;
    const c6 = order > 6 ? coefs[6]! : 0;
    const c7 = order > 7 ? coefs[7]! : 0;
    let h0 = s[order - 1]!;
    let h1 = order > 1 ? s[order - 2]! : 0;
    let h2 = order > 2 ? s[order - 3]! : 0;
    let h3 = order > 3 ? s[order - 4]! : 0;
    let h4 = order > 4 ? s[order - 5]! : 0;
    let h5 = order > 5 ? s[order - 6]! : 0;
    let h6 = order > 6 ? s[order - 7]! : 0;
    let h7 = order > 7 ? s[order - 8]! : 0;
    if (order <= 8) {
      for (let i = order; i < frames; i++) {
        // Each product is exact (|.| < 2^31 after imul); the float64 sum is exact; `| 0` wraps it as C's int32.
        const sum = (Math.imul(c7, h7) + Math.imul(c6, h6) + Math.imul(c5, h5) + Math.imul(c4, h4) + Math.imul(c3, h3) + Math.imul(c2, h2) + Math.imul(c1, h1) + Math.imul(c0, h0)) | 0;
        const value = (res[i]! + (sum >> shift)) | 0;
        s[i] = value;
        outside |= (value + half) >>> bits;
        h7 = h6;
        h6 = h5;
        h5 = h4;
        h4 = h3;
        h3 = h2;
        h2 = h1;
        h1 = h0;
        h0 = value;
      }
      return outside === 0;
    }
    const c8 = coefs[8]!;
    const c9 = order > 9 ? coefs[9]! : 0;
    const c10 = order > 10 ? coefs[10]! : 0;
    const c11 = order > 11 ? coefs[11]! : 0;
    let h8 = s[order - 9]!;
    let h9 = order > 9 ? s[order - 10]! : 0;
    let h10 = order > 10 ? s[order - 11]! : 0;
    let h11 = order > 11 ? s[order - 12]! : 0;
    for (let i = order; i < frames; i++) {
      const sum =
        (Math.imul(c11, h11) + Math.imul(c10, h10) + Math.imul(c9, h9) + Math.imul(c8, h8) + Math.imul(c7, h7) + Math.imul(c6, h6) + Math.imul(c5, h5) + Math.imul(c4, h4) + Math.imul(c3, h3) + Math.imul(c2, h2) + Math.imul(c1, h1) + Math.imul(c0, h0)) |
        0;
      const value = (res[i]! + (sum >> shift)) | 0;
      s[i] = value;
      outside |= (value + half) >>> bits;
      h11 = h10;
      h10 = h9;
      h9 = h8;
      h8 = h7;
      h7 = h6;
      h6 = h5;
      h5 = h4;
      h4 = h3;
      h3 = h2;
      h2 = h1;
      h1 = h0;
      h0 = value;
    }
    return outside === 0;
  }
  for (let i = order; i < frames; i++) {
    let sum = 0;
    for (let j = 0, k = i - 1; j < order; j++, k--) sum = (sum + Math.imul(coefs[j]!, s[k]!)) | 0;
    const value = (res[i]! + (sum >> shift)) | 0;
    s[i] = value;
    outside |= (value + half) >>> bits;
  }
  return outside === 0;
}
