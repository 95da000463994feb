/**
 * WAV encoding and atomic writing. Headers follow what every common tool reads:
 * - int16, 1-2 channels: plain WAVE_FORMAT_PCM (16-byte `fmt `).
 * - float32, 1-2 channels: WAVE_FORMAT_IEEE_FLOAT (18-byte `fmt `). Every float file gets the `fact` chunk
 *   (frame count) that non-PCM data needs.
 * - int24, or more than 2 channels: WAVE_FORMAT_EXTENSIBLE (40-byte `fmt `) with the PCM/float sub-format
 *   GUID, as Microsoft requires for >16-bit or >2-channel data; channel mask = front L/R (or C) for 1-2
 *   channels, 0 (no speaker assignment) otherwise.
 *
 * Float -> integer: round(x * 2^(N-1)) clipped to the N-bit range, so the reader's k / 2^(N-1) round-trips
 * exactly. NaN is written as 0. No dither.
 */

import { ParameterError } from "../core/errors.js";
import { writeFileAtomically } from "./atomic-write.js";

export { AUDIO_EXTENSIONS } from "./audio-info.js";

export type WavSampleFormat = "int16" | "int24" | "float32";

/** RIFF sizes are 32-bit: the data chunk must leave room for the header within 4 GiB. */
const MAX_RIFF_BYTES = 0xffffffff;
const MAX_CHANNELS = 65535;

const BYTES: Record<WavSampleFormat, number> = { int16: 2, int24: 3, float32: 4 };

/**
 * Encodes planar samples as a complete WAV file in memory.
 *
 * @param channels one Float32Array per channel, all the same length (frames); nominal range [-1, 1].
 * @param sampleRateHz positive integer, Hz.
 * @param format "int16" (default), "int24" or "float32".
 * @returns the file's bytes.
 * @throws ParameterError for no channels, unequal lengths, a bad rate or format, or more than 4 GiB of data.
 */
export function encodeWav(channels: readonly Float32Array[], sampleRateHz: number, format: WavSampleFormat = "int16"): Buffer {
  const encoder = new WavEncoder(channels, sampleRateHz, format);
  encoder.run(Number.POSITIVE_INFINITY);
  return encoder.bytes;
}

/**
 * Size of the WAV file `encodeWav` makes, bytes.
 * @throws ParameterError as `encodeWav`.
 */
export function wavByteLength(channelCount: number, frameCount: number, format: WavSampleFormat = "int16"): number {
  return layoutOf(channelCount, frameCount, 1, format).fileBytes;
}

interface WavLayout {
  readonly bytesPerSample: number;
  readonly blockAlign: number;
  readonly dataBytes: number;
  readonly headerBytes: number;
  readonly fmtBytes: number;
  readonly factBytes: number;
  readonly extensible: boolean;
  readonly isFloat: boolean;
  readonly padByte: number;
  readonly riffBytes: number;
  readonly fileBytes: number;
}

function layoutOf(channelCount: number, frameCount: number, sampleRateHz: number, format: WavSampleFormat): WavLayout {
  if (!Number.isInteger(channelCount) || channelCount < 1 || channelCount > MAX_CHANNELS) throw new ParameterError(`encodeWav needs 1..${MAX_CHANNELS} channels, got ${channelCount}`);
  if (!Number.isInteger(sampleRateHz) || sampleRateHz < 1 || sampleRateHz > MAX_RIFF_BYTES) {
    throw new ParameterError(`encodeWav sampleRateHz must be a positive integer (Hz), got ${sampleRateHz}`);
  }
  const bytesPerSample = BYTES[format];
  if (bytesPerSample === undefined) throw new ParameterError(`encodeWav format must be "int16", "int24" or "float32", got ${String(format)}`);
  const blockAlign = bytesPerSample * channelCount;
  if (blockAlign > 0xffff) throw new ParameterError(`encodeWav: ${channelCount} channels of ${bytesPerSample} bytes exceed the WAV block size limit`);
  const dataBytes = frameCount * blockAlign;
  const extensible = format === "int24" || channelCount > 2;
  const isFloat = format === "float32";
  const fmtBytes = extensible ? 40 : isFloat ? 18 : 16;
  const factBytes = isFloat ? 12 : 0;
  const headerBytes = 12 + 8 + fmtBytes + factBytes + 8;
  const padByte = dataBytes & 1;
  const riffBytes = headerBytes - 8 + dataBytes + padByte;
  if (riffBytes > MAX_RIFF_BYTES) {
    throw new ParameterError(`encodeWav: ${dataBytes} bytes of samples exceed the 4 GiB RIFF limit; write shorter files`);
  }
  return { bytesPerSample, blockAlign, dataBytes, headerBytes, fmtBytes, factBytes, extensible, isFloat, padByte, riffBytes, fileBytes: headerBytes + dataBytes + padByte };
}

/**
 * `encodeWav` in pieces: the header is written by the constructor, `run(frames)` converts about that many
 * frames; when it returns true, `bytes` holds the same file `encodeWav` makes. The bytes can go into a
 * buffer the caller owns and reuses (no fresh multi-megabyte allocation per file).
 */
export class WavEncoder {
  /** The file's bytes (complete once `run` has returned true). */
  readonly bytes: Buffer;
  private readonly channels: readonly Float32Array[];
  private readonly format: WavSampleFormat;
  private readonly frameCount: number;
  private readonly dataOffset: number;
  private readonly bigEndianHost: boolean;
  private position = 0;

  /**
   * @param into where to write: at least `wavByteLength(...)` bytes (the file is a view of its start);
   *   default a new buffer. A buffer that is its ArrayBuffer's start keeps the conversion on the fast path.
   * @throws ParameterError as `encodeWav`, or when `into` is too short.
   */
  constructor(channels: readonly Float32Array[], sampleRateHz: number, format: WavSampleFormat = "int16", into?: Uint8Array) {
    const channelCount = channels.length;
    const frameCount = channels[0]?.length ?? 0;
    const layout = layoutOf(channelCount, frameCount, sampleRateHz, format);
    for (let c = 1; c < channelCount; c++) {
      if (channels[c]!.length !== frameCount) {
        throw new ParameterError(`encodeWav channels differ in length: channel 0 has ${frameCount} frames, channel ${c} has ${channels[c]!.length}`);
      }
    }
    const { bytesPerSample, blockAlign, dataBytes, fmtBytes, factBytes, extensible, isFloat, padByte, riffBytes, fileBytes } = layout;
    if (into && into.length < fileBytes) throw new ParameterError(`encodeWav: the output buffer holds ${into.length} bytes, the file needs ${fileBytes}`);
    // allocUnsafeSlow: own ArrayBuffer at offset 0, so the typed-array views below are aligned.
    const out = into ? Buffer.from(into.buffer, into.byteOffset, fileBytes) : Buffer.allocUnsafeSlow(fileBytes);
    let o = 0;
    o += out.write("RIFF", o, "latin1");
    o = out.writeUInt32LE(riffBytes, o);
    o += out.write("WAVE", o, "latin1");
    o += out.write("fmt ", o, "latin1");
    o = out.writeUInt32LE(fmtBytes, o);
    const formatTag = extensible ? 0xfffe : isFloat ? 0x0003 : 0x0001;
    o = out.writeUInt16LE(formatTag, o);
    o = out.writeUInt16LE(channelCount, o);
    o = out.writeUInt32LE(sampleRateHz, o);
    o = out.writeUInt32LE(sampleRateHz * blockAlign, o);
    o = out.writeUInt16LE(blockAlign, o);
    o = out.writeUInt16LE(bytesPerSample * 8, o);
    if (extensible) {
      o = out.writeUInt16LE(22, o); // cbSize
      o = out.writeUInt16LE(bytesPerSample * 8, o); // valid bits
      o = out.writeUInt32LE(channelCount === 1 ? 0x4 : channelCount === 2 ? 0x3 : 0, o); // channel mask
      o = out.writeUInt16LE(isFloat ? 0x0003 : 0x0001, o); // sub-format GUID: tag + KSDATAFORMAT tail
      out.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], o);
      o += 14;
    } else if (isFloat) {
      o = out.writeUInt16LE(0, o); // cbSize
    }
    if (factBytes > 0) {
      o += out.write("fact", o, "latin1");
      o = out.writeUInt32LE(4, o);
      o = out.writeUInt32LE(frameCount >>> 0, o);
    }
    o += out.write("data", o, "latin1");
    o = out.writeUInt32LE(dataBytes, o);
    if (padByte) out[o + dataBytes] = 0;
    this.bytes = out;
    this.channels = channels;
    this.format = format;
    this.frameCount = frameCount;
    this.dataOffset = o;
    this.bigEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1;
  }

  /** True when every frame is converted. */
  get done(): boolean {
    return this.position >= this.frameCount;
  }

  /**
   * Converts about `frameBudget` more frames (at least one).
   * @returns true when the file is complete.
   */
  run(frameBudget: number): boolean {
    const from = this.position;
    const to = Math.min(this.frameCount, from + Math.max(1, frameBudget));
    const { bytes, dataOffset, channels, frameCount, bigEndianHost } = this;
    if (this.format === "int16") writeInt16(bytes, dataOffset, channels, frameCount, bigEndianHost, from, to);
    else if (this.format === "int24") writeInt24(bytes, dataOffset, channels, from, to);
    else writeFloat32(bytes, dataOffset, channels, frameCount, bigEndianHost, from, to);
    this.position = to;
    return this.done;
  }
}

// Rounding is Math.floor(x + 0.5): the same as Math.round for these values (a float32 sample times 2^15 or
// 2^23 is exact in a double, and so is adding 0.5), and several times faster in this V8.
// Each writes frames [from, to) of the interleaved data chunk starting at `offset`.
function writeInt16(out: Buffer, offset: number, channels: readonly Float32Array[], frameCount: number, bigEndianHost: boolean, from: number, to: number): void {
  const channelCount = channels.length;
  if (!bigEndianHost && (out.byteOffset + offset) % 2 === 0) {
    const view = new Int16Array(out.buffer, out.byteOffset + offset, frameCount * channelCount);
    for (let c = 0; c < channelCount; c++) {
      const src = channels[c]!;
      for (let i = from, s = from * channelCount + c; i < to; i++, s += channelCount) {
        const v = Math.floor(src[i]! * 32768 + 0.5);
        view[s] = v > 32767 ? 32767 : v < -32768 ? -32768 : v || 0;
      }
    }
    return;
  }
  for (let c = 0; c < channelCount; c++) {
    const src = channels[c]!;
    for (let i = from, b = offset + (from * channelCount + c) * 2; i < to; i++, b += channelCount * 2) {
      const v = Math.floor(src[i]! * 32768 + 0.5);
      out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v || 0, b);
    }
  }
}

function writeInt24(out: Buffer, offset: number, channels: readonly Float32Array[], from: number, to: number): void {
  const channelCount = channels.length;
  for (let c = 0; c < channelCount; c++) {
    const src = channels[c]!;
    for (let i = from, b = offset + (from * channelCount + c) * 3; i < to; i++, b += channelCount * 3) {
      const r = Math.floor(src[i]! * 8388608 + 0.5);
      const v = r > 8388607 ? 8388607 : r < -8388608 ? -8388608 : r || 0;
      out[b] = v & 0xff;
      out[b + 1] = (v >> 8) & 0xff;
      out[b + 2] = (v >> 16) & 0xff;
    }
  }
}

function writeFloat32(out: Buffer, offset: number, channels: readonly Float32Array[], frameCount: number, bigEndianHost: boolean, from: number, to: number): void {
  const channelCount = channels.length;
  if (!bigEndianHost && (out.byteOffset + offset) % 4 === 0) {
    const view = new Float32Array(out.buffer, out.byteOffset + offset, frameCount * channelCount);
    for (let c = 0; c < channelCount; c++) {
      const src = channels[c]!;
      for (let i = from, s = from * channelCount + c; i < to; i++, s += channelCount) view[s] = src[i]!;
    }
    return;
  }
  for (let c = 0; c < channelCount; c++) {
    const src = channels[c]!;
    for (let i = from, b = offset + (from * channelCount + c) * 4; i < to; i++, b += channelCount * 4) out.writeFloatLE(src[i]!, b);
  }
}

/**
 * Writes a WAV file atomically: encodes, writes to a temporary name in the same folder, then renames over
 * `path`. On failure no partial file is left at `path` (nor the temporary one).
 *
 * @throws ParameterError as `encodeWav`; WriteError when the folder is missing or not writable, the disk
 *   is full, or the rename fails.
 */
export async function writeWav(
  path: string,
  channels: readonly Float32Array[],
  sampleRateHz: number,
  format: WavSampleFormat = "int16",
): Promise<void> {
  const bytes = encodeWav(channels, sampleRateHz, format);
  await writeFileAtomically(path, bytes, "WAV");
}
