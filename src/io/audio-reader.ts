/**
 * Opening audio files for reading: content sniffing, header parsing and the choice of reader.
 *
 * | format             | reader                | `readRange`                         |
 * |--------------------|-----------------------|-------------------------------------|
 * | WAV, RF64, AIFF(-C) | streaming PCM         | seeks directly (one positioned read) |
 * | FLAC, MP3, Vorbis, Opus | streaming WASM decoder | decodes from frame 0 and discards up to `startFrame` (sequential ranges reuse the decoder position) |
 * | M4A/AAC and others `audio-decode` knows | whole file in memory (<= `maxWholeFileBytes`) | copy |
 *
 * For compressed streams `info.frameCount` is what the header claims (FLAC STREAMINFO, MP3 Xing/LAME tag,
 * last Ogg granule); a damaged or cut-short file can end earlier, so `blocks()` is authoritative.
 */

import { DecodeError, ParameterError } from "../core/errors.js";
import { samplesToSeconds } from "../core/dsp/time.js";
import type { AudioInfo } from "./audio-info.js";
import { parseAiffHeader } from "./aiff-header.js";
import { openByteSource, type ByteSource } from "./byte-source.js";
import { lastOggGranule, parseFlacHeader, parseOpusHeader, parseVorbisHeader, parseXingHeader, type StreamHeader } from "./codec-headers.js";
import { DecodedStreamReader } from "./decoded-stream-reader.js";
import { findMpegSync, parseMpegFrameHeader, sniffFormat, type Sniffed } from "./format-detect.js";
import { PcmFileReader } from "./pcm-file-reader.js";
import { checkChannelsAndRate } from "./pcm-layout.js";
import { parseWavHeader } from "./wav-header.js";
import { DEFAULT_MAX_WHOLE_FILE_BYTES, WholeFileReader } from "./whole-file-reader.js";

export { AUDIO_EXTENSIONS } from "./audio-info.js";
export type { AudioFormat, AudioInfo } from "./audio-info.js";

/** A run of consecutive frames, planar, at the file's native rate. */
export interface AudioBlock {
  /** One array per channel, each `frameCount` long. */
  readonly channels: readonly Float32Array[];
  readonly frameCount: number;
  /** Index of this block's first frame in the file. */
  readonly startFrame: number;
}

/** An open audio file. Call `close()` when done (also after an error thrown by `blocks()`/`readRange()`). */
export interface AudioFileReader {
  readonly info: AudioInfo;
  /**
   * Consecutive planar blocks from frame 0 to the end, at the native rate. Buffers may be reused between
   * iterations (valid until the next one). Blocks hold `blockFrames` frames (default 65536) except the last.
   * @throws DecodeError ("corrupt", "truncated", "zero_length", "unsupported_codec") while iterating;
   *   ParameterError for a bad `blockFrames`.
   */
  blocks(blockFrames?: number): AsyncIterable<AudioBlock>;
  /**
   * Planar samples of [startFrame, endFrame) at the native rate; frames past the end are zero. The arrays
   * are new and owned by the caller.
   * @throws ParameterError unless 0 <= startFrame <= endFrame; DecodeError as for `blocks()`.
   */
  readRange(startFrame: number, endFrame: number): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Bytes read from the start of a file to sniff its format and parse its header: 64 KiB. */
const HEAD_BYTES = 64 * 1024;
/** Bytes read from the end of an Ogg file to find the last granule position: 64 KiB (a page is <= 65307 bytes). */
const OGG_TAIL_BYTES = 64 * 1024;
/** Most consecutive ID3v2 tags skipped before giving up. */
const MAX_ID3_TAGS = 4;

/**
 * Opens an audio file, detecting its format from its content.
 *
 * @param options.maxWholeFileBytes largest file (bytes) decoded whole in memory for formats without a
 *   streaming decoder (M4A/AAC, CAF, WMA...); default 32 MiB.
 * @throws DecodeError with reason "unreadable", "empty", "truncated", "not_audio", "unsupported_codec",
 *   "bad_header", "zero_length", "too_large" or "corrupt"; ParameterError for a bad option.
 */
export async function openAudioFile(path: string, options?: { maxWholeFileBytes?: number }): Promise<AudioFileReader> {
  const maxWholeFileBytes = options?.maxWholeFileBytes ?? DEFAULT_MAX_WHOLE_FILE_BYTES;
  if (!(maxWholeFileBytes > 0)) throw new ParameterError(`maxWholeFileBytes must be a positive number of bytes, got ${maxWholeFileBytes}`);
  const source = await openByteSource(path);
  try {
    return await openFromSource(source, maxWholeFileBytes);
  } catch (error) {
    await source.close().catch(() => undefined);
    throw error;
  }
}

async function openFromSource(source: ByteSource, maxWholeFileBytes: number): Promise<AudioFileReader> {
  const path = source.path;
  let offset = 0;
  let head = await source.readAt(0, HEAD_BYTES);
  let sniffed: Sniffed = sniffFormat(head);
  for (let tags = 0; sniffed.kind === "id3"; tags++) {
    offset += sniffed.skipBytes;
    if (tags >= MAX_ID3_TAGS || offset >= source.sizeBytes) {
      throw new DecodeError(path, "truncated", `file holds an ID3 tag (${offset} bytes) but no audio after it`);
    }
    head = await source.readAt(offset, HEAD_BYTES);
    sniffed = sniffFormat(head);
    if (sniffed.kind === "not_audio") {
      // MP3 frames may follow the tag after some padding.
      const sync = findMpegSync(head, 0, HEAD_BYTES);
      if (sync >= 0) sniffed = { kind: "audio", format: "mp3", variant: "mpeg" };
    }
  }
  switch (sniffed.kind) {
    case "not_audio":
      throw new DecodeError(path, "not_audio", sniffed.detail);
    case "unsupported":
      throw new DecodeError(path, "unsupported_codec", sniffed.detail);
    case "truncated":
      throw new DecodeError(path, "truncated", sniffed.detail);
    case "audio":
      break;
  }
  const { format, variant } = sniffed;
  switch (format) {
    case "wav":
      return new PcmFileReader(source, await parseWavHeader(source, head));
    case "aiff":
      return new PcmFileReader(source, await parseAiffHeader(source, head));
    case "flac": {
      const isOgg = variant === "ogg";
      let header = parseFlacHeader(head, isOgg ? "ogg" : "native");
      if (header === undefined) throw new DecodeError(path, "truncated", "FLAC file ends before its STREAMINFO block is complete");
      if (isOgg && header.frameCount === undefined) header = { ...header, frameCount: await lastGranule(source) };
      return streamReader(source, format, header, offset, head);
    }
    case "mp3":
      return openMp3(source, head, offset);
    case "ogg-vorbis":
    case "opus": {
      const granule = await lastGranule(source);
      const header = format === "opus" ? parseOpusHeader(head, granule) : parseVorbisHeader(head, granule);
      if (header === undefined) throw new DecodeError(path, "truncated", `${format} file ends inside its identification header`);
      return streamReader(source, format, header, offset, head);
    }
    case "m4a":
    case "other":
      return WholeFileReader.open(source, format, variant, maxWholeFileBytes);
  }
}

/** Granule position of the last Ogg page (the stream's length in frames at the codec's granule rate). */
async function lastGranule(source: ByteSource): Promise<number | undefined> {
  const tailStart = Math.max(0, source.sizeBytes - OGG_TAIL_BYTES);
  return lastOggGranule(await source.readAt(tailStart, source.sizeBytes - tailStart));
}

/**
 * `head` holds the file's bytes from `headStart` (the stream's first byte is at `offset >= headStart`);
 * when it reaches the end of the file the decoder reads from it instead of the file.
 */
function streamReader(
  source: ByteSource,
  format: "flac" | "mp3" | "ogg-vorbis" | "opus",
  header: StreamHeader,
  offset: number,
  head: Uint8Array,
  headStart: number = offset,
): AudioFileReader {
  checkChannelsAndRate(source.path, format, header.channelCount, header.sampleRateHz);
  if (header.frameCount === 0) throw new DecodeError(source.path, "zero_length", `${format} header declares 0 sample frames`);
  const info: AudioInfo = Object.freeze({
    path: source.path,
    format,
    sampleRateHz: header.sampleRateHz,
    channelCount: header.channelCount,
    frameCount: header.frameCount,
    bitDepth: header.bitDepth,
    durationSec: header.frameCount === undefined ? undefined : samplesToSeconds(header.frameCount, header.sampleRateHz),
  });
  const wholeStream = headStart + head.length >= source.sizeBytes ? head.subarray(offset - headStart) : undefined;
  return new DecodedStreamReader(source, info, format, offset, wholeStream);
}

function openMp3(source: ByteSource, head: Uint8Array, offset: number): AudioFileReader {
  const sync = findMpegSync(head, 0, head.length);
  const frame = sync < 0 ? undefined : parseMpegFrameHeader(head, sync);
  if (frame === undefined) throw new DecodeError(source.path, "not_audio", "no MPEG audio frame found after the ID3 tag");
  let frameCount: number | undefined;
  const xing = parseXingHeader(head, sync, frame.version === 1, frame.channelCount === 1);
  if (xing !== undefined && xing.encoderDelay !== undefined && xing.padding !== undefined) {
    // mpg123's gapless mode drops the encoder delay at the start and the padding at the end.
    frameCount = Math.max(0, xing.frames * frame.samplesPerFrame - xing.encoderDelay - xing.padding);
  }
  const header: StreamHeader = { sampleRateHz: frame.sampleRateHz, channelCount: frame.channelCount, frameCount, bitDepth: undefined };
  return streamReader(source, "mp3", header, offset + sync, head, offset);
}

/** Reads every frame of a file into memory (tests, short files). Prefer `blocks()` for long files. */
export async function readWholeFile(path: string, options?: { maxWholeFileBytes?: number }): Promise<{ info: AudioInfo; channels: Float32Array[] }> {
  const reader = await openAudioFile(path, options);
  try {
    const parts: Float32Array[][] = [];
    let total = 0;
    for await (const block of reader.blocks()) {
      parts.push(block.channels.map((ch) => ch.slice()));
      total += block.frameCount;
    }
    const channels: Float32Array[] = [];
    for (let c = 0; c < reader.info.channelCount; c++) {
      const out = new Float32Array(total);
      let o = 0;
      for (const part of parts) {
        out.set(part[c]!, o);
        o += part[c]!.length;
      }
      channels.push(out);
    }
    return { info: reader.info, channels };
  } finally {
    await reader.close();
  }
}

