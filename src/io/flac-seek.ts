/**
 * Sample-accurate seeking in native FLAC (RFC 9639): finds the byte offset of the frame that holds a
 * wanted sample, so a range read decodes from there instead of from the start of the file.
 *
 * 1. SEEKTABLE (§8.5), when present: the nearest seek point at or before the wanted sample and the next
 *    one after it bound the search (each point is checked against the frame header it points at).
 * 2. Bisection over byte offsets, guessed by interpolation: at a byte offset, the next frame header is the
 *    next sync code (0xFFF8/0xFFF9) whose header passes CRC-8, agrees with STREAMINFO (rate, channels,
 *    bits, block size bound), uses the stream's blocking strategy and numbers a sample inside the current
 *    bounds; anything else is a false sync and the scan goes on. Once the bounds are one read window apart,
 *    a linear scan takes the last frame starting at or before the wanted sample.
 *
 * The result is only a starting point: the caller decodes from it with the ordinary decoder, which checks
 * every frame (CRC-8 and CRC-16) and must report no error, or the caller falls back to decoding from the
 * start. The seeker refuses streams whose numbering it cannot trust: the first frame must be number 0,
 * the last frame's header must end at STREAMINFO's total sample count, and a fixed-blocksize stream must
 * declare one block size (STREAMINFO minimum = maximum = the first frame's).
 */

import type { ByteSource } from "./byte-source.js";
import { FLAC_CRC8_TABLE, FLAC_MAX_DECODED_BITS } from "./flac-decoder.js";

/** Byte distance below which the bisection ends in a linear scan: 64 KiB. */
const SCAN_WINDOW_BYTES = 64 * 1024;
/** Bytes read at a time while looking for the next frame header from a guessed offset: 16 KiB. */
const PROBE_BYTES = 16 * 1024;
/** Bytes read past the largest frame size at the end of the file (room for trailing tags): 16 KiB. */
const TAIL_MARGIN_BYTES = 16 * 1024;
/** Longest frame header: sync(2) + codes(2) + number(7) + block size(2) + rate(2) + CRC-8(1). */
const MAX_FRAME_HEADER_BYTES = 16;
/** Bisection steps before giving up (2^48 bytes would need 48). */
const MAX_BISECTION_STEPS = 64;
/** Metadata blocks read before giving up on a stream (a sane file has a handful). */
const MAX_METADATA_BLOCKS = 1024;
/** SEEKTABLE placeholder point's sample number (all ones, 64 bits). */
const PLACEHOLDER_SAMPLE = 2 ** 64 - 1;

const FRAME_RATES_HZ = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000];
const SAMPLE_BITS = [0, 8, 12, -1, 16, 20, 24, 32];

/** One frame located in the file. */
export interface FlacFramePosition {
  /** Absolute byte offset of the frame's sync code in the file. */
  readonly byteOffset: number;
  /** Index of the frame's first sample (frames of the stream, from 0). */
  readonly firstSample: number;
  /** Samples (per channel) in the frame. */
  readonly blockFrames: number;
}

interface StreamFacts {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly bitsPerSample: number;
  readonly maxBlockFrames: number;
  readonly totalSamples: number;
  /** true: headers code the first sample's number; false: the frame number (fixed block size). */
  variable: boolean;
  /** Block size of every frame but the last in a fixed-blocksize stream. */
  nominalBlockFrames: number;
}

interface SeekPoint {
  readonly sample: number;
  /** Absolute byte offset of the frame. */
  readonly byteOffset: number;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Parses the frame header at `b[i]` against `facts`.
 * @returns the frame's first sample and block size, or undefined when the bytes there are not a valid
 *   header of this stream (no sync, reserved bits, CRC-8, or a field that disagrees with STREAMINFO).
 */
function parseHeader(b: Uint8Array, i: number, end: number, facts: StreamFacts): { firstSample: number; blockFrames: number; codedNumber: number } | undefined {
  if (i + 6 > end || b[i] !== 0xff || (b[i + 1]! & 0xfe) !== 0xf8) return undefined;
  const variable = (b[i + 1]! & 1) === 1;
  const b2 = b[i + 2]!;
  const b3 = b[i + 3]!;
  const blockCode = b2 >>> 4;
  const rateCode = b2 & 15;
  const channelCode = b3 >>> 4;
  const sizeCode = (b3 >>> 1) & 7;
  if (blockCode === 0 || rateCode === 15 || channelCode > 10 || sizeCode === 3 || (b3 & 1) !== 0) return undefined;
  let p = i + 4;
  const lead = b[p]!;
  let extra: number;
  let number: number;
  if (lead < 0x80) [extra, number] = [0, lead];
  else if (lead >= 0xc0 && lead < 0xe0) [extra, number] = [1, lead & 0x1f];
  else if (lead >= 0xe0 && lead < 0xf0) [extra, number] = [2, lead & 0x0f];
  else if (lead >= 0xf0 && lead < 0xf8) [extra, number] = [3, lead & 0x07];
  else if (lead >= 0xf8 && lead < 0xfc) [extra, number] = [4, lead & 0x03];
  else if (lead >= 0xfc && lead < 0xfe) [extra, number] = [5, lead & 0x01];
  else if (lead === 0xfe) [extra, number] = [6, 0];
  else return undefined;
  p++;
  if (p + extra + 4 > end) return undefined;
  for (let k = 0; k < extra; k++, p++) {
    const c = b[p]!;
    if ((c & 0xc0) !== 0x80) return undefined;
    number = number * 64 + (c & 0x3f);
  }
  let blockFrames: number;
  if (blockCode === 1) blockFrames = 192;
  else if (blockCode <= 5) blockFrames = 576 << (blockCode - 2);
  else if (blockCode === 6) blockFrames = b[p++]! + 1;
  else if (blockCode === 7) {
    blockFrames = u16(b, p) + 1;
    p += 2;
  } else blockFrames = 256 << (blockCode - 8);
  let rateHz = rateCode <= 11 ? FRAME_RATES_HZ[rateCode]! : 0;
  if (rateCode === 12) rateHz = b[p++]! * 1000;
  else if (rateCode === 13 || rateCode === 14) {
    rateHz = u16(b, p) * (rateCode === 14 ? 10 : 1);
    p += 2;
  }
  if (p >= end) return undefined;
  let crc = 0;
  for (let k = i; k < p; k++) crc = FLAC_CRC8_TABLE[crc ^ b[k]!]!;
  if (crc !== b[p]) return undefined;
  const channels = channelCode <= 7 ? channelCode + 1 : 2;
  const bits = sizeCode === 0 ? facts.bitsPerSample : SAMPLE_BITS[sizeCode]!;
  if (variable !== facts.variable || channels !== facts.channelCount || bits !== facts.bitsPerSample) return undefined;
  if (rateCode !== 0 && rateHz !== facts.sampleRateHz) return undefined;
  if (facts.maxBlockFrames > 0 && blockFrames > facts.maxBlockFrames) return undefined;
  if (!variable && facts.nominalBlockFrames > 0 && blockFrames > facts.nominalBlockFrames) return undefined;
  const firstSample = variable ? number : number * facts.nominalBlockFrames;
  if (firstSample + blockFrames > facts.totalSamples) return undefined;
  return { firstSample, blockFrames, codedNumber: number };
}

/**
 * Frame locator for one native FLAC stream. Create with `FlacSeeker.open`; `locate` is safe to call
 * repeatedly (each call reads a few windows of the file).
 */
export class FlacSeeker {
  private constructor(
    private readonly source: ByteSource,
    private readonly facts: StreamFacts,
    private readonly firstFrame: FlacFramePosition,
    /** One past the byte offset of the last frame: no frame starts at or after it. */
    private readonly streamEnd: number,
    private readonly seekPoints: readonly SeekPoint[],
    /** "fLaC" + STREAMINFO marked as the last metadata block: a decoder fed this, then bytes from a frame, decodes from that frame. */
    readonly decoderHead: Uint8Array,
  ) {}

  /**
   * Reads the stream's metadata, first and last frame headers and checks that its frame numbering can be
   * trusted.
   * @param streamOffset byte offset of "fLaC" in the file.
   * @returns undefined when the stream cannot be seeked safely: not native FLAC, deeper than 24 bits,
   *   unknown total length, damaged metadata, or frame numbering that disagrees with STREAMINFO.
   * @throws DecodeError "unreadable" when the file cannot be read.
   */
  static async open(source: ByteSource, streamOffset: number): Promise<FlacSeeker | undefined> {
    const magic = await source.readAt(streamOffset, 4 + 4 + 34);
    if (magic.length < 42 || u32(magic, 0) !== 0x664c6143 || (magic[4]! & 0x7f) !== 0 || ((magic[5]! << 16) | u16(magic, 6)) !== 34) return undefined;
    const si = magic.subarray(8);
    const maxBlockFrames = u16(si, 2);
    const sampleRateHz = (si[10]! << 12) | (si[11]! << 4) | (si[12]! >>> 4);
    const channelCount = ((si[12]! >>> 1) & 7) + 1;
    const bitsPerSample = (((si[12]! & 1) << 4) | (si[13]! >>> 4)) + 1;
    const totalSamples = (si[13]! & 0x0f) * 2 ** 32 + u32(si, 14);
    if (totalSamples === 0 || sampleRateHz === 0 || bitsPerSample < 4 || bitsPerSample > FLAC_MAX_DECODED_BITS) return undefined;
    // Walk the metadata blocks to the first frame, keeping the SEEKTABLE.
    let offset = streamOffset + 4;
    let last = false;
    let seekTable: Uint8Array | undefined;
    for (let n = 0; !last; n++) {
      if (n >= MAX_METADATA_BLOCKS) return undefined;
      const header = await source.readAt(offset, 4);
      if (header.length < 4) return undefined;
      last = (header[0]! & 0x80) !== 0;
      const type = header[0]! & 0x7f;
      const length = (header[1]! << 16) | u16(header, 2);
      if (type === 127 || (type === 0 && n > 0)) return undefined;
      if (type === 3 && seekTable === undefined) {
        seekTable = await source.readAt(offset + 4, length);
        if (seekTable.length < length) return undefined;
      }
      offset += 4 + length;
    }
    const firstFrameOffset = offset;
    if (firstFrameOffset >= source.sizeBytes) return undefined;
    const facts: StreamFacts = { sampleRateHz, channelCount, bitsPerSample, maxBlockFrames, totalSamples, variable: false, nominalBlockFrames: 0 };
    // The first frame fixes the blocking strategy and, for fixed block sizes, the nominal block size.
    const firstBytes = await source.readAt(firstFrameOffset, MAX_FRAME_HEADER_BYTES);
    if (firstBytes.length < 6 || firstBytes[0] !== 0xff || (firstBytes[1]! & 0xfe) !== 0xf8) return undefined;
    facts.variable = (firstBytes[1]! & 1) === 1;
    const first = parseHeader(firstBytes, 0, firstBytes.length, { ...facts, nominalBlockFrames: 0 });
    if (first === undefined || first.codedNumber !== 0) return undefined;
    // A fixed-blocksize stream numbers frames, not samples: only min = max block size in STREAMINFO makes
    // the numbering the decoder's (it fills lost frames from it, see flac-decoder.ts).
    if (!facts.variable && (u16(si, 0) !== maxBlockFrames || first.blockFrames !== maxBlockFrames)) return undefined;
    if (!facts.variable) facts.nominalBlockFrames = first.blockFrames;
    // The last frame must end at STREAMINFO's total: the numbering of every header is then trusted.
    const maxFrameBytes = (si[7]! << 16) | u16(si, 8);
    const lastFrameBound = maxFrameBytes > 0 ? maxFrameBytes : frameBytesBound(facts);
    const tailBytes = Math.min(source.sizeBytes - firstFrameOffset, lastFrameBound + TAIL_MARGIN_BYTES);
    const tailStart = source.sizeBytes - tailBytes;
    const tail = await source.readAt(tailStart, tailBytes);
    let streamEnd = -1;
    for (let i = tail.length - 6; i >= 0 && streamEnd < 0; i--) {
      const frame = parseHeader(tail, i, tail.length, facts);
      if (frame !== undefined && frame.firstSample + frame.blockFrames === totalSamples) streamEnd = tailStart + i + 1;
    }
    if (streamEnd < 0) return undefined;
    const points: SeekPoint[] = [];
    if (seekTable !== undefined) {
      for (let o = 0; o + 18 <= seekTable.length; o += 18) {
        const sample = u32(seekTable, o) * 2 ** 32 + u32(seekTable, o + 4);
        if (sample === PLACEHOLDER_SAMPLE || sample >= totalSamples) continue;
        const byteOffset = firstFrameOffset + u32(seekTable, o + 8) * 2 ** 32 + u32(seekTable, o + 12);
        const previous = points[points.length - 1];
        if (previous !== undefined && (sample <= previous.sample || byteOffset <= previous.byteOffset)) continue;
        if (byteOffset >= source.sizeBytes) continue;
        points.push({ sample, byteOffset });
      }
    }
    const decoderHead = new Uint8Array(42);
    decoderHead.set(magic);
    decoderHead[4] = 0x80; // STREAMINFO, last metadata block
    const firstPosition = { byteOffset: firstFrameOffset, firstSample: 0, blockFrames: first.blockFrames };
    return new FlacSeeker(source, facts, firstPosition, streamEnd, points, decoderHead);
  }

  /** Sample frames in the stream (STREAMINFO). */
  get totalSamples(): number {
    return this.facts.totalSamples;
  }

  /**
   * Finds a frame that starts at or before `sample` (the one holding it, unless the stream's bytes are
   * inconsistent, then an earlier one: never a later one).
   * @param sample 0 <= sample < totalSamples.
   * @throws DecodeError "unreadable" when the file cannot be read.
   */
  async locate(sample: number): Promise<FlacFramePosition> {
    let lo: FlacFramePosition = this.firstFrame;
    let hiOffset = this.streamEnd;
    let hiSample = this.facts.totalSamples;
    // Seek points bound the search; each is used only if its offset holds the frame it claims.
    const points = this.seekPoints;
    let below = -1;
    for (let k = 0; k < points.length && points[k]!.sample <= sample; k++) below = k;
    const pointBelow = below >= 0 ? await this.frameAt(points[below]!.byteOffset) : undefined;
    if (pointBelow !== undefined && pointBelow.firstSample === points[below]!.sample && pointBelow.firstSample > lo.firstSample) lo = pointBelow;
    const above = points[below + 1];
    if (above !== undefined) {
      const pointAbove = await this.frameAt(above.byteOffset);
      if (pointAbove !== undefined && pointAbove.firstSample === above.sample && above.byteOffset > lo.byteOffset) {
        hiOffset = above.byteOffset;
        hiSample = above.sample;
      }
    }
    for (let step = 0; step < MAX_BISECTION_STEPS; step++) {
      if (sample < lo.firstSample + lo.blockFrames) return lo;
      if (hiOffset - lo.byteOffset <= SCAN_WINDOW_BYTES) break;
      // Interpolate by samples, kept away from the bounds so every step removes at least 1/8 of the bytes.
      const span = hiOffset - lo.byteOffset;
      const fraction = Math.min(7 / 8, Math.max(1 / 8, (sample - lo.firstSample) / Math.max(1, hiSample - lo.firstSample)));
      const guess = lo.byteOffset + Math.floor(span * fraction);
      const frame = await this.nextFrame(guess, hiOffset, lo.firstSample, hiSample);
      if (frame === undefined || frame.firstSample > sample) {
        hiOffset = guess;
        if (frame !== undefined) hiSample = frame.firstSample;
      } else {
        lo = frame;
      }
    }
    return this.scanForward(lo, hiOffset, sample);
  }

  /** The frame whose header is at `byteOffset`, or undefined when there is none. */
  private async frameAt(byteOffset: number): Promise<FlacFramePosition | undefined> {
    const bytes = await this.source.readAt(byteOffset, MAX_FRAME_HEADER_BYTES);
    const frame = parseHeader(bytes, 0, bytes.length, this.facts);
    return frame === undefined ? undefined : { byteOffset, firstSample: frame.firstSample, blockFrames: frame.blockFrames };
  }

  /**
   * First valid frame header starting in [from, limit) whose sample lies in (loSample, hiSample), or
   * undefined when none does.
   */
  private async nextFrame(from: number, limit: number, loSample: number, hiSample: number): Promise<FlacFramePosition | undefined> {
    for (let at = from; at < limit; at += PROBE_BYTES) {
      const starts = Math.min(PROBE_BYTES, limit - at);
      const bytes = await this.source.readAt(at, starts + MAX_FRAME_HEADER_BYTES);
      for (let i = 0; i < starts; i++) {
        if (bytes[i] !== 0xff) continue;
        const frame = parseHeader(bytes, i, bytes.length, this.facts);
        if (frame !== undefined && frame.firstSample > loSample && frame.firstSample < hiSample) return { byteOffset: at + i, firstSample: frame.firstSample, blockFrames: frame.blockFrames };
      }
    }
    return undefined;
  }

  /** Last frame starting in (lo, limit) at or before `sample`, headers numbered in increasing order. */
  private async scanForward(lo: FlacFramePosition, limit: number, sample: number): Promise<FlacFramePosition> {
    let best = lo;
    for (let at = lo.byteOffset + 1; at < limit; at += SCAN_WINDOW_BYTES) {
      const starts = Math.min(SCAN_WINDOW_BYTES, limit - at);
      const bytes = await this.source.readAt(at, starts + MAX_FRAME_HEADER_BYTES);
      for (let i = 0; i < starts; i++) {
        if (bytes[i] !== 0xff) continue;
        const frame = parseHeader(bytes, i, bytes.length, this.facts);
        if (frame === undefined || frame.firstSample <= best.firstSample) continue;
        if (frame.firstSample > sample) return best;
        best = { byteOffset: at + i, firstSample: frame.firstSample, blockFrames: frame.blockFrames };
        if (sample < frame.firstSample + frame.blockFrames) return best;
      }
    }
    return best;
  }
}

/** Bytes a frame of this stream can take at most (a bound from the block size and sample format). */
function frameBytesBound(facts: StreamFacts): number {
  const blockFrames = facts.maxBlockFrames > 0 ? facts.maxBlockFrames : 65535;
  return Math.ceil((blockFrames * facts.channelCount * (facts.bitsPerSample + 1)) / 8) + 64;
}
