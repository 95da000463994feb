/**
 * AIFF / AIFF-C header parsing (Apple "Audio Interchange File Format" 1.3 and the AIFF-C draft 1991).
 * Big-endian chunks padded to even sizes; `COMM` carries the 80-bit IEEE 754 extended sample rate,
 * `SSND` the samples after its own offset field. AIFF-C compression types decoded: NONE/twos (big-endian
 * integer), sowt (little-endian integer), fl32/FL32, fl64/FL64 (big-endian float), raw (unsigned 8-bit),
 * in24/in32 and 23ni (QuickTime integer variants).
 */

import { DecodeError } from "../core/errors.js";
import type { ByteSource } from "./byte-source.js";
import type { PcmEncoding } from "./pcm-convert.js";
import { checkChannelsAndRate, type PcmLayout } from "./pcm-layout.js";

function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function u32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
/** Chunks walked before the header is declared damaged (real files have a handful; garbage can have millions). */
const MAX_CHUNKS = 4096;

function fourCC(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
}

/**
 * Decodes an 80-bit IEEE 754 extended-precision number (sign, 15-bit exponent, 64-bit mantissa with an
 * explicit integer bit) as used for the AIFF sample rate. Returns NaN for Inf/NaN encodings.
 */
export function readExtended80(b: Uint8Array, o: number): number {
  const sign = (b[o]! & 0x80) !== 0 ? -1 : 1;
  const exponent = ((b[o]! & 0x7f) << 8) | b[o + 1]!;
  const hi = u32be(b, o + 2);
  const lo = u32be(b, o + 6);
  if (exponent === 0 && hi === 0 && lo === 0) return 0;
  if (exponent === 0x7fff) return Number.NaN;
  return sign * (hi * 2 ** (exponent - 16383 - 31) + lo * 2 ** (exponent - 16383 - 63));
}

function integerEncoding(bits: number, littleEndian: boolean): PcmEncoding | undefined {
  if (bits >= 1 && bits <= 8) return "s8";
  if (bits <= 16) return littleEndian ? "s16le" : "s16be";
  if (bits <= 24) return littleEndian ? "s24le" : "s24be";
  if (bits <= 32) return littleEndian ? "s32le" : "s32be";
  return undefined;
}

function encodingFor(path: string, compression: string, bits: number): { encoding: PcmEncoding; bitDepth: number } {
  const badBits = (): DecodeError =>
    new DecodeError(path, "bad_header", `AIFF declares ${bits} bits per sample for compression '${compression}' (supported: 1..32 integer, 32/64 float)`);
  switch (compression) {
    case "NONE":
    case "twos": {
      const encoding = integerEncoding(bits, false);
      if (encoding === undefined) throw badBits();
      return { encoding, bitDepth: bits };
    }
    case "sowt": {
      const encoding = integerEncoding(bits, true);
      if (encoding === undefined) throw badBits();
      return { encoding, bitDepth: bits };
    }
    case "raw ":
      if (bits !== 8) throw badBits();
      return { encoding: "u8", bitDepth: 8 };
    case "in24":
      return { encoding: "s24be", bitDepth: 24 };
    case "23ni":
      return { encoding: "s24le", bitDepth: 24 };
    case "in32":
      return { encoding: "s32be", bitDepth: 32 };
    case "fl32":
    case "FL32":
      return { encoding: "f32be", bitDepth: 32 };
    case "fl64":
    case "FL64":
      return { encoding: "f64be", bitDepth: 64 };
    default:
      throw new DecodeError(
        path,
        "unsupported_codec",
        `AIFF-C compression '${compression}' is not supported (only uncompressed integer and float); convert the file to WAV or FLAC`,
      );
  }
}

const ENCODING_BYTES: Record<PcmEncoding, number> = {
  u8: 1, s8: 1, s16le: 2, s16be: 2, s24le: 3, s24be: 3, s32le: 4, s32be: 4, f32le: 4, f32be: 4, f64le: 8, f64be: 8,
};

/**
 * Parses an AIFF or AIFF-C header. `head` is the first bytes of the file (>= 12); later chunks are read
 * from `source`.
 * @throws DecodeError "truncated", "bad_header", "unsupported_codec", "zero_length".
 */
export async function parseAiffHeader(source: ByteSource, head: Uint8Array): Promise<PcmLayout> {
  const path = source.path;
  const fileSize = source.sizeBytes;
  const isAifc = fourCC(head, 8) === "AIFC";
  const bytesAt = async (position: number, length: number): Promise<Uint8Array> =>
    position + length <= head.length ? head.subarray(position, position + length) : source.readAt(position, length);

  let comm: { channelCount: number; declaredFrames: number; bits: number; sampleRateHz: number; compression: string } | undefined;
  let dataOffset = -1;
  let dataBytes = 0;
  let position = 12;
  for (let chunks = 0; position + 8 <= fileSize; chunks++) {
    if (chunks >= MAX_CHUNKS) {
      throw new DecodeError(path, "bad_header", `AIFF has more than ${MAX_CHUNKS} chunks before its samples; the chunk list is damaged`);
    }
    const chunkHeader = await bytesAt(position, 8);
    if (chunkHeader.length < 8) break;
    const id = fourCC(chunkHeader, 0);
    const size = u32be(chunkHeader, 4);
    const body = position + 8;
    if (id === "COMM") {
      const c = await bytesAt(body, Math.min(size, 64));
      if (c.length < 18) throw new DecodeError(path, "truncated", `AIFF 'COMM' chunk is cut short (${c.length} of 18 bytes)`);
      let compression = "NONE";
      if (isAifc) {
        if (c.length < 22) throw new DecodeError(path, "truncated", "AIFF-C 'COMM' chunk has no compression type");
        compression = fourCC(c, 18);
      }
      comm = {
        channelCount: u16be(c, 0),
        declaredFrames: u32be(c, 2),
        bits: u16be(c, 6),
        sampleRateHz: Math.round(readExtended80(c, 8)),
        compression,
      };
    } else if (id === "SSND") {
      const s = await bytesAt(body, 8);
      if (s.length < 8) throw new DecodeError(path, "truncated", "AIFF 'SSND' chunk is cut short");
      const offset = u32be(s, 0);
      dataOffset = body + 8 + offset;
      const claimed = Math.max(0, size - 8 - offset);
      dataBytes = Math.max(0, Math.min(claimed, fileSize - dataOffset));
      if (comm !== undefined) break;
    }
    position = body + size + (size & 1);
  }
  if (comm === undefined) {
    throw new DecodeError(path, "truncated", `AIFF has no 'COMM' chunk before the end of the file (${fileSize} bytes)`);
  }
  checkChannelsAndRate(path, "AIFF", comm.channelCount, comm.sampleRateHz);
  const { encoding, bitDepth } = encodingFor(path, comm.compression, comm.bits);
  if (comm.declaredFrames === 0) throw new DecodeError(path, "zero_length", "AIFF 'COMM' declares 0 sample frames");
  if (dataOffset < 0) {
    throw new DecodeError(path, "truncated", `AIFF declares ${comm.declaredFrames} frames but has no 'SSND' chunk before the end of the file`);
  }
  const blockAlign = ENCODING_BYTES[encoding] * comm.channelCount;
  const availableFrames = Math.floor(dataBytes / blockAlign);
  const frameCount = Math.min(comm.declaredFrames, availableFrames);
  if (frameCount === 0) throw new DecodeError(path, "zero_length", "AIFF 'SSND' chunk holds no sample frames");
  return {
    format: "aiff",
    encoding,
    channelCount: comm.channelCount,
    sampleRateHz: comm.sampleRateHz,
    bitDepth,
    dataOffset,
    blockAlign,
    frameCount,
    truncatedData: availableFrames < comm.declaredFrames,
  };
}
