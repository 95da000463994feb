/**
 * RIFF/RF64 WAVE header parsing (Microsoft RIFF spec, WAVEFORMATEXTENSIBLE, EBU Tech 3306 for RF64/BW64).
 * Walks the chunk list with positioned reads (chunks may be large: `LIST`, `bext`, `JUNK`), skips unknown
 * chunks, honours the pad byte after odd-sized chunks, and stops once `fmt ` and `data` are known.
 */

import { DecodeError } from "../core/errors.js";
import type { ByteSource } from "./byte-source.js";
import type { PcmEncoding } from "./pcm-convert.js";
import { checkChannelsAndRate, type PcmLayout } from "./pcm-layout.js";

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID; bytes 0..1 carry the format tag. */
const KSDATAFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const KNOWN_TAGS: Record<number, string> = {
  0x0002: "Microsoft ADPCM",
  0x0006: "A-law",
  0x0007: "mu-law",
  0x0011: "IMA ADPCM",
  0x0031: "GSM 6.10",
  0x0050: "MPEG layer 1/2",
  0x0055: "MPEG layer 3",
  0x00ff: "AAC",
  0x1610: "AAC (ADTS)",
  0xf1ac: "FLAC",
};

interface FmtChunk {
  readonly tag: number;
  readonly channelCount: number;
  readonly sampleRateHz: number;
  readonly blockAlign: number;
  readonly bitsPerSample: number;
  readonly validBits: number;
}

const MAX_U32 = 0xffffffff;

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
function u64(b: Uint8Array, o: number): number {
  return u32(b, o) + u32(b, o + 4) * 0x100000000;
}
/** Chunks walked before the header is declared damaged (real files have a handful; garbage can have millions). */
const MAX_CHUNKS = 4096;

function fourCC(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
}

function tagName(tag: number): string {
  const hex = `0x${tag.toString(16).padStart(4, "0")}`;
  const name = KNOWN_TAGS[tag];
  return name === undefined ? `format tag ${hex}` : `format tag ${hex} (${name})`;
}

function parseFmt(path: string, b: Uint8Array): FmtChunk {
  if (b.length < 16) throw new DecodeError(path, "bad_header", `WAV 'fmt ' chunk is ${b.length} bytes (needs at least 16)`);
  let tag = u16(b, 0);
  const channelCount = u16(b, 2);
  const sampleRateHz = u32(b, 4);
  const blockAlign = u16(b, 12);
  const bitsPerSample = u16(b, 14);
  let validBits = bitsPerSample;
  checkChannelsAndRate(path, "WAV", channelCount, sampleRateHz);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (b.length < 40) {
      throw new DecodeError(path, "bad_header", `WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is ${b.length} bytes (needs 40)`);
    }
    validBits = u16(b, 18) || bitsPerSample;
    const subTag = u16(b, 24);
    for (let i = 0; i < KSDATAFORMAT_GUID_TAIL.length; i++) {
      if (b[26 + i] !== KSDATAFORMAT_GUID_TAIL[i]) {
        throw new DecodeError(path, "unsupported_codec", "WAVE_FORMAT_EXTENSIBLE with an unknown sub-format GUID; convert the file to PCM WAV or FLAC");
      }
    }
    tag = subTag;
  }
  if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) {
    throw new DecodeError(
      path,
      "unsupported_codec",
      `WAV with ${tagName(tag)} is not supported (only PCM and IEEE float); convert the file to PCM WAV or FLAC`,
    );
  }
  return { tag, channelCount, sampleRateHz, blockAlign, bitsPerSample, validBits };
}

function encodingFor(path: string, fmt: FmtChunk): { encoding: PcmEncoding; blockAlign: number; bitDepth: number } {
  const { tag, channelCount, bitsPerSample, validBits } = fmt;
  const isFloat = tag === WAVE_FORMAT_IEEE_FLOAT;
  const supported = isFloat ? "32 or 64 (float)" : "8, 16, 24 or 32 (integer)";
  if (bitsPerSample === 0 || bitsPerSample > 64 || validBits > bitsPerSample) {
    throw new DecodeError(path, "bad_header", `WAV declares ${bitsPerSample} bits per sample (${validBits} valid); supported: ${supported}`);
  }
  let containerBytes = Math.ceil(bitsPerSample / 8);
  // Trust blockAlign when it is a whole, larger container per channel (e.g. 24 valid bits in 4 bytes).
  if (fmt.blockAlign !== channelCount * containerBytes && fmt.blockAlign % channelCount === 0 && fmt.blockAlign / channelCount > containerBytes) {
    containerBytes = fmt.blockAlign / channelCount;
  }
  let encoding: PcmEncoding | undefined;
  if (isFloat) {
    if (containerBytes === 4 && bitsPerSample === 32) encoding = "f32le";
    else if (containerBytes === 8 && bitsPerSample === 64) encoding = "f64le";
  } else if (containerBytes === 1 && bitsPerSample === 8) encoding = "u8";
  else if (containerBytes === 2 && bitsPerSample > 8) encoding = "s16le";
  else if (containerBytes === 3 && bitsPerSample > 16) encoding = "s24le";
  else if (containerBytes === 4 && bitsPerSample > 16) encoding = "s32le";
  if (encoding === undefined) {
    throw new DecodeError(
      path,
      "bad_header",
      `WAV declares ${bitsPerSample} bits per sample in ${containerBytes}-byte containers; supported: ${supported}`,
    );
  }
  return { encoding, blockAlign: containerBytes * channelCount, bitDepth: Math.min(validBits, bitsPerSample) };
}

/**
 * Parses a WAVE header. `head` is the first bytes of the file (any length >= 12); chunks beyond it are
 * read from `source` as needed.
 * @throws DecodeError "truncated" (no fmt/data chunk before end of file), "bad_header", "unsupported_codec",
 *   "zero_length" (no sample frames).
 */
export async function parseWavHeader(source: ByteSource, head: Uint8Array): Promise<PcmLayout> {
  const path = source.path;
  const fileSize = source.sizeBytes;
  const variant = fourCC(head, 0);
  const isRf64 = variant === "RF64" || variant === "BW64";
  const bytesAt = async (position: number, length: number): Promise<Uint8Array> =>
    position + length <= head.length ? head.subarray(position, position + length) : source.readAt(position, length);

  let fmt: FmtChunk | undefined;
  let ds64DataBytes: number | undefined;
  let dataOffset = -1;
  let dataBytes = 0;
  let claimedBytes = 0;
  let position = 12;
  for (let chunks = 0; position + 8 <= fileSize; chunks++) {
    if (chunks >= MAX_CHUNKS) {
      throw new DecodeError(path, "bad_header", `WAV has more than ${MAX_CHUNKS} chunks before its samples; the chunk list is damaged`);
    }
    const chunkHeader = await bytesAt(position, 8);
    if (chunkHeader.length < 8) break;
    const id = fourCC(chunkHeader, 0);
    const size = u32(chunkHeader, 4);
    const body = position + 8;
    if (id === "ds64") {
      const ds = await bytesAt(body, Math.min(size, 28));
      if (ds.length >= 16) ds64DataBytes = u64(ds, 8);
    } else if (id === "fmt ") {
      const fmtBytes = await bytesAt(body, Math.min(size, 64));
      if (fmtBytes.length < Math.min(size, 16)) {
        throw new DecodeError(path, "truncated", `WAV file ends inside its 'fmt ' chunk (${fileSize} bytes)`);
      }
      fmt = parseFmt(path, fmtBytes);
    } else if (id === "data") {
      dataOffset = body;
      if (isRf64 && size === MAX_U32 && ds64DataBytes !== undefined) claimedBytes = ds64DataBytes;
      // A size of 0 or 0xFFFFFFFF in a plain RIFF is what streaming recorders leave when they never
      // patch the header (crash, live capture): read to the end of the file, as ffmpeg does.
      else if (size === 0 || size === MAX_U32) claimedBytes = fileSize - body;
      else claimedBytes = size;
      dataBytes = Math.min(claimedBytes, fileSize - body);
      if (fmt !== undefined) break;
      position = body + claimedBytes + (claimedBytes & 1);
      continue;
    }
    position = body + size + (size & 1);
  }
  if (fmt === undefined) {
    throw new DecodeError(path, "truncated", `WAV has no 'fmt ' chunk before the end of the file (${fileSize} bytes); the header is cut short or damaged`);
  }
  if (dataOffset < 0) {
    throw new DecodeError(path, "truncated", `WAV has no 'data' chunk before the end of the file (${fileSize} bytes)`);
  }
  const { encoding, blockAlign, bitDepth } = encodingFor(path, fmt);
  const frameCount = Math.floor(dataBytes / blockAlign);
  if (frameCount === 0) {
    throw new DecodeError(path, "zero_length", "WAV 'data' chunk holds no sample frames");
  }
  return {
    format: "wav",
    encoding,
    channelCount: fmt.channelCount,
    sampleRateHz: fmt.sampleRateHz,
    bitDepth,
    dataOffset,
    blockAlign,
    frameCount,
    truncatedData: claimedBytes > dataBytes,
  };
}
