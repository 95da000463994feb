/**
 * Header facts of compressed streams, read before decoding so `AudioInfo` is known at open time:
 * FLAC STREAMINFO (RFC 9639 §8.2), Vorbis I identification header, OpusHead (RFC 7845 §5.1), Ogg page
 * granule positions (RFC 3533), and the Xing/Info + LAME tag of an MP3 (encoder delay and padding, as
 * mpg123's gapless mode uses them).
 */

import { oggFirstPacketOffset } from "./format-detect.js";

export interface StreamHeader {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** Frames after decoder trimming, when the header says; `undefined` when unknown. */
  readonly frameCount: number | undefined;
  readonly bitDepth: number | undefined;
}

function u32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Length of the STREAMINFO body. */
const STREAMINFO_BYTES = 34;

/**
 * Parses a FLAC STREAMINFO body (34 bytes at `o`). `frameCount` is undefined when the encoder wrote 0
 * ("unknown total samples", allowed by the spec for streamed encodes).
 * @returns undefined if fewer than 34 bytes are available.
 */
export function parseFlacStreamInfo(b: Uint8Array, o: number): StreamHeader | undefined {
  if (b.length < o + STREAMINFO_BYTES) return undefined;
  const sampleRateHz = (b[o + 10]! << 12) | (b[o + 11]! << 4) | (b[o + 12]! >> 4);
  const channelCount = ((b[o + 12]! >> 1) & 0x7) + 1;
  const bitDepth = (((b[o + 12]! & 1) << 4) | (b[o + 13]! >> 4)) + 1;
  const totalSamples = (b[o + 13]! & 0x0f) * 0x100000000 + u32be(b, o + 14);
  return { sampleRateHz, channelCount, bitDepth, frameCount: totalSamples > 0 ? totalSamples : undefined };
}

/**
 * Locates STREAMINFO in a native FLAC stream starting at `o` ("fLaC" + metadata block header) or in the
 * first Ogg page of an Ogg FLAC stream.
 */
export function parseFlacHeader(head: Uint8Array, variant: "native" | "ogg", o = 0): StreamHeader | undefined {
  if (variant === "native") {
    // "fLaC", then block header: 1 bit last-block flag, 7 bits type (0 = STREAMINFO), 24 bits length.
    if (head.length < o + 8 || (head[o + 4]! & 0x7f) !== 0) return undefined;
    return parseFlacStreamInfo(head, o + 8);
  }
  const packet = oggFirstPacketOffset(head);
  // 0x7F "FLAC" major minor header-count(2) "fLaC" block-header(4) STREAMINFO
  if (packet < 0) return undefined;
  return parseFlacStreamInfo(head, packet + 13 + 4);
}

/** Vorbis identification header in the first Ogg page (frameCount from `lastGranule` if given). */
export function parseVorbisHeader(head: Uint8Array, lastGranule: number | undefined): StreamHeader | undefined {
  const p = oggFirstPacketOffset(head);
  if (p < 0 || head.length < p + 16) return undefined;
  // 0x01 "vorbis" version(4) channels(1) rate(4)
  return { channelCount: head[p + 11]!, sampleRateHz: u32le(head, p + 12), bitDepth: undefined, frameCount: lastGranule };
}

/** Output rate of every Opus decoder (RFC 7845 §4: granule positions always count 48 kHz samples). */
export const OPUS_RATE_HZ = 48000;

/** OpusHead in the first Ogg page; frameCount = last granule - pre-skip (both at 48 kHz). */
export function parseOpusHeader(head: Uint8Array, lastGranule: number | undefined): (StreamHeader & { preSkip: number }) | undefined {
  const p = oggFirstPacketOffset(head);
  if (p < 0 || head.length < p + 19) return undefined;
  // "OpusHead" version(1) channels(1) pre-skip(2 LE) input rate(4 LE) gain(2) mapping family(1)
  const preSkip = head[p + 10]! | (head[p + 11]! << 8);
  const frameCount = lastGranule === undefined ? undefined : Math.max(0, lastGranule - preSkip);
  return { channelCount: head[p + 9]!, sampleRateHz: OPUS_RATE_HZ, bitDepth: undefined, frameCount, preSkip };
}

/**
 * Granule position of the last complete Ogg page in `tail` (the end of the file), or undefined when no
 * page with a valid granule (not -1) is found. Exact for 2^53 samples (~6500 years at 44.1 kHz).
 */
export function lastOggGranule(tail: Uint8Array): number | undefined {
  for (let i = tail.length - 27; i >= 0; i--) {
    if (tail[i] !== 0x4f || tail[i + 1] !== 0x67 || tail[i + 2] !== 0x67 || tail[i + 3] !== 0x53 || tail[i + 4] !== 0) continue;
    const lo = u32le(tail, i + 6);
    const hi = u32le(tail, i + 10);
    if (lo === 0xffffffff && hi === 0xffffffff) continue;
    return hi * 0x100000000 + lo;
  }
  return undefined;
}

/** Frames and gapless trim of an MP3 from its first frame's Xing/Info and LAME tag. */
export interface XingInfo {
  /** Audio frames in the stream (excluding the Xing frame itself). */
  readonly frames: number;
  /** LAME encoder delay and end padding in samples, when a LAME tag is present. */
  readonly encoderDelay: number | undefined;
  readonly padding: number | undefined;
}

/**
 * Reads the Xing/Info header inside the first MPEG frame at `frameOffset`.
 * @param mpegVersion1 true for MPEG-1 (side info 32/17 bytes), false for MPEG-2/2.5 (17/9 bytes).
 */
export function parseXingHeader(b: Uint8Array, frameOffset: number, mpegVersion1: boolean, mono: boolean): XingInfo | undefined {
  const sideInfo = mpegVersion1 ? (mono ? 17 : 32) : mono ? 9 : 17;
  const x = frameOffset + 4 + sideInfo;
  if (b.length < x + 8) return undefined;
  const tag = String.fromCharCode(b[x]!, b[x + 1]!, b[x + 2]!, b[x + 3]!);
  if (tag !== "Xing" && tag !== "Info") return undefined;
  const flags = u32be(b, x + 4);
  let o = x + 8;
  if ((flags & 1) === 0 || b.length < o + 4) return undefined;
  const frames = u32be(b, o);
  o += 4;
  if (flags & 2) o += 4; // byte count
  if (flags & 4) o += 100; // seek table
  if (flags & 8) o += 4; // quality
  // LAME tag: 9-byte encoder string, then at +21 three bytes: 12-bit delay, 12-bit padding.
  if (b.length >= o + 24 && (String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!) === "LAME" || b[o] === 0x4c)) {
    const d = o + 21;
    const encoderDelay = (b[d]! << 4) | (b[d + 1]! >> 4);
    const padding = ((b[d + 1]! & 0x0f) << 8) | b[d + 2]!;
    return { frames, encoderDelay, padding };
  }
  return { frames, encoderDelay: undefined, padding: undefined };
}
