/**
 * Content sniffing: which decoder a file needs, from its first bytes (magic numbers), never from its
 * extension. Signatures from the format specs: RIFF/RF64 (EBU Tech 3306), AIFF-C (Apple 1991), FLAC
 * (RFC 9639), MPEG audio frame header (ISO 11172-3), Ogg (RFC 3533) with Vorbis I / Opus (RFC 7845) /
 * Ogg FLAC identification packets, ISO BMFF `ftyp`.
 */

import type { AudioFormat } from "./audio-info.js";

/** Outcome of sniffing the start of a file. */
export type Sniffed =
  | { readonly kind: "audio"; readonly format: AudioFormat; readonly variant: string }
  | { readonly kind: "id3"; readonly skipBytes: number }
  | { readonly kind: "unsupported"; readonly detail: string }
  | { readonly kind: "truncated"; readonly detail: string }
  | { readonly kind: "not_audio"; readonly detail: string };

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  let s = "";
  for (let i = offset; i < offset + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function startsWith(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Size of an ID3v2 tag (header + body + optional footer) starting at `offset`, or 0 if none. */
export function id3v2Size(bytes: Uint8Array, offset = 0): number {
  if (bytes.length < offset + 10 || !startsWith(bytes, offset, "ID3")) return 0;
  const b = (i: number): number => bytes[offset + i]! & 0x7f;
  const body = (b(6) << 21) | (b(7) << 14) | (b(8) << 7) | b(9);
  const footer = (bytes[offset + 5]! & 0x10) !== 0 ? 10 : 0;
  return 10 + body + footer;
}

/** Parsed MPEG audio frame header (layer I/II/III, MPEG-1/2/2.5). */
export interface MpegFrameHeader {
  readonly version: 1 | 2 | 2.5;
  readonly layer: 1 | 2 | 3;
  readonly sampleRateHz: number;
  readonly channelCount: 1 | 2;
  readonly bitrateKbps: number;
  readonly frameBytes: number;
  readonly samplesPerFrame: number;
}

const MPEG_BITRATES_KBPS: Record<string, readonly number[]> = {
  // index 0 = free format, 15 = invalid
  "1-1": [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  "1-2": [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  "1-3": [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  "2-1": [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  "2-2": [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  "2-3": [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MPEG_RATES_HZ: Record<string, readonly number[]> = {
  "1": [44100, 48000, 32000],
  "2": [22050, 24000, 16000],
  "2.5": [11025, 12000, 8000],
};

/** Parses the 4-byte MPEG audio frame header at `offset`; `undefined` if it is not a valid one. */
export function parseMpegFrameHeader(bytes: Uint8Array, offset: number): MpegFrameHeader | undefined {
  if (bytes.length < offset + 4) return undefined;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  const b3 = bytes[offset + 3]!;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 15 || bitrateIndex === 0 || rateIndex === 3) return undefined;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const bitrateKbps = MPEG_BITRATES_KBPS[`${version === 1 ? 1 : 2}-${layer}`]![bitrateIndex]!;
  const sampleRateHz = MPEG_RATES_HZ[String(version)]![rateIndex]!;
  const padding = (b2 >> 1) & 1;
  const channelCount = (b3 >> 6) === 3 ? 1 : 2;
  const samplesPerFrame = layer === 1 ? 384 : layer === 2 ? 1152 : version === 1 ? 1152 : 576;
  const frameBytes =
    layer === 1
      ? (Math.floor((12000 * bitrateKbps) / sampleRateHz) + padding) * 4
      : Math.floor(((samplesPerFrame / 8) * 1000 * bitrateKbps) / sampleRateHz) + padding;
  return { version, layer, sampleRateHz, channelCount, bitrateKbps, frameBytes, samplesPerFrame };
}

/**
 * Offset of the first MPEG frame at or after `from` whose successor (when it lies inside `bytes`) is also
 * a valid frame header with the same version/layer/rate; -1 if none within `maxScanBytes`.
 */
export function findMpegSync(bytes: Uint8Array, from: number, maxScanBytes: number): number {
  const end = Math.min(bytes.length - 4, from + maxScanBytes);
  for (let i = from; i <= end; i++) {
    if (bytes[i] !== 0xff) continue;
    const h = parseMpegFrameHeader(bytes, i);
    if (h === undefined) continue;
    const next = i + h.frameBytes;
    if (next + 4 > bytes.length) return i;
    const h2 = parseMpegFrameHeader(bytes, next);
    if (h2 !== undefined && h2.version === h.version && h2.layer === h.layer && h2.sampleRateHz === h.sampleRateHz) {
      return i;
    }
  }
  return -1;
}

/** Ogg page: payload offset of the first page's first packet, or -1 if the page header is incomplete. */
export function oggFirstPacketOffset(bytes: Uint8Array, pageOffset = 0): number {
  if (bytes.length < pageOffset + 27) return -1;
  const segments = bytes[pageOffset + 26]!;
  const payload = pageOffset + 27 + segments;
  return payload <= bytes.length ? payload : -1;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 512);
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return false;
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128) printable++;
  }
  return n > 0 && printable / n > 0.95;
}

function hexPrefix(bytes: Uint8Array, count: number): string {
  let s = "";
  for (let i = 0; i < Math.min(count, bytes.length); i++) s += (i ? " " : "") + bytes[i]!.toString(16).padStart(2, "0");
  return s;
}

/**
 * Identifies the audio format from the first bytes of a file (64 KiB is plenty; fewer is fine).
 * An ID3v2 tag at the start is reported as `{ kind: "id3", skipBytes }`: sniff again after it.
 */
export function sniffFormat(head: Uint8Array): Sniffed {
  const riff = ascii(head, 0, 4);
  if (head.length < 12 && (riff === "RIFF" || riff === "RF64" || riff === "FORM")) {
    return { kind: "truncated", detail: `file is only ${head.length} bytes: it ends inside the ${riff} header` };
  }
  if ((riff === "RIFF" || riff === "RF64" || riff === "BW64") && startsWith(head, 8, "WAVE")) {
    return { kind: "audio", format: "wav", variant: riff };
  }
  if (riff === "RIFX" && startsWith(head, 8, "WAVE")) {
    return { kind: "unsupported", detail: "big-endian RIFX WAVE is not supported; convert the file to a standard WAV or FLAC" };
  }
  if (riff === "FORM" && (startsWith(head, 8, "AIFF") || startsWith(head, 8, "AIFC"))) {
    return { kind: "audio", format: "aiff", variant: ascii(head, 8, 4) };
  }
  if (riff === "fLaC") return { kind: "audio", format: "flac", variant: "native" };
  if (riff === "OggS") {
    const packet = oggFirstPacketOffset(head);
    if (packet < 0 || head.length < packet + 8) return { kind: "truncated", detail: "Ogg file ends inside its first page" };
    if (head[packet] === 1 && startsWith(head, packet + 1, "vorbis")) return { kind: "audio", format: "ogg-vorbis", variant: "vorbis" };
    if (startsWith(head, packet, "OpusHead")) return { kind: "audio", format: "opus", variant: "opus" };
    if (head[packet] === 0x7f && startsWith(head, packet + 1, "FLAC")) return { kind: "audio", format: "flac", variant: "ogg" };
    const codec = ascii(head, packet, 8).replace(/[^\x20-\x7e]/g, "?");
    return { kind: "unsupported", detail: `Ogg stream with codec '${codec}' (only Vorbis, Opus and FLAC are decoded)` };
  }
  if (startsWith(head, 4, "ftyp")) return { kind: "audio", format: "m4a", variant: ascii(head, 8, 4) };
  const id3 = id3v2Size(head);
  if (id3 > 0) return { kind: "id3", skipBytes: id3 };
  if (parseMpegFrameHeader(head, 0) !== undefined && findMpegSync(head, 0, 0) === 0) {
    return { kind: "audio", format: "mp3", variant: "mpeg" };
  }
  // Formats only the whole-file fallback (audio-decode) handles.
  if (head.length >= 2 && head[0] === 0xff && (head[1]! & 0xf6) === 0xf0) return { kind: "audio", format: "other", variant: "aac-adts" };
  if (riff === "caff") return { kind: "audio", format: "other", variant: "caf" };
  if (riff === "wvpk") return { kind: "audio", format: "other", variant: "wavpack" };
  if (riff === "TTA1") return { kind: "audio", format: "other", variant: "tta" };
  if (riff === "qoaf") return { kind: "audio", format: "other", variant: "qoa" };
  if (riff === "MPCK" || riff.startsWith("MP+")) return { kind: "audio", format: "other", variant: "musepack" };
  if (startsWith(head, 0, "#!AMR")) return { kind: "audio", format: "other", variant: "amr" };
  if (head.length >= 8 && hexPrefix(head, 8) === "30 26 b2 75 8e 66 cf 11") return { kind: "audio", format: "other", variant: "wma" };
  if (riff === "MThd") return { kind: "not_audio", detail: "is a MIDI file (note data, not audio)" };
  if (looksLikeText(head)) {
    return { kind: "not_audio", detail: `is text, not audio (starts with "${ascii(head, 0, 16).replace(/[^\x20-\x7e]/g, ".")}")` };
  }
  return { kind: "not_audio", detail: `content is not a known audio format (first bytes ${hexPrefix(head, 8)})` };
}
